import { isUniqueViolation, type PrismaClient } from '../../lib/db/prisma';
import type { OutboundMail } from '../../generated/prisma/client';

/**
 * The OutboundMail ledger: one row per business key, written BEFORE the SMTP transaction. For
 * automatic mail the row is written under a per-recipient advisory lock, after checking the
 * suppression list and counting the recipient's automatic mail in the sliding window, so two
 * processes answering the same address at once cannot both squeeze under the budget.
 */
export interface NewOutbound {
  idempotencyKey: string;
  messageId: string;
  template: string;
  locale: string;
  recipient: string;
  to: string[];
  cc: string[];
  envelopeFrom: string;
  subject: string;
  automatic: boolean;
  /** Counts against (and is checked against) the recipient's budget. */
  budgeted: boolean;
  ticketId: number | null;
}

export interface BudgetRule {
  count: number;
  windowMinutes: number;
}

/** Finds the row of this key, or writes it (status SENDING, SUPPRESSED or OVER_BUDGET). */
export async function claimOutbound(
  prisma: PrismaClient,
  data: NewOutbound,
  budget: BudgetRule,
  now: Date,
): Promise<{ row: OutboundMail; created: boolean }> {
  const existing = await prisma.outboundMail.findUnique({ where: { idempotencyKey: data.idempotencyKey } });
  if (existing) return { row: existing, created: false };
  try {
    if (!data.automatic) {
      // a person's message: no suppression, no budget
      return { row: await prisma.outboundMail.create({ data: { ...data, createdAt: now } }), created: true };
    }
    return await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('mspflow-auto-mail'), hashtext(${data.recipient}))`;
      const again = await tx.outboundMail.findUnique({ where: { idempotencyKey: data.idempotencyKey } });
      if (again) return { row: again, created: false };
      const suppressed = await tx.mailSuppression.findFirst({ where: { address: data.recipient, until: { gt: now } } });
      let status: 'SENDING' | 'SUPPRESSED' | 'OVER_BUDGET' = 'SENDING';
      let lastError: string | null = null;
      if (suppressed) {
        status = 'SUPPRESSED';
        lastError = `suppressed until ${suppressed.until.toISOString()}: ${suppressed.reason}`;
      } else if (data.budgeted) {
        const since = new Date(now.getTime() - budget.windowMinutes * 60_000);
        const used = await tx.outboundMail.count({
          where: { recipient: data.recipient, budgeted: true, status: { in: ['SENDING', 'SENT'] }, createdAt: { gt: since } },
        });
        if (used >= budget.count) {
          status = 'OVER_BUDGET';
          lastError = `${used} automatic mails to this address in the last ${budget.windowMinutes} min (budget ${budget.count})`;
        }
      }
      const row = await tx.outboundMail.create({ data: { ...data, status, lastError, createdAt: now } });
      return { row, created: true };
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // the same key written concurrently by another caller
    return { row: await prisma.outboundMail.findUniqueOrThrow({ where: { idempotencyKey: data.idempotencyKey } }), created: false };
  }
}

/**
 * Takes the right to run the SMTP transaction for a SENDING row for `leaseMs` (false when another
 * caller holds it): the same key sent concurrently produces one transaction, not two.
 */
export async function leaseOutbound(prisma: PrismaClient, id: string, now: Date, leaseMs: number): Promise<boolean> {
  const { count } = await prisma.outboundMail.updateMany({
    where: { id, status: 'SENDING', OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] },
    data: { leaseUntil: new Date(now.getTime() + leaseMs), attempts: { increment: 1 } },
  });
  return count === 1;
}

export async function markSent(prisma: PrismaClient, id: string, response: string, now: Date): Promise<void> {
  await prisma.outboundMail.update({
    where: { id },
    data: { status: 'SENT', smtpResponse: response.slice(0, 500), sentAt: now, leaseUntil: null, lastError: null },
  });
}

export async function markFailed(prisma: PrismaClient, id: string, error: string, permanent: boolean): Promise<void> {
  await prisma.outboundMail.update({
    where: { id },
    data: { ...(permanent ? { status: 'FAILED' as const } : {}), lastError: error.slice(0, 1000), leaseUntil: null },
  });
}

/** Our sent mail by Message-ID (threading: In-Reply-To/References pointing at our messages). */
export async function findOutboundByMessageIds(prisma: PrismaClient, messageIds: readonly string[]): Promise<OutboundMail[]> {
  if (!messageIds.length) return [];
  return prisma.outboundMail.findMany({ where: { messageId: { in: [...new Set(messageIds)] } } });
}
