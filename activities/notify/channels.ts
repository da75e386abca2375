import crypto from 'node:crypto';
import dns from 'node:dns';
import net from 'node:net';
import type { NotificationChannel } from '../../lib/db/prisma';
import { OperationalError, UserError } from '../../lib/errors';
import { ASSIGNEE_PLACEHOLDER } from './recipients';

/**
 * Notification channels: one port (NotificationChannelAdapter), four adapters (Slack, Teams,
 * signed generic webhook, email). An adapter sends one message to one target, once per call, and
 * says how it failed:
 * - UserError (non-retryable): the target is misconfigured or refuses the message (HTTP 4xx other
 *   than 408/429, a redirect, a URL that is not http(s), a private address, a webhook without a
 *   secret). Retrying the same send cannot help; someone has to fix the route.
 * - OperationalError (retryable): the target is down, slow or rate-limiting (HTTP 5xx, 408, 429,
 *   network errors, DNS failures, timeouts). Temporal retries the activity.
 * Adapters never log, and never put a secret in an error message: webhook URLs carry their own
 * credentials (Slack's path, a Teams workflow's `sig=` query), so errors name the origin only.
 */

// ------------------------------------------------------------------------------- the port

export type NotificationSeverity = 'info' | 'warning' | 'critical';

export interface NotificationMessage {
  title: string;
  text: string;
  severity: NotificationSeverity;
  /** `number` is the human form, "T-42". */
  ticket?: { id: number; number: string; subject: string; url?: string };
  /** Extra facts shown as a table (Slack fields, Teams FactSet, email lines). */
  fields?: Record<string, string>;
  /**
   * Email only: each recipient's mail carries a reply token (staff role) for this entity, so a
   * reply acts on it (e.g. `approval`: a rollout ring; see activities/intake/token-replies.ts).
   */
  replyToken?: { kind: 'approval'; entityId: string };
}

export interface NotificationDeliveryRequest {
  /** Webhook URL or email address(es), from NotificationRoute.target. */
  target: string;
  /** HMAC secret of a WEBHOOK route; unused by the other channels. */
  secret?: string | null;
  /** Event name, e.g. "sla.breach". */
  event: string;
  message: NotificationMessage;
  /** Stable per (business event, route): identical on every retry of the same delivery. */
  idempotencyKey: string;
}

export interface NotificationChannelAdapter {
  send(delivery: NotificationDeliveryRequest): Promise<void>;
}

// ------------------------------------------------------------------------------- failures

/** The target refused the message or is misconfigured: do not retry. */
export class NotificationTargetError extends UserError {
  constructor(
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message, 'NOTIFICATION_TARGET_REJECTED');
  }
}

/** The target is unavailable right now: retry later (after retryAfterMs when the target said so). */
export class NotificationUnavailableError extends OperationalError {
  constructor(
    message: string,
    dependency: string,
    readonly httpStatus?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message, dependency);
    this.name = 'NotificationUnavailableError';
  }
}

// ------------------------------------------------------------------------------- HTTP options

