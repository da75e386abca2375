import { parseHeaderBlock, type MailHeaders } from './headers';

/**
 * A small MIME walker for the parts the bounce parser needs (multipart/report and its
 * message/delivery-status, message/rfc822, text/rfc822-headers parts). Not a general parser:
 * mailparser does the real parsing of client mail.
 */
export interface MimePart {
  headers: MailHeaders;
  /** Lower-case type/subtype, default text/plain. */
  contentType: string;
  params: Record<string, string>;
  /** Body after transfer decoding, as latin1/utf-8 text. */
  body: string;
  parts: MimePart[];
}

const MAX_DEPTH = 8;

export function contentTypeOf(value: string | undefined): { type: string; params: Record<string, string> } {
  const v = value ?? 'text/plain';
  const [type, ...rest] = v.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const m = /^\s*([\w*.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]*))/.exec(p);
    if (m) params[m[1].toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { type: type.trim().toLowerCase() || 'text/plain', params };
}

function decode(body: string, encoding: string | undefined): string {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const bytes = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return bytes.toString('utf8');
  }
  return body;
}

export function parseMime(raw: string | Buffer, depth = 0): MimePart {
  const text = (typeof raw === 'string' ? raw : raw.toString('latin1')).replace(/\r\n/g, '\n');
  // a part may have no header at all: it then starts with the empty line
  const split = text.startsWith('\n') ? -1 : text.indexOf('\n\n');
  const headerBlock = text.startsWith('\n') ? '' : split >= 0 ? text.slice(0, split) : text;
  const bodyRaw = text.startsWith('\n') ? text.slice(1) : split >= 0 ? text.slice(split + 2) : '';
  const headers = parseHeaderBlock(headerBlock);
  const { type, params } = contentTypeOf(headers.get('content-type'));
  const part: MimePart = { headers, contentType: type, params, body: '', parts: [] };
  if (type.startsWith('multipart/') && params.boundary && depth < MAX_DEPTH) {
    const delimiter = escapeRegExp(`--${params.boundary}`);
    let body = bodyRaw;
    const close = body.search(new RegExp(`^${delimiter}--[ \\t]*$`, 'm'));
    if (close >= 0) body = body.slice(0, close);
    const chunks = body.split(new RegExp(`^${delimiter}[ \\t]*$`, 'm'));
    // chunks[0] is the preamble
    for (const chunk of chunks.slice(1)) part.parts.push(parseMime(chunk.replace(/^\n/, '').replace(/\n$/, ''), depth + 1));
    return part;
  }
  part.body = decode(bodyRaw, headers.get('content-transfer-encoding'));
  if ((type === 'message/rfc822' || type === 'message/global') && depth < MAX_DEPTH) part.parts.push(parseMime(part.body, depth + 1));
  return part;
}

export function walk(part: MimePart, visit: (p: MimePart) => void): void {
  visit(part);
  for (const p of part.parts) walk(p, visit);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
