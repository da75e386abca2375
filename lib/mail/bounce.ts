import { addressesIn, messageIdsIn, parseHeaderBlock, type MailHeaders } from './headers';
import { parseMime, walk, type MimePart } from './mime';

/**
 * Bounces: which recipients failed, how, and which of our messages bounced.
 * - RFC 3464 DSNs (multipart/report; report-type=delivery-status): per-recipient Action, Status
 *   and Diagnostic-Code from the message/delivery-status part; the original Message-ID from the
 *   returned message/rfc822 or text/rfc822-headers part.
 * - Non-standard bounces (old qmail, Exim without DSN, some Exchange/Lotus/hosted systems): the
 *   `X-Failed-Recipients` header, then addresses named in the body of a message whose sender or
 *   subject says it is a delivery failure; the original Message-ID from a quoted `Message-ID:`
 *   line in the body or an attached message.
 * `permanent` is true for failed recipients with a 5.x.x status (or no status in a
 * non-standard bounce that says the delivery failed); delays (`Action: delayed`, 4.x.x) are
 * reported but are not failures.
 */
export interface BounceRecipient {
  address: string;
  action: 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded' | 'unknown';
  /** Enhanced status code, e.g. 5.1.1, when known. */
  status: string | null;
  diagnostic: string | null;
  permanent: boolean;
}

export interface BounceReport {
  kind: 'dsn' | 'non-standard';
  recipients: BounceRecipient[];
  /** Recipients whose delivery failed for good (suppress these). */
  failedRecipients: string[];
  /** Message-ID of the message that bounced, when the bounce carries it. */
  originalMessageId: string | null;
  /** Every Message-ID the returned headers name (In-Reply-To, References too): for threading. */
  originalReferences: string[];
  reportingMta: string | null;
}

const BOUNCE_SENDER = /^(?:mailer-daemon|postmaster|mail-daemon|mail\.?delivery\.?(?:system|subsystem)?|bounces?)@/i;
const BOUNCE_SUBJECT =
  /undeliver(?:ed|able)|delivery (?:status notification \((?:failure|delay)\)|failure|has failed|failed)|returned mail|mail delivery (?:failed|failure|system)|failure notice|non remis|non distribuable|[ée]chec de (?:la )?remise|message non d[ée]livr[ée]|impossible de remettre/i;