export interface HttpChannelOptions {
  /** Per-request timeout, connection to end of body. Default 10 s. */
  timeoutMs?: number;
  /**
   * Let targets resolve to loopback, private, link-local (cloud metadata) and other non-public
   * addresses. Default false, which is what production wants: route targets are typed in by
   * people, and the worker usually sits inside the network it must not be made to call. Tests and
   * single-host development set it to true to reach a receiver on 127.0.0.1.
   */
  allowPrivateTargets?: boolean;
  userAgent?: string;
  /** DNS resolution used by the SSRF guard (tests replace it). Default dns.promises.lookup. */
  lookup?: (hostname: string) => Promise<Array<{ address: string; family: number }>>;
  /** Clock for webhook timestamps (tests replace it). */
  now?: () => Date;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_USER_AGENT = 'mspflow-notify/1';

// ------------------------------------------------------------------------------- SSRF guard

/**
 * Addresses a notification must never be sent to unless allowPrivateTargets is set: "this"
 * network, RFC 1918, carrier-grade NAT, loopback, link-local (169.254.169.254 is the cloud
 * metadata service), IETF/benchmark/documentation ranges, multicast and reserved; IPv6 loopback,
 * unspecified, unique-local, link-local, site-local, multicast, documentation, Teredo, and the
 * NAT64 / 6to4 forms of every IPv4 range above. IPv4-mapped IPv6 (::ffff:a.b.c.d) matches the
 * IPv4 rules (net.BlockList does that itself).
 */
const PRIVATE_V4: Array<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const PRIVATE_V6: Array<[string, number]> = [
  ['::', 96], // unspecified, loopback, deprecated IPv4-compatible
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const privateAddresses = (() => {
  const list = new net.BlockList();
  for (const [addr, prefix] of PRIVATE_V4) {
    list.addSubnet(addr, prefix, 'ipv4');
    // The same range seen through NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
    list.addSubnet(`64:ff9b::${addr}`, 96 + prefix, 'ipv6');
    const hex = Buffer.from(addr.split('.').map(Number)).toString('hex');
    list.addSubnet(`2002:${hex.slice(0, 4)}:${hex.slice(4)}::`, 16 + prefix, 'ipv6');
  }
  for (const [addr, prefix] of PRIVATE_V6) list.addSubnet(addr, prefix, 'ipv6');
  return list;
})();

export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return true; // not an address: refuse rather than guess
  return privateAddresses.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** How a target appears in logs, errors and the delivery ledger: no path, no query, no userinfo. */
export function describeTarget(target: string): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    const emailList = (target.includes('@') || target.includes(ASSIGNEE_PLACEHOLDER)) && !target.includes('/');
    return emailList ? target : '[unparseable target]';
  }
  if (url.protocol === 'mailto:') return url.pathname;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol}…`;
  const rest = url.pathname !== '/' || url.search ? '/…' : '/';
  return `${url.protocol}//${url.host}${rest}`;
}

/**
 * Refuses a target the worker must not call: not http(s), credentials in the URL, or (unless
 * allowPrivateTargets) a host that is or resolves to a non-public address.
 *
 * Residual risk, stated plainly: the guard resolves the name and then fetch resolves it again, so
 * a hostile DNS server could answer a public address to the guard and a private one to fetch (DNS
 * rebinding; both lookups happen within milliseconds, and OS/resolver caching usually makes them
 * agree). Global fetch offers no hook to pin the checked address. Where that matters, also give
 * the worker an egress firewall or proxy that blocks private ranges.
 */
export async function assertSafeTarget(
  target: string,
  opts: Pick<HttpChannelOptions, 'allowPrivateTargets' | 'lookup'> = {},
): Promise<URL> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new NotificationTargetError(`Notification target ${describeTarget(target)} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NotificationTargetError(`Notification target must be an http(s) URL, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new NotificationTargetError(`Notification target ${describeTarget(target)} must not carry credentials in the URL`);
  }
  if (opts.allowPrivateTargets) return url;

  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (net.isIP(host)) {
    addresses = [host];
  } else {
    const lookup = opts.lookup ?? ((h: string) => dns.promises.lookup(h, { all: true, verbatim: true }));
    try {
      addresses = (await lookup(host)).map((a) => a.address);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'lookup failed';
      throw new NotificationUnavailableError(`Cannot resolve notification target ${describeTarget(target)} (${code})`, 'dns');
    }
  }
  if (addresses.length === 0 || addresses.some(isPrivateAddress)) {
    throw new NotificationTargetError(
      `Notification target ${describeTarget(target)} is a private, loopback or otherwise non-public address; refused`,
    );
  }
  return url;
}

// ------------------------------------------------------------------------------- HTTP POST

interface PostResult {
  status: number;
  body: string;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function snippet(body: string): string {
  const s = body.replace(/\s+/g, ' ').trim().slice(0, 200);
  return s ? `: ${s}` : '';
}

/** Maps an HTTP status to the error taxonomy; undefined for success. */
export function classifyHttpStatus(
  dependency: string,
  where: string,
  status: number,
  body = '',
  retryAfter?: number,
): NotificationTargetError | NotificationUnavailableError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const message = `${dependency} target ${where} answered HTTP ${status}${snippet(body)}`;
  if (status === 408 || status === 429 || status >= 500) {
    return new NotificationUnavailableError(message, dependency, status, retryAfter);
  }
  if (status >= 300 && status < 400) {
    return new NotificationTargetError(`${message} (redirects are not followed: configure the final URL)`, status);
  }
  return new NotificationTargetError(message, status);
}

