import type { ConnectionOptions } from 'node:tls';
import nodemailer from 'nodemailer';
import type { NodemailerError } from 'nodemailer';
import { OperationalError, UserError, ValidationError } from '../../lib/errors';
import { isMailAddress } from '../../lib/mail/address';

/**
 * Minimal outbound mail over SMTP (nodemailer, pooled connections), for the notification channel
 * and the mail gateway's replies. Callers own the Message-ID, so a retried send carries the same
 * id and the recipient side (and our own intake) can recognize a duplicate.
 */
export interface SmtpSenderOptions {
  host: string;
  port: number;
  /** Implicit TLS (port 465). With false, STARTTLS is used when the server offers it. */
  secure: boolean;
  auth?: { user: string; pass: string };
  /** The From header, e.g. `"ACME Support" <support@msp.example>`. */
  from: string;
  /** Fail unless the connection is upgraded with STARTTLS. */
  requireTLS?: boolean;
  /** Never try STARTTLS, even when offered (loopback test servers with self-signed certificates). */
  ignoreTLS?: boolean;
  /** Extra TLS options, e.g. `{ ca }` for a private CA or `{ servername }`. */
  tls?: ConnectionOptions;
  /** Name sent in EHLO; nodemailer uses the machine's hostname by default. */
  clientName?: string;
  /** Pooled connections kept open (default 2). */
  maxConnections?: number;
  /** Connect / greeting / idle-socket timeouts in ms (defaults 10 s / 15 s / 60 s). */
  timeouts?: { connectMs?: number; greetingMs?: number; socketMs?: number };
}

export interface OutboundMessage {
  to: string[];
  /** Copy recipients (plain addresses); they are in the envelope too. */
  cc?: string[];
  /** Overrides the sender's From header for this message, e.g. `"Alice (Support)" <support@msp.example>`. */
  from?: string;
  subject: string;
  text: string;
  html?: string;
  /**
   * Extra headers, e.g. In-Reply-To, References, Reply-To, List-Id, Auto-Submitted. Not From, To,
   * Cc, Bcc, Subject, Message-ID, Date or the MIME ones (ValidationError): those are set here.
   */
  headers?: Record<string, string>;
  /** Files attached (never inline): bytes, display name and type as the caller vouches for them. */
  attachments?: Array<{ filename: string; content: Buffer; contentType: string }>;
  /** The Message-ID to send, `<local@domain>` (angle brackets added when missing). */
  messageId: string;
  /**
   * SMTP MAIL FROM (where bounces go). Defaults to the address in `from`; '' sends the null
   * sender `<>`, as RFC 3834 asks for automatic replies.
   */
  envelopeFrom?: string;
  /**
   * Mark the message as machine-sent (RFC 3834): `Auto-Submitted: auto-generated` (or the given
   * value) plus `X-Auto-Response-Suppress: All`, so out-of-office robots (Exchange too) don't answer.
   * Replaces those two headers if `headers` has them too (passing them there also works).
   */
  autoSubmitted?: boolean | 'auto-generated' | 'auto-replied';
}

export interface SendResult {
  /** The Message-ID as sent, with angle brackets. */
  messageId: string;
  accepted: string[];
  /** Recipients refused at RCPT TO while others were accepted (all refused throws). */
  rejected: string[];
  /** The server's final reply, e.g. `250 2.0.0 Ok: queued as 4Xyz`. */
  response: string;
}

export interface SmtpSender {
  /**
   * Sends one message with an explicit envelope (recipients are exactly `to`).
   * Throws ValidationError for bad input, UserError `SMTP_REJECTED` when the server refuses the
   * message for good (5xx on the envelope or the data: retrying cannot help), and
   * OperationalError (dependency 'smtp') for everything retryable: connection, TLS, 4xx,
   * authentication (a configuration fix lets a retry succeed).
   */
  send(msg: OutboundMessage): Promise<SendResult>;
  /** Closes the pooled connections (messages being sent are finished first by nodemailer). */
  close(): void;
}

/** Headers this module sets itself; callers may not override them through `headers`. */
const RESERVED = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'message-id',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);
const HEADER_NAME = /^[!-9;-~]+$/; // RFC 5322 ftext: printable ASCII except ':'
const MESSAGE_ID = /^<[^<>\s@]+@[^<>\s@]+>$/;

export function normalizeMessageId(id: string): string {
  const trimmed = id.trim();
  const wrapped = trimmed.startsWith('<') ? trimmed : `<${trimmed}>`;
  if (!MESSAGE_ID.test(wrapped)) throw new ValidationError(`not a Message-ID: ${JSON.stringify(id)}`);
  return wrapped;
}

