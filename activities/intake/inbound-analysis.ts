import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { classifyAutomatic, type AutomaticVerdict } from '../../lib/mail/automatic';
import { headersFromLines, messageIdsIn, type MailHeaders } from '../../lib/mail/headers';
import { cleanBody, parseBounce, type BounceInfo, type CleanBody } from './mail-logic';

/**
 * Everything the intake decides on, read once from the raw message. Addresses are lower case;
 * From is only a claim (anyone can write any From): it picks a contact, never grants rights
 * without a signed token.
 */
export interface InboundMail {
  from: string;
  fromName: string;
  to: string[];
  cc: string[];
  /** Every recipient we can see (To, Cc, Delivered-To, X-Original-To): plus-addresses carry reply tokens. */
  recipients: string[];
  subject: string;
  messageId: string;
  inReplyTo: string[];
  references: string[];
  date: Date;
  headers: MailHeaders;
  automatic: AutomaticVerdict;
  bounce: BounceInfo | null;
  body: CleanBody;
  attachments: ParsedMail['attachments'];
}

export class UnprocessableMailError extends Error {}

function addresses(field: AddressObject | AddressObject[] | undefined): Array<{ address: string; name: string }> {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list.flatMap((a) => a.value).flatMap(function flat(v): Array<{ address: string; name: string }> {
    if (v.group) return v.group.flatMap(flat);
    return v.address ? [{ address: v.address.trim().toLowerCase(), name: v.name ?? '' }] : [];
  });
}

export async function analyseInbound(raw: Buffer, fallbackMessageId: string): Promise<InboundMail> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, { skipImageLinks: true, maxHtmlLengthToParse: 5 * 1024 * 1024 });
  } catch (err) {
    throw new UnprocessableMailError(`MIME parse failed: ${(err as Error).message}`);
  }
  const headers = headersFromLines(parsed.headerLines ?? []);
  const fromList = addresses(parsed.from);
  const from = fromList[0];
  if (!from || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(from.address)) {
    throw new UnprocessableMailError('no usable sender address (From)');
  }
  const to = addresses(parsed.to).map((a) => a.address);
  const cc = addresses(parsed.cc).map((a) => a.address);
  const extra = ['delivered-to', 'x-original-to'].flatMap((n) => headers.all(n)).map((v) => v.replace(/[<>]/g, '').trim().toLowerCase());
  const subject = (parsed.subject ?? '').slice(0, 500);
  const automatic = classifyAutomatic({ headers, subject, from: from.address });
  return {
    from: from.address,
    fromName: from.name.slice(0, 200),
    to,
    cc,
    recipients: [...new Set([...to, ...cc, ...extra])],
    subject,
    messageId: (parsed.messageId ?? fallbackMessageId).toLowerCase(),
    inReplyTo: messageIdsIn(headers.get('in-reply-to')).map((m) => m.toLowerCase()),
    references: messageIdsIn(headers.all('references').join(' ')).map((m) => m.toLowerCase()),
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : new Date(),
    headers,
    automatic,
    bounce: automatic.automatic ? parseBounce(raw) : null,
    body: cleanBody(parsed),
    attachments: parsed.attachments ?? [],
  };
}
