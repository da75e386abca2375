/**
 * Subjects: the reply/forward prefixes mail programs add (English, French, German, Dutch,
 * Scandinavian, Outlook's translated ones), tags such as `[EXT]` or `[External]` that gateways
 * put in front, and our ticket token `[#T-1042]`.
 */

/** Reply and forward prefixes, lower case, without the colon. */
const PREFIXES = [
  're', 'fw', 'fwd', 'aw', 'wg', 'tr', 'réf', 'ref', 'rép', 'rep', 'r', 'sv', 'vs', 'antw', 'doorst', 'rif', 'enc', 'res',
];
const PREFIX = new RegExp(
  String.raw`^\s*(?:${PREFIXES.join('|')})\s*(?:\[\d+\]|\(\d+\))?\s*\.?\s*[:：]\s*`,
  'iu',
);
/**
 * Tags mail gateways put in front of the subject: [EXT], [External], [EXTERNE], (EXTERNAL),
 * [SPAM?], [CAUTION]... Other bracketed words ([URGENT]) are the sender's and stay.
 */
const TAG =
  /^\s*(?:\[|\()\s*(?:ext|external|externe|ext[ée]rieur|external sender|exp[ée]diteur externe|spam\??|\*+spam\*+|suspected spam|possible spam|caution|warning|phish(?:ing)?\??)\s*(?:\]|\))\s*:?\s*/iu;
const TICKET = /\[#T-(\d{1,12})\]/i;

/**
 * The subject without leading reply/forward prefixes and tags, repeated or mixed
 * (`RE: TR: [EXT] Re[2]: Printer` → `Printer`). Our `[#T-n]` token is kept.
 */
export function stripReplyPrefixes(subject: string): string {
  let s = normalizeSpaces(subject);
  for (;;) {
    const next = s.replace(PREFIX, '').replace(TAG, '');
    if (next === s) return s.trim();
    s = next;
  }
}

/** The subject as it should be compared or stored: no prefixes, no tags, no ticket token. */
export function baseSubject(subject: string): string {
  return normalizeSpaces(stripReplyPrefixes(subject).replace(new RegExp(TICKET.source, 'gi'), ' ')).trim();
}

/** The ticket number in a `[#T-1042]` token anywhere in the subject, or null. */
export function ticketNumberFromSubject(subject: string): number | null {
  const m = TICKET.exec(subject ?? '');
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

export function ticketToken(ticketId: number): string {
  return `[#T-${ticketId}]`;
}

/** `[#T-1042] Printer on fire` (the token once, first, whatever the subject carried). */
export function subjectWithTicket(subject: string, ticketId: number): string {
  const base = baseSubject(subject);
  return base ? `${ticketToken(ticketId)} ${base}` : ticketToken(ticketId);
}

/** `Re: [#T-1042] Printer on fire`. */
export function replySubject(subject: string, ticketId: number): string {
  return `Re: ${subjectWithTicket(subject, ticketId)}`;
}

function normalizeSpaces(s: string): string {
  return String(s ?? '')
    .replace(/[\r\n\t\u00a0\u2000-\u200b\u202f\u3000]+/g, ' ')
    .replace(/ {2,}/g, ' ');
}
