import type { Prisma } from '../../lib/db/prisma';
import { UserError } from '../../lib/errors';
import { screenAttachments } from '../../lib/mail/attachments';
import { findReplyTokens, verifyReplyToken, type ReplyTokenClaims } from '../../lib/mail/reply-token';
import { APPROVAL_REPLY_TOKEN_KIND, parseApprovalReplyEntity, type RolloutPolicy } from '../../workflows/rollout/definitions';
import { recordClientReplyForItem } from '../onboarding/onboarding-service';
import { APPROVE_ROLLOUT_BY_EMAIL, type EmailApprovalEffect } from '../rmm/rollout/approval-by-email';
import type { InboundMail } from './inbound-analysis';
import { refusedNote } from './attachments';
import type { ThreadingKeys } from './threading';

type Tx = Prisma.TransactionClient;

export interface TokenReplyDecision {
  outcome: 'onboarding-reply' | 'rollout-approval';
  clientId: string | null;
}

/**
 * Replies whose reply token names something other than a ticket, handled inside the intake's
 * transaction:
 * - kind 'onboarding' (a "please send us X" email): the reply and its attachments (screened by
 *   the ticket attachment policy) become the onboarding item's evidence (recordClientReplyForItem);
 * - kind 'approval' (a rollout's approval-needed email): the ring is approved through the outbox
 *   (approveRolloutGate after the commit), only if the sender is an active admin or technician.
 * The token must verify for the sender's address (it is signed for the recipient); anything else
 * (no such token, a forged or altered one, someone who may not act on it) returns null and the
 * message is handled as ordinary mail. Automatic mail never gets here.
 */
export async function handleTokenReply(
  tx: Tx,
  mail: InboundMail,
  opts: { keys: ThreadingKeys; attachments: { maxBytes: number; maxCount: number }; sourceKey: string },
): Promise<TokenReplyDecision | null> {
  const tokens = findReplyTokens({ recipients: mail.recipients, inReplyTo: mail.inReplyTo, references: mail.references }, opts.keys);
  for (const token of tokens) {
    const verdict = verifyReplyToken(opts.keys.secrets, token, mail.from);
    if (!verdict.ok) continue;
    if (verdict.claims.kind === 'onboarding') {
      const decision = await onboardingReply(tx, mail, verdict.claims, opts.attachments);
      if (decision) return decision;
    }
    if (verdict.claims.kind === APPROVAL_REPLY_TOKEN_KIND) {
      const decision = await approvalReply(tx, mail, verdict.claims, opts.sourceKey);
      if (decision) return decision;
    }
  }
  return null;
}

async function onboardingReply(tx: Tx, mail: InboundMail, claims: ReplyTokenClaims, limits: { maxBytes: number; maxCount: number }): Promise<TokenReplyDecision | null> {
  if (claims.role !== 'contact' || !(await tx.onboardingItem.findUnique({ where: { id: claims.entityId }, select: { id: true } }))) return null;
  const { accepted, refused } = await screenAttachments(
    mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content, contentId: a.contentId, inline: a.contentDisposition === 'inline' })),
    limits,
  );
  try {
    const r = await recordClientReplyForItem(
      { prisma: tx },
      {
        itemId: claims.entityId,
        from: mail.from,
        messageId: mail.messageId,
        text: mail.body.text + refusedNote(refused),
        attachments: accepted.map((a) => ({ fileName: a.displayName, contentType: a.contentType, content: a.content })),
      },
    );
    return { outcome: 'onboarding-reply', clientId: r.clientId };
  } catch (err) {
    if (err instanceof UserError) return null; // not a contact of that onboarding: ordinary mail
    throw err;
  }
}

async function approvalReply(tx: Tx, mail: InboundMail, claims: ReplyTokenClaims, sourceKey: string): Promise<TokenReplyDecision | null> {
  const target = parseApprovalReplyEntity(claims.entityId);
  if (claims.role !== 'staff' || !target) return null;
  const approver = await tx.user.findFirst({
    where: { email: { equals: mail.from, mode: 'insensitive' }, active: true, role: { in: ['ADMIN', 'TECHNICIAN'] } },
    select: { id: true },
  });
  if (!approver) return null;
  const rollout = await tx.rollout.findUnique({ where: { id: target.rolloutId }, select: { policy: true, clientIds: true } });
  const ring = (rollout?.policy as unknown as RolloutPolicy | undefined)?.rings[target.ringIndex];
  if (!rollout || !ring) return null;
  const effect: EmailApprovalEffect = { rolloutId: target.rolloutId, ring: ring.name, by: `email:${mail.from}` };
  await tx.outboxEntry.create({ data: { kind: APPROVE_ROLLOUT_BY_EMAIL, key: `rollout-approval:${sourceKey}`, payload: { ...effect } } });
  return { outcome: 'rollout-approval', clientId: rollout.clientIds.length === 1 ? rollout.clientIds[0] : null };
}
