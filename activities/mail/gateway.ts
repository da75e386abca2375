import type { Config } from '../../lib/config';
import { crashHook, type CrashHook } from '../../lib/crash-points';
import type { PrismaClient } from '../../lib/db/prisma';
import { OperationalError, UserError, ValidationError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { createReplyToken, messageIdWithToken, normalizeAddress, replyToAddress, uniquePartFor } from '../../lib/mail/reply-token';
import { resolveReplySecrets } from '../../lib/mail/reply-secret';
import { sanitizeDisplayName } from '../../lib/mail/attachments';
import { MAX_OUTBOUND_ATTACHMENT_BYTES, type MailGateway, type MailTemplate, type SendMailRequest, type SendOutcome } from './gateway-types';
import { claimOutbound, leaseOutbound, markFailed, markSent, type BudgetRule } from './outbound-records';
import { createSmtpSender, type SmtpSender } from './smtp-sender';
import { createTemplateRenderer, type TemplateRenderer } from './templates';
import { isMailAddress } from '../../lib/mail/address';

/**
 * The one way mspflow sends mail. For each request it:
 * 1. renders the template in the contact's language (fr/en, else en): subject, HTML and text;
 * 2. builds our Message-ID from the idempotency key (the same on every retry) and, with a
 *    reply token, signs it for the single recipient into the Message-ID and a plus-addressed
 *    Reply-To (`support+<token>@domain`);
 * 3. records the send in OutboundMail under the idempotency key (unique): automatic mail is
 *    checked there against the suppression list and the recipient's budget (MAIL_AUTO_BUDGET
 *    per MAIL_AUTO_BUDGET_WINDOW_MINUTES, sliding; `budgeted: false` exempts staff
 *    notifications) under a per-recipient lock;
 * 4. sends over SMTP with an explicit envelope (MAIL FROM the support address, RCPT TO exactly
 *    To + Cc), `Auto-Submitted: auto-replied|auto-generated` on automatic mail,
 *    `X-Auto-Response-Suppress: All` on everything, In-Reply-To/References when threading;
 * 5. marks the row SENT (or FAILED on a permanent refusal).
 * A retry of a SENT key sends nothing ('already-sent'). A crash between the SMTP transaction
 * and step 5 leaves the row SENDING: the retry sends again with the same Message-ID (the only
 * way a duplicate can happen, and the receiving side can recognise it by that id).
 */
export interface GatewaySettings {
  /** Right-hand side of our Message-IDs. */
  domain: string;
  /** Plain support address: From address, envelope sender, base of the Reply-To. */
  supportAddress: string;
  /** Display name in From when the request gives none. */
  fromName: string;
  /** Current reply secret first, then former ones. */
  replySecrets: string[];
  autoBudget: BudgetRule;
}

export interface MailGatewayDeps {
  prisma: PrismaClient;
  sender: SmtpSender;
  settings: GatewaySettings;
  renderer?: TemplateRenderer;
  log?: Logger;
  now?: () => Date;
  /** How long one SMTP transaction may hold a row before another caller may retry it. */
  leaseMs?: number;
  /** Test-only fault injection (CRASH_AT): dies in the window between SMTP and the ledger. */
  crash?: CrashHook;
}

const MAX_REFERENCES = 20;
const EXTRA_HEADER = /^(?:X-Mspflow-[A-Za-z0-9-]{1,40}|Importance|X-Priority)$/;

/** Gateway settings from configuration (display name from MAIL_FROM). */
export function gatewaySettingsFromConfig(config: Pick<Config, 'dataDir' | 'mail'>): GatewaySettings {
  const m = /^\s*"?([^"<]*?)"?\s*<[^<>]+>\s*$/.exec(config.mail.from);
  return {
    domain: config.mail.domain,
    supportAddress: config.mail.supportAddress,
    fromName: m?.[1]?.trim() || 'Support',
    replySecrets: resolveReplySecrets(config),
    autoBudget: config.mail.autoBudget,
  };
}

/** A gateway on the configured SMTP server; undefined when SMTP_HOST is unset. */
export function createConfiguredMailGateway(
  config: Config,
  deps: { prisma: PrismaClient; log?: Logger },
): MailGateway | undefined {
  if (!config.mail.smtp) return undefined;
  const sender = createSmtpSender({ ...config.mail.smtp, from: config.mail.from });
  return createMailGateway({
    prisma: deps.prisma,
    log: deps.log,
    sender,
    settings: gatewaySettingsFromConfig(config),
    leaseMs: config.mail.sendLeaseMs,
    crash: crashHook(config),
  });
}

