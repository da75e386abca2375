import type { ParsedMail } from 'mailparser';
import { parseBounce as parseBounceReport } from '../../lib/mail/bounce';
import { htmlToPlainText, sanitizeEmailHtml } from '../../lib/mail/html';
import { extractReplyText } from '../../lib/mail/reply-text';

/**
 * The seam between the intake and the pure mail logic of lib/mail (reply stripping, HTML
 * sanitising, bounce parsing): the intake calls only these, so the rules live in one place.
 */
export interface CleanBody {
  /** The new text of the reply, without quoted history and signature. */
  text: string;
  /** Sanitised HTML of the whole message, or null (never the sender's raw HTML). */
  html: string | null;
}

export interface BounceInfo {
  failedRecipients: string[];
  /** Message-ID of our message that bounced, when the report carries it. */
  originalMessageId: string | null;
  /** Every Message-ID the returned headers name. */
  originalReferences: string[];
  diagnostic: string;
}

export function cleanBody(parsed: ParsedMail): CleanBody {
  // `cid:` images that name one of this message's parts are kept as `cid:` for now; storing the
  // attachments (attachments.ts) points them at the stored image or drops them.
  const cids = new Set((parsed.attachments ?? []).map((a) => a.cid?.toLowerCase()).filter((c): c is string => Boolean(c)));
  const html =
    typeof parsed.html === 'string' && parsed.html
      ? sanitizeEmailHtml(parsed.html, { cidUrl: (cid) => (cids.has(cid.toLowerCase()) ? `cid:${cid}` : null) })
      : null;
  // HTML-only mail still gets a text version (from the sanitised HTML).
  const text = parsed.text ?? (html ? htmlToPlainText(html) : '');
  const reply = extractReplyText(text).text;
  // A message that is nothing but quotes keeps its text: better too much than nothing.
  return { text: reply || text.trim(), html };
}

export function parseBounce(raw: Buffer): BounceInfo | null {
  const report = parseBounceReport(raw);
  if (!report || report.failedRecipients.length === 0) return null;
  const diagnostic = report.recipients
    .filter((r) => r.permanent)
    .map((r) => `${r.address}: ${[r.status, r.diagnostic].filter(Boolean).join(' ') || 'failed'}`)
    .join('; ');
  return {
    failedRecipients: report.failedRecipients,
    originalMessageId: report.originalMessageId?.toLowerCase() ?? null,
    originalReferences: report.originalReferences.map((r) => r.toLowerCase()),
    diagnostic: diagnostic || 'delivery failed',
  };
}
