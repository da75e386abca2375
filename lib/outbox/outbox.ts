import type { Prisma, PrismaClient } from '../db/prisma';

/**
 * Transactional outbox. A business change that must cause an effect outside PostgreSQL (today:
 * starting a workflow) writes an OutboxEntry in the same transaction. The dispatcher performs
 * the effect idempotently (keyed on `key`, e.g. the workflow id) and only then marks it done,
 * so a crash between commit and effect delays the effect but never loses or doubles it.
 */

export const START_TICKET_WORKFLOW = 'start-ticket-workflow';

export interface OutboxEffect {
  kind: string;
  key: string;
  payload: Prisma.InputJsonValue;
}

type Tx = Pick<PrismaClient, 'outboxEntry'>;

export async function enqueueEffect(tx: Tx, effect: OutboxEffect): Promise<void> {
  await tx.outboxEntry.create({ data: effect });
}

export interface PendingEffect {
  id: string;
  kind: string;
  key: string;
  payload: unknown;
  attempts: number;
}

export async function pendingEffects(prisma: PrismaClient, limit: number, key?: string): Promise<PendingEffect[]> {
  return prisma.outboxEntry.findMany({
    where: { dispatchedAt: null, ...(key ? { key } : {}) },
    orderBy: { createdAt: 'asc' },
    take: limit,
    select: { id: true, kind: true, key: true, payload: true, attempts: true },
  });
}

export async function markDispatched(prisma: PrismaClient, id: string): Promise<void> {
  await prisma.outboxEntry.updateMany({ where: { id, dispatchedAt: null }, data: { dispatchedAt: new Date() } });
}

export async function markFailed(prisma: PrismaClient, id: string, error: string): Promise<void> {
  await prisma.outboxEntry.update({ where: { id }, data: { attempts: { increment: 1 }, lastError: error.slice(0, 2000) } });
}

export async function countPending(prisma: PrismaClient): Promise<number> {
  return prisma.outboxEntry.count({ where: { dispatchedAt: null } });
}
