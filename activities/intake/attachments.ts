import type { Prisma } from '../../lib/db/prisma';
import { screenAttachments, type RefusedAttachment } from '../../lib/mail/attachments';
import type { AttachmentInput } from '../tickets/ticket-message-service';
import type { InboundMail } from './inbound-analysis';

type Tx = Prisma.TransactionClient;

/**
 * Attachments of an inbound message through the attachment policy (lib/mail/attachments):
 * stored under server-generated keys, the sender's filename kept as display text only; refused
 * ones are reported so the ticket says what was dropped (the raw message keeps everything).
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
      inline: a.contentDisposition === 'inline',
    })),
    limits,
  );
  if (accepted.length) {
    await tx.attachmentBlob.createMany({ data: accepted.map((a) => ({ storageKey: a.storageKey, content: new Uint8Array(a.content) })) });
  }
  const stored = accepted.map((a) => ({
    storageKey: a.storageKey,
    fileName: a.displayName,
    contentType: a.contentType,
    size: a.size,
    sha256: a.sha256,
    inline: a.inline,
    contentId: a.contentId ?? undefined,
  }));
  return { stored, refused };
}

/** A line per refused attachment, appended to the message text on the ticket. */
export function refusedNote(refused: RefusedAttachment[]): string {
  if (!refused.length) return '';
  return `\n\n[Attachments not kept: ${refused.map((r) => `${r.displayName} (${r.reason}: ${r.detail})`).join('; ')}]`;
}
