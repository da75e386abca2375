import crypto from 'node:crypto';
import type { Prisma } from '../../lib/db/prisma';
import type { AttachmentInput } from '../tickets/ticket-message-service';
import type { InboundMail } from './inbound-analysis';

type Tx = Prisma.TransactionClient;

/**
 * Attachments of an inbound message, kept under server-generated keys (the sender's filename
 * is display text only, cleaned), within the size and count limits; the rest is listed in the
 * ticket's text as dropped, never silently lost (the raw message keeps everything).
 */
export async function storeAttachments(tx: Tx, mail: InboundMail, limits: { maxBytes: number; maxCount: number }): Promise<AttachmentInput[]> {
  const out: AttachmentInput[] = [];
  for (const att of mail.attachments) {
    if (out.length >= limits.maxCount || att.size > limits.maxBytes || !att.content) continue;
    const storageKey = `att/${crypto.randomUUID()}`;
    await tx.attachmentBlob.create({ data: { storageKey, content: new Uint8Array(att.content) } });
    out.push({
      storageKey,
      fileName: displayName(att.filename),
      contentType: safeContentType(att.contentType),
      size: att.size,
      sha256: crypto.createHash('sha256').update(att.content).digest('hex'),
      inline: att.contentDisposition === 'inline' && Boolean(att.contentId),
      contentId: att.contentId?.replace(/[<>]/g, '').slice(0, 200),
    });
  }
  return out;
}

/** A name to show, never a path: no directories, control characters or leading dots. */
export function displayName(name: string | undefined): string {
  const base = String(name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base
    .normalize('NFKC')
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069"<>:|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 150);
  return clean || 'attachment';
}

/** Served only as downloads anyway; an unknown or odd type becomes application/octet-stream. */
function safeContentType(type: string | undefined): string {
  const t = String(type ?? '').toLowerCase().trim();
  return /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(t) ? t : 'application/octet-stream';
}
