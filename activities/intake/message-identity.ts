import crypto from 'node:crypto';

/**
 * The identity a message keeps across mailboxes, UIDVALIDITY changes and redeliveries: its
 * Message-ID, or (when the sender sent none) the hash of its bytes. Read straight from the raw
 * header so storing never depends on a full MIME parse succeeding.
 */
export interface MessageIdentity {
  messageIdHeader: string;
  messageIdHash: string;
}

export function headerBlock(raw: Buffer): string {
  const text = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return end === -1 ? text : text.slice(0, end);
}

/** First value of a header, unfolded; '' when absent. */
export function rawHeader(block: string, name: string): string {
  const re = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im');
  const m = re.exec(block);
  return m ? m[1].replace(/\r?\n[ \t]+/g, ' ').trim() : '';
}

export function messageIdentity(raw: Buffer): MessageIdentity {
  const header = rawHeader(headerBlock(raw), 'Message-ID');
  const id = /<[^<>\s]+>/.exec(header)?.[0].toLowerCase();
  if (id) return { messageIdHeader: id, messageIdHash: sha256(`mid:${id}`) };
  const bodyHash = sha256(raw);
  return { messageIdHeader: `<raw-${bodyHash.slice(0, 32)}@mspflow.invalid>`, messageIdHash: sha256(`raw:${bodyHash}`) };
}

function sha256(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}