const FAILED_LINE = /(?:failed|permanent|could not be delivered|undeliverable|does not exist|unknown user|user unknown|no such user|mailbox (?:unavailable|not found|full)|rejected|n'existe pas|introuvable|inconnu|refus[ée])/i;

/** Parses a bounce; null when the message is not one (or names no recipient). */
export function parseBounce(raw: string | Buffer): BounceReport | null {
  const root = parseMime(raw);
  const contentType = root.contentType;
  if (contentType === 'multipart/report' && /delivery-status/i.test(root.params['report-type'] ?? '')) {
    const dsn = parseDsn(root);
    if (dsn) return dsn;
  }
  return parseNonStandard(root);
}

function parseDsn(root: MimePart): BounceReport | null {
  let status: MimePart | undefined;
  walk(root, (p) => {
    if (!status && (p.contentType === 'message/delivery-status' || p.contentType === 'message/global-delivery-status')) status = p;
  });
  if (!status) return null;
  const groups = status.body.replace(/\r\n/g, '\n').split(/\n[ \t]*\n/).filter((g) => g.trim());
  const perMessage = groups.length ? parseHeaderBlock(groups[0]) : undefined;
  const recipients: BounceRecipient[] = [];
  for (const group of groups) {
    const h = parseHeaderBlock(group);
    const addr = recipientOf(h);
    if (!addr) continue;
    const action = (h.get('action') ?? 'unknown').trim().toLowerCase();
    const code = /([245])\.\d{1,3}\.\d{1,3}/.exec(h.get('status') ?? '')?.[0] ?? null;
    const act = (['failed', 'delayed', 'delivered', 'relayed', 'expanded'].includes(action) ? action : 'unknown') as BounceRecipient['action'];
    recipients.push({
      address: addr,
      action: act,
      status: code,
      diagnostic: h.get('diagnostic-code')?.replace(/^\s*[\w-]+\s*;\s*/, '').slice(0, 500) ?? null,
      permanent: act === 'failed' && (code === null || code.startsWith('5')),
    });
  }
  if (!recipients.length) return null;
  const original = originalHeaders(root);
  return {
    kind: 'dsn',
    recipients,
    failedRecipients: unique(recipients.filter((r) => r.permanent).map((r) => r.address)),
    ...original,
    reportingMta: perMessage?.get('reporting-mta')?.replace(/^\s*[\w-]+\s*;\s*/, '') ?? null,
  };
}

function recipientOf(h: MailHeaders): string | null {
  const v = h.get('final-recipient') ?? h.get('original-recipient');
  if (!v) return null;
  const m = /^\s*(?:rfc822|utf-8)\s*;\s*<?([^\s<>]+@[^\s<>]+?)>?\s*$/i.exec(v);
  return m ? m[1].toLowerCase() : null;
}

/** The returned message's headers (message/rfc822 or text/rfc822-headers part). */
function originalHeaders(root: MimePart): { originalMessageId: string | null; originalReferences: string[] } {
  let headers: MailHeaders | undefined;
  walk(root, (p) => {
    if (headers || p === root) return;
    if (p.contentType === 'text/rfc822-headers' || p.contentType === 'message/rfc822-headers') headers = parseHeaderBlock(p.body);
    else if ((p.contentType === 'message/rfc822' || p.contentType === 'message/global') && p.parts[0]) headers = p.parts[0].headers;
  });
  if (headers) {
    const id = messageIdsIn(headers.get('message-id'))[0] ?? null;
    const refs = unique([...(id ? [id] : []), ...messageIdsIn(headers.get('in-reply-to')), ...messageIdsIn(headers.get('references'))]);
    if (id || refs.length) return { originalMessageId: id, originalReferences: refs };
  }
  // quoted headers in a text body: "Message-ID: <...>"
  let found: string | null = null;
  walk(root, (p) => {
    if (found || !p.contentType.startsWith('text/')) return;
    const m = /^[ \t>]*Message-ID:\s*(<[^<>\s]+>)/im.exec(p.body);
    if (m) found = m[1];
  });
  return { originalMessageId: found, originalReferences: found ? [found] : [] };
}

function parseNonStandard(root: MimePart): BounceReport | null {
  const h = root.headers;
  const from = addressesIn(h.get('from'))[0] ?? '';
  const subject = h.get('subject') ?? '';
  const returnPathEmpty = h.all('return-path').some((v) => /^<\s*>$/.test(v.trim()));
  const looksLikeBounce = BOUNCE_SENDER.test(from) || BOUNCE_SUBJECT.test(subject) || returnPathEmpty;
  const xFailed = h.all('x-failed-recipients').flatMap((v) => addressesIn(v));
  if (!looksLikeBounce && !xFailed.length) return null;

  let addresses = xFailed;
  if (!addresses.length) {
    const texts: string[] = [];
    walk(root, (p) => {
      // the body of the bounce, not the returned message
      if (p.contentType === 'text/plain' || p.contentType === 'text/html') texts.push(p.contentType === 'text/html' ? p.body.replace(/<[^>]+>/g, ' ') : p.body);
    });
    addresses = addressesNearFailure(texts.join('\n'));
  }
  const ours = new Set([from]);
  addresses = unique(addresses.filter((a) => !ours.has(a) && !BOUNCE_SENDER.test(a)));
  if (!addresses.length) return null;
  const recipients: BounceRecipient[] = addresses.map((address) => ({
    address,
    action: 'failed',
    status: null,
    diagnostic: null,
    permanent: true,
  }));
  return {
    kind: 'non-standard',
    recipients,
    failedRecipients: addresses,
    ...originalHeaders(root),
    reportingMta: null,
  };
}

/**
 * Addresses on failure lines of a bounce body, stopping where the returned message starts.
 * qmail: `<user@host>:` then the reason; Exim: the address indented under "failed:"; others:
 * the address on the same line as a failure phrase.
 */
function addressesNearFailure(body: string): string[] {
  const lines = body.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  let failureContext = false;
  for (const line of lines) {
    if (/^[-\s]*(?:original message|message d'origine|this is a copy of the message|--- below this line is a copy|------ this is a copy|received:|return-path:)/i.test(line)) break;
    if (FAILED_LINE.test(line)) failureContext = true;
    const found = addressesIn(line);
    if (!found.length) continue;
    if (/^<[^<>\s]+@[^<>\s]+>:\s*$/.test(line.trim()) || FAILED_LINE.test(line) || (failureContext && /^\s+\S+@\S+\s*$/.test(line))) {
      out.push(...found);
    }
  }
  return out;
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
