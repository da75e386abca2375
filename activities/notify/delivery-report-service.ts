import type { Actor } from '../../lib/access';
import type { DeliveryStatus, NotificationChannel, Prisma, PrismaClient } from '../../lib/db/prisma';
import { NotFoundError } from '../../lib/errors';

/**
 * What happened to notifications: the delivery ledger as people read it, so a notification that
 * failed after its retries (an expired webhook, a refused address) is seen, not lost in logs.
 * Tenant rules as for routes: a user sees the deliveries of the clients they may access;
 * MSP-wide events (no client) are an administrator's alone.
 */

export interface DeliveryQuery {
  status?: DeliveryStatus;
  clientId?: string;
  ticketId?: number;
  event?: string;
  /** Newest first; at most this many (default 50, max 200). */
  limit?: number;
}

export interface DeliveryView {
  id: string;
  clientId: string | null;
  ticketId: number | null;
  event: string;
  channel: NotificationChannel;
  /** Email address(es) or the URL redacted to its origin, as the sender saw it. */
  target: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  title: string | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
}

const isAdmin = (actor: Actor) => actor.kind === 'system' || actor.role === 'ADMIN';

function visibleClients(actor: Actor): Prisma.NotificationDeliveryWhereInput {
  if (isAdmin(actor)) return {};
  if (actor.kind === 'user' && actor.clientIds !== 'all') return { clientId: { in: actor.clientIds } };
  return { clientId: { not: null } };
}

export async function listNotificationDeliveries(
  deps: { prisma: PrismaClient },
  actor: Actor,
  query: DeliveryQuery,
): Promise<DeliveryView[]> {
  if (query.clientId && actor.kind === 'user' && !isAdmin(actor) && actor.clientIds !== 'all' && !actor.clientIds.includes(query.clientId)) {
    throw new NotFoundError('No such client');
  }
  const rows = await deps.prisma.notificationDelivery.findMany({
    where: {
      AND: [
        visibleClients(actor),
        query.clientId ? { clientId: query.clientId } : {},
        query.status ? { status: query.status } : {},
        query.ticketId !== undefined ? { ticketId: query.ticketId } : {},
        query.event ? { event: query.event } : {},
      ],
    },
    orderBy: [{ updatedAt: 'desc' }, { id: 'asc' }],
    take: Math.min(Math.max(query.limit ?? 50, 1), 200),
  });
  return rows.map((row) => ({
    id: row.id,
    clientId: row.clientId,
    ticketId: row.ticketId,
    event: row.event,
    channel: row.channel,
    target: row.target,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    title: titleOf(row.payload),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    sentAt: row.sentAt,
  }));
}

function titleOf(payload: Prisma.JsonValue): string | null {
  const title = (payload as { message?: { title?: unknown } } | null)?.message?.title;
  return typeof title === 'string' ? title : null;
}
