import crypto from 'node:crypto';
import type { Prisma } from '../../lib/db/prisma';
import { screenAttachments, type RefusedAttachment } from '../../lib/mail/attachments';
import { sanitizeEmailHtml } from '../../lib/mail/html';
import type { AttachmentInput } from '../tickets/ticket-message-service';
import type { InboundMail } from './inbound-analysis';

type Tx = Prisma.TransactionClient;

/** Where the API serves an attachment by id (api/routes/tickets/messages.ts): always as a download. */
export const attachmentDownloadPath = (attachmentId: string) => `/attachments/${attachmentId}`;

/**
 * Attachments of an inbound message through the attachment policy (lib/mail/attachments):
 * stored under server-generated keys, the sender's filename kept as display text only; refused
 * ones are reported so the ticket says what was dropped (the raw message keeps everything).
 *
 * Inline images (a part with a Content-ID, inline or inside multipart/related) are stored like
 * any attachment, and the message's sanitised HTML (`mail.body.html`, rewritten here, before the
 * caller stores it) points its `cid:` images at their download URL; an image that was refused,
 * or is not a raster image by its bytes (an SVG is kept only as an opaque download), is dropped
 * from the HTML.
 */
export async function storeAttachments(
  tx: Tx,
  mail: InboundMail,
  limits: { maxBytes: number; maxCount: number },
): Promise<{ stored: AttachmentInput[]; refused: RefusedAttachment[] }> {
  const { accepted, refused } = await screenAttachments(
    mail.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
      contentId: a.contentId,
      inline: a.contentDisposition === 'inline' || (a.related === true && Boolean(a.contentId)),
    })),
    limits,
  );
  if (accepted.length) {
    await tx.attachmentBlob.createMany({ data: accepted.map((a) => ({ storageKey: a.storageKey, content: new Uint8Array(a.content) })) });
  }
  // The row ids are chosen here so the HTML can name them before the rows are written.
  const stored = accepted.map((a) => ({
    id: crypto.randomUUID(),
    storageKey: a.storageKey,
    fileName: a.displayName,
    contentType: a.contentType,
    size: a.size,
    sha256: a.sha256,
    inline: a.inline,
    contentId: a.contentId ?? undefined,
  }));
  if (mail.body.html && /cid:/i.test(mail.body.html)) {
    const urls = new Map(stored.filter((a) => a.inline && a.contentId).map((a) => [a.contentId!.toLowerCase(), attachmentDownloadPath(a.id)]));
    mail.body.html = sanitizeEmailHtml(mail.body.html, { cidUrl: (cid) => urls.get(cid.toLowerCase()) ?? null });
  }
  return { stored, refused };
}

/** A line per refused attachment, appended to the message text on the ticket. */
export function refusedNote(refused: RefusedAttachment[]): string {
  if (!refused.length) return '';
  return `\n\n[Attachments not kept: ${refused.map((r) => `${r.displayName} (${r.reason}: ${r.detail})`).join('; ')}]`;
}
