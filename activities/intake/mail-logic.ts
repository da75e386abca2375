import type { ParsedMail } from 'mailparser';
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
  diagnostic: string;
}

export function cleanBody(parsed: ParsedMail): CleanBody {
  const html = typeof parsed.html === 'string' && parsed.html ? sanitizeEmailHtml(parsed.html) : null;
  // HTML-only mail still gets a text version (from the sanitised HTML).
  const text = parsed.text ?? (html ? htmlToPlainText(html) : '');
  const reply = extractReplyText(text).text;
  // A message that is nothing but quotes keeps its text: better too much than nothing.
  return { text: reply || text.trim(), html };
}

export async function parseBounce(_raw: Buffer, _parsed: ParsedMail): Promise<BounceInfo | null> {
  return null;
}