/** The bare address of a From value such as `"Name" <a@b>` or `a@b`. */
function addressOf(from: string): string {
  const m = /<([^<>]+)>\s*$/.exec(from);
  return (m ? m[1] : from).trim();
}

function validate(msg: OutboundMessage): void {
  if (!Array.isArray(msg.to) || msg.to.length === 0) throw new ValidationError('a message needs at least one recipient');
  const bad = [...msg.to, ...(msg.cc ?? [])].filter((a) => !isMailAddress(a));
  if (bad.length) throw new ValidationError(`not a plain e-mail address: ${bad.join(', ')}`);
  if (msg.from !== undefined && (/[\r\n]/.test(msg.from) || !isMailAddress(addressOf(msg.from)))) {
    throw new ValidationError(`from has no usable address: ${JSON.stringify(msg.from)}`);
  }
  if (/[\r\n]/.test(msg.subject)) throw new ValidationError('subject must not contain line breaks');
  if (msg.envelopeFrom && !isMailAddress(msg.envelopeFrom)) {
    throw new ValidationError(`envelopeFrom is not a plain e-mail address: ${msg.envelopeFrom}`);
  }
  for (const [name, value] of Object.entries(msg.headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw new ValidationError(`bad header name: ${JSON.stringify(name)}`);
    if (RESERVED.has(name.toLowerCase())) throw new ValidationError(`header ${name} is set by the sender itself`);
    if (/[\r\n]/.test(value)) throw new ValidationError(`header ${name} must not contain line breaks`);
  }
}

function mapError(err: unknown, target: string): Error {
  const e = err as NodemailerError;
  if (e && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.permanent === true) {
    return new UserError(`SMTP server refused the message: ${e.response ?? e.message}`, 'SMTP_REJECTED', {
      responseCode: e.responseCode,
      response: e.response,
      command: e.command,
      rejected: e.rejected,
    });
  }
  const detail = e?.response ?? (e instanceof Error ? e.message : String(err));
  return new OperationalError(`SMTP send via ${target} failed (${e?.code ?? 'error'}): ${detail}`, 'smtp', { cause: err });
}

export function createSmtpSender(opts: SmtpSenderOptions): SmtpSender {
  const fromAddress = addressOf(opts.from);
  if (!isMailAddress(fromAddress)) throw new ValidationError(`from has no usable address: ${opts.from}`);
  const target = `${opts.host}:${opts.port}`;
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: opts.maxConnections ?? 2,
    maxMessages: 100,
    host: opts.host,
    port: opts.port,
    secure: opts.secure,
    auth: opts.auth,
    requireTLS: opts.requireTLS,
    ignoreTLS: opts.ignoreTLS,
    tls: opts.tls,
    name: opts.clientName,
    connectionTimeout: opts.timeouts?.connectMs ?? 10_000,
    greetingTimeout: opts.timeouts?.greetingMs ?? 15_000,
    socketTimeout: opts.timeouts?.socketMs ?? 60_000,
    // messages are built from our own strings only: never read files or URLs
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  return {
    async send(msg) {
      validate(msg);
      const messageId = normalizeMessageId(msg.messageId);
      const headers: Record<string, string> = { ...msg.headers };
      if (msg.autoSubmitted) {
        for (const name of Object.keys(headers)) {
          if (/^(auto-submitted|x-auto-response-suppress)$/i.test(name)) delete headers[name];
        }
        headers['Auto-Submitted'] = msg.autoSubmitted === true ? 'auto-generated' : msg.autoSubmitted;
        headers['X-Auto-Response-Suppress'] = 'All';
      }
      try {
        const info = await transport.sendMail({
          from: msg.from ?? opts.from,
          to: msg.to,
          cc: msg.cc?.length ? msg.cc : undefined,
          subject: msg.subject,
          text: msg.text,
          html: msg.html,
          headers,
          messageId,
          attachments: msg.attachments?.map((a) => ({
            filename: a.filename,
            content: a.content,
            contentType: a.contentType,
            contentDisposition: 'attachment' as const,
          })),
          // explicit envelope: recipients are exactly `to`, whatever the headers say
          envelope: { from: msg.envelopeFrom ?? fromAddress, to: [...msg.to, ...(msg.cc ?? [])] },
        });
        return {
          messageId,
          accepted: info.accepted.map(String),
          rejected: info.rejected.map(String),
          response: info.response,
        };
      } catch (err) {
        throw mapError(err, target);
      }
    },
    close() {
      transport.close();
    },
  };
}