async function postJson(
  dependency: string,
  target: string,
  body: string,
  headers: Record<string, string>,
  opts: HttpChannelOptions,
): Promise<PostResult> {
  const url = await assertSafeTarget(target, opts);
  const where = describeTarget(target);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': opts.userAgent ?? DEFAULT_USER_AGENT, ...headers },
      body,
      // A redirect could lead to a private address past the guard: never follow one.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Reading the body is bounded by the same timeout signal.
    text = await res.text();
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      throw new NotificationUnavailableError(`${dependency} target ${where} did not answer within ${timeoutMs} ms`, dependency);
    }
    // undici's "fetch failed" carries the socket error (ECONNREFUSED, ECONNRESET, ...) as cause.
    // Only its code is kept: the error objects can carry the full URL.
    const code = e.cause?.code ?? e.name ?? 'network error';
    throw new NotificationUnavailableError(`${dependency} target ${where} is unreachable (${code})`, dependency);
  }
  const failure = classifyHttpStatus(dependency, where, res.status, text, retryAfterMs(res.headers.get('retry-after')));
  if (failure) throw failure;
  return { status: res.status, body: text };
}

// ------------------------------------------------------------------------------- Slack

const SEVERITY_EMOJI: Record<NotificationSeverity, string> = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' };
const SEVERITY_LABEL: Record<NotificationSeverity, string> = { info: 'Info', warning: 'Warning', critical: 'Critical' };

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Slack mrkdwn treats &, < and > as control characters. */
function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The URL if it is http(s), else undefined: a ticket link must never become javascript: or file:. */
export function httpUrl(u: string | undefined): string | undefined {
  if (!u) return undefined;
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

function fieldEntries(message: NotificationMessage): Array<[string, string]> {
  return Object.entries(message.fields ?? {});
}

/**
 * Slack incoming webhook body: `text` is the fallback shown in notifications and by clients that
 * cannot render blocks; `blocks` is the Block Kit layout (header, text, ticket, fields, context),
 * within Slack's limits (header 150 chars, section text 3000, 10 fields per section).
 */
export function buildSlackPayload(message: NotificationMessage, event: string) {
  const ticketPart = message.ticket ? ` (${message.ticket.number})` : '';
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: truncate(message.title, 150), emoji: true } },
  ];
  if (message.text.trim()) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(slackEscape(message.text), 3000) } });
  }
  if (message.ticket) {
    const url = httpUrl(message.ticket.url);
    const label = slackEscape(message.ticket.number);
    const ref = url ? `<${url.replace(/\|/g, '%7C').replace(/>/g, '%3E')}|${label}>` : label;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(`*${ref}* ${slackEscape(message.ticket.subject)}`, 3000) } });
  }
  const fields = fieldEntries(message);
  for (let i = 0; i < fields.length; i += 10) {
    blocks.push({
      type: 'section',
      fields: fields.slice(i, i + 10).map(([k, v]) => ({ type: 'mrkdwn', text: truncate(`*${slackEscape(k)}*\n${slackEscape(v)}`, 2000) })),
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `${SEVERITY_EMOJI[message.severity]} *${SEVERITY_LABEL[message.severity]}* · \`${slackEscape(event)}\`` }],
  });
  return {
    text: truncate(`[${SEVERITY_LABEL[message.severity]}] ${message.title}${ticketPart}`, 3000),
    blocks: blocks.slice(0, 50),
  };
}

/** Slack incoming webhooks (https://hooks.slack.com/services/...): 200 "ok" on success. */
export function createSlackAdapter(opts: HttpChannelOptions = {}): NotificationChannelAdapter {
  return {
    async send(d) {
      const body = JSON.stringify(buildSlackPayload(d.message, d.event));
      await postJson('slack', d.target, body, { 'x-mspflow-delivery': d.idempotencyKey }, opts);
    },
  };
}