function quoteDisplayName(name: string): string {
  const clean = name.replace(/[\r\n"\\<>]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 100);
  return clean ? `"${clean}"` : '';
}

function validate(req: SendMailRequest<MailTemplate>): { to: string[]; cc: string[] } {
  if (!req.idempotencyKey || req.idempotencyKey.length > 500) throw new ValidationError('idempotencyKey is required (at most 500 characters)');
  const to = (req.to ?? []).map(normalizeAddress);
  const cc = (req.cc ?? []).map(normalizeAddress).filter((a) => !to.includes(a));
  if (!to.length) throw new ValidationError('a mail needs a recipient');
  const bad = [...to, ...cc].filter((a) => !isMailAddress(a));
  if (bad.length) throw new ValidationError(`not plain addresses: ${bad.join(', ')}`);
  if (req.automatic && (to.length !== 1 || cc.length)) {
    throw new ValidationError('automatic mail goes to exactly one recipient (budget and suppression are per address)');
  }
  if (req.replyToken && (to.length !== 1 || cc.length)) {
    throw new ValidationError('a reply token is signed for one recipient: send one mail per recipient');
  }
  const attached = (req.attachments ?? []).reduce((n, a) => n + (Buffer.isBuffer(a.content) ? a.content.length : Infinity), 0);
  if (attached > MAX_OUTBOUND_ATTACHMENT_BYTES) {
    throw new ValidationError(`attachments total ${attached} bytes, more than ${MAX_OUTBOUND_ATTACHMENT_BYTES} (send a link instead)`);
  }
  for (const a of req.attachments ?? []) {
    if (!/^[\w.+-]+\/[\w.+-]+$/.test(a.contentType)) throw new ValidationError(`bad attachment content type: ${JSON.stringify(a.contentType)}`);
  }
  for (const [name, value] of Object.entries(req.extraHeaders ?? {})) {
    if (!EXTRA_HEADER.test(name)) throw new ValidationError(`header ${name} cannot be set by callers`);
    if (/[\r\n]/.test(value) || value.length > 200) throw new ValidationError(`header ${name} must be one line of at most 200 characters`);
  }
  return { to, cc };
}

export function createMailGateway(deps: MailGatewayDeps): MailGateway {
  const renderer = deps.renderer ?? createTemplateRenderer();
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.leaseMs ?? 120_000;
  const { settings } = deps;
  if (!settings.replySecrets.length) throw new ValidationError('the mail gateway needs a reply secret');
  const support = normalizeAddress(settings.supportAddress);

  return {
    render: (template, locale, data) => renderer.render(template, locale, data),

    async send(req) {
      const { to, cc } = validate(req);
      const rendered = renderer.render(req.template, req.locale, req.data);
      const unique = uniquePartFor(req.idempotencyKey);
      let messageId = `<m.${unique}@${settings.domain.toLowerCase()}>`;
      let replyTo = support;
      if (req.replyToken) {
        const token = createReplyToken(settings.replySecrets[0], { ...req.replyToken, recipient: to[0] });
        messageId = messageIdWithToken(token, unique, settings.domain);
        replyTo = replyToAddress(support, token);
      }
      const { row, created } = await claimOutbound(
        deps.prisma,
        {
          idempotencyKey: req.idempotencyKey,
          messageId,
          template: req.template,
          locale: rendered.locale,
          recipient: to[0],
          to,
          cc,
          envelopeFrom: support,
          subject: rendered.subject,
          automatic: Boolean(req.automatic),
          budgeted: Boolean(req.automatic) && req.budgeted !== false,
          ticketId: req.ticketId ?? null,
        },
        settings.autoBudget,
        now(),
      );
      const outcome = (status: SendOutcome['status'], error?: string): SendOutcome => ({
        status,
        messageId: row.messageId,
        outboundId: row.id,
        ...(error ? { error } : {}),
      });
      switch (row.status) {
        case 'SENT':
          return outcome('already-sent');
        case 'FAILED':
          return outcome('failed', row.lastError ?? undefined);
        case 'SUPPRESSED':
          if (created) deps.log?.info({ to: row.recipient, key: row.idempotencyKey }, 'automatic mail suppressed (address bounced)');
          return outcome('suppressed', row.lastError ?? undefined);
        case 'OVER_BUDGET':
          if (created) deps.log?.warn({ to: row.recipient, key: row.idempotencyKey }, 'automatic mail over budget, not sent');
          return outcome('over-budget', row.lastError ?? undefined);
        case 'SENDING':
          break;
      }
      if (!(await leaseOutbound(deps.prisma, row.id, now(), leaseMs))) {
        // retryable: once the other attempt ends (or its lease expires) a retry sees SENT or takes over
        throw new OperationalError(`mail ${row.idempotencyKey} is being sent by another worker`, 'smtp');
      }
      const headers: Record<string, string> = { ...req.extraHeaders, 'Reply-To': replyTo, 'X-Auto-Response-Suppress': 'All' };
      const references = [...(req.references ?? [])].filter((r) => /^<[^<>\s]+>$/.test(r)).slice(-MAX_REFERENCES);
      if (req.inReplyTo && /^<[^<>\s]+>$/.test(req.inReplyTo)) {
        headers['In-Reply-To'] = req.inReplyTo;
        if (!references.includes(req.inReplyTo)) references.push(req.inReplyTo);
      }
      if (references.length) headers.References = references.join(' ');
      const fromName = quoteDisplayName(req.fromName ?? settings.fromName);
      try {
        const result = await deps.sender.send({
          from: fromName ? `${fromName} <${support}>` : support,
          to: row.to,
          cc: row.cc,
          subject: row.subject,
          text: rendered.text,
          html: rendered.html,
          headers,
          messageId: row.messageId,
          attachments: req.attachments?.map((a) => ({ filename: sanitizeDisplayName(a.filename), content: a.content, contentType: a.contentType })),
          envelopeFrom: support,
          autoSubmitted: req.automatic || undefined,
        });
        deps.crash?.('after-mail-smtp-accepted');
        // a Cc refused at RCPT while the others were accepted: sent, with the refusal on record
        const refused = result.rejected.length ? ` (refused: ${result.rejected.join(', ')})` : '';
        await markSent(deps.prisma, row.id, result.response + refused, now());
        return outcome('sent');
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const permanent = err instanceof UserError;
        await markFailed(deps.prisma, row.id, message, permanent).catch((e) =>
          deps.log?.error({ err: e, key: row.idempotencyKey }, 'could not record a mail failure'),
        );
        if (permanent) return outcome('failed', message);
        throw err instanceof OperationalError ? err : new OperationalError(`sending mail ${row.idempotencyKey} failed: ${message}`, 'smtp', { cause: err });
      }
    },

    close() {
      deps.sender.close();
    },
  };
}