// ------------------------------------------------------------------------------- Microsoft Teams

const TEAMS_COLOR: Record<NotificationSeverity, string> = { info: 'Default', warning: 'Warning', critical: 'Attention' };

/**
 * Teams body: a `message` whose single attachment is an Adaptive Card (schema version 1.4).
 *
 * This is the envelope that the Teams **Workflows** app accepts (Power Automate flow started by
 * "When a Teams webhook request is received", e.g. the "Post to a channel when a webhook request is
 * received" template, which posts `attachments[].content`; it answers 202 Accepted). Workflows
 * accept Adaptive Cards only, not the legacy MessageCard format. The same envelope is also what
 * the retiring Office 365 / Microsoft 365 Connector "Incoming Webhook" accepts for Adaptive
 * Cards (it answers 200 with body "1"), so one adapter serves both kinds of URL.
 */
export function buildTeamsPayload(message: NotificationMessage, event: string) {
  const body: Array<Record<string, unknown>> = [
    {
      type: 'TextBlock',
      text: message.title,
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
      style: 'heading',
      color: TEAMS_COLOR[message.severity],
    },
  ];
  if (message.text.trim()) body.push({ type: 'TextBlock', text: message.text, wrap: true });
  const facts: Array<{ title: string; value: string }> = [];
  if (message.ticket) facts.push({ title: 'Ticket', value: `${message.ticket.number} ${message.ticket.subject}` });
  for (const [k, v] of fieldEntries(message)) facts.push({ title: k, value: v });
  facts.push({ title: 'Severity', value: SEVERITY_LABEL[message.severity] }, { title: 'Event', value: event });
  body.push({ type: 'FactSet', facts });
  const url = httpUrl(message.ticket?.url);
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body,
          ...(url ? { actions: [{ type: 'Action.OpenUrl', title: `Open ${message.ticket!.number}`, url }] } : {}),
        },
      },
    ],
  };
}

export function createTeamsAdapter(opts: HttpChannelOptions = {}): NotificationChannelAdapter {
  return {
    async send(d) {
      const body = JSON.stringify(buildTeamsPayload(d.message, d.event));
      const res = await postJson('teams', d.target, body, { 'x-mspflow-delivery': d.idempotencyKey }, opts);
      // Legacy connector webhooks report some upstream failures as HTTP 200 with a text body such
      // as "Microsoft Teams endpoint returned HTTP error 429 ...": classify by that status.
      const embedded = /HTTP error (\d{3})/.exec(res.body);
      if (embedded) {
        const failure = classifyHttpStatus('teams', describeTarget(d.target), Number(embedded[1]), res.body);
        if (failure) throw failure;
      }
    },
  };
}

// ------------------------------------------------------------------------------- generic webhook

/*
 * ## Generic webhooks: payload and signature (copy into the README)
 *
 * mspflow POSTs JSON to the route's URL:
 *
 *     POST <route target>
 *     Content-Type: application/json; charset=utf-8
 *     X-Mspflow-Delivery: <delivery id>
 *     X-Mspflow-Timestamp: <unix seconds>
 *     X-Mspflow-Signature: v1=<hex HMAC-SHA256>
 *
 *     {"id":"<delivery id>","event":"sla.breach","timestamp":"2026-11-22T16:00:00.000Z",
 *      "message":{"title":"...","text":"...","severity":"critical",
 *                 "ticket":{"id":42,"number":"T-42","subject":"...","url":"..."},"fields":{...}}}
 *
 * Signature: `v1=` followed by the lower-case hex HMAC-SHA256, keyed with the route's secret, of
 * the string `<X-Mspflow-Timestamp>.<raw request body>` (the body bytes exactly as received,
 * before any JSON parsing). To verify a request:
 *   1. Read the raw body. Recompute the HMAC over `timestamp + "." + rawBody`.
 *   2. Compare it with each `v1=` value of the header (comma-separated; more than one may appear
 *      while a secret is being rotated) in constant time.
 *   3. Reject the request if the timestamp is more than 5 minutes from your clock (replays).
 *   4. Deduplicate on X-Mspflow-Delivery (also the body's `id`): the same notification is
 *      always sent with the same id, and mspflow may send it more than once (a retry after a
 *      timeout, or a crash between sending and recording the send). Keep ids for at least a day.
 * Answer 2xx once accepted. 408, 429 and 5xx (or no answer within 10 s) make mspflow retry with
 * backoff; any other status is treated as a permanent refusal, and redirects are not followed.
 * In Node, `verifyWebhookSignature(secret, timestamp, rawBody, signatureHeader)` from
 * activities/notify/channels.ts does steps 1-3.
 */

export const WEBHOOK_HEADERS = {
  delivery: 'X-Mspflow-Delivery',
  timestamp: 'X-Mspflow-Timestamp',
  signature: 'X-Mspflow-Signature',
} as const;

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<rawBody>")>` */
export function signWebhookPayload(secret: string, timestamp: number | string, rawBody: string | Buffer): string {
  const mac = crypto.createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(rawBody);
  return `v1=${mac.digest('hex')}`;
}

/**
 * For receivers: true when `header` (X-Mspflow-Signature) holds a v1 signature of
 * `<timestamp>.<rawBody>` under `secret` and `timestamp` (X-Mspflow-Timestamp) is within
 * toleranceSec of now. Constant-time comparison; never throws on malformed input.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number | null | undefined,
  rawBody: string | Buffer,
  header: string | null | undefined,
  toleranceSec = 300,
  nowSec = Math.floor(Date.now() / 1000),
): boolean {
  if (!secret || timestamp === null || timestamp === undefined || !header) return false;
  const ts = String(timestamp).trim();
  if (!/^\d{1,12}$/.test(ts)) return false;
  if (Math.abs(nowSec - Number(ts)) > toleranceSec) return false;
  const expected = Buffer.from(signWebhookPayload(secret, ts, rawBody).slice(3), 'hex');
  let ok = false;
  for (const part of header.split(',')) {
    const m = /^\s*v1=([0-9a-fA-F]{64})\s*$/.exec(part);
    // No early exit: every candidate is compared.
    if (m && crypto.timingSafeEqual(Buffer.from(m[1], 'hex'), expected)) ok = true;
  }
  return ok;
}

export function buildWebhookBody(d: Pick<NotificationDeliveryRequest, 'event' | 'message' | 'idempotencyKey'>, at: Date): string {
  return JSON.stringify({ id: d.idempotencyKey, event: d.event, timestamp: at.toISOString(), message: d.message });
}

export function createWebhookAdapter(opts: HttpChannelOptions = {}): NotificationChannelAdapter {
  return {
    async send(d) {
      if (!d.secret) {
        throw new NotificationTargetError(`webhook route to ${describeTarget(d.target)} has no secret: mspflow sends signed webhooks only`);
      }
      const now = (opts.now ?? (() => new Date()))();
      const timestamp = Math.floor(now.getTime() / 1000);
      const body = buildWebhookBody(d, now);
      await postJson(
        'webhook',
        d.target,
        body,
        {
          [WEBHOOK_HEADERS.delivery]: d.idempotencyKey,
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: signWebhookPayload(d.secret, timestamp, body),
        },
        opts,
      );
    },
  };
}

// ------------------------------------------------------------------------------- email

// The EMAIL adapter sends through the mail gateway (activities/mail/notification-email.ts), the
// one way mspflow sends mail; createNotificationAdapters (activities/index.ts) plugs it in.

// ------------------------------------------------------------------------------- all of them

/** The HTTP adapters by channel, as the notification service takes them (EMAIL is added by the caller). */
export function createChannelAdapters(opts: HttpChannelOptions): Partial<Record<NotificationChannel, NotificationChannelAdapter>> {
  return {
    SLACK: createSlackAdapter(opts),
    TEAMS: createTeamsAdapter(opts),
    WEBHOOK: createWebhookAdapter(opts),
  };
}
