import type { NotificationChannel, Prisma, PrismaClient } from '../../lib/db/prisma';
import { OperationalError, UserError, ValidationError, errorKind } from '../../lib/errors';
import type { CrashHook } from '../../lib/crash-points';
import type { Logger } from '../../lib/logger';
import { describeTarget, type NotificationChannelAdapter, type NotificationMessage } from './channels';
import { resolveEmailTarget } from './recipients';

/**
 * Notifications as business actions: which routes an event goes to, and sending it to each of
 * them exactly once per business event.
 *
 * ## The guarantee, and where it stops
 * Each (dedupeKey, route) pair owns one NotificationDelivery row, keyed by the unique
 * idempotencyKey `${dedupeKey}:route-${route.id}`. The row is the ledger:
 *   PENDING, attempts 0   created, never tried
 *   PENDING, attempts n>0 claimed by attempt n, which is sending right now (a lease of
 *                         inFlightLeaseMs, measured from updatedAt)
 *   FAILED                the last attempt failed (lastError says why); the next call retries
 *   SENT                  done (sentAt): no later call sends it again
 * A call claims a row with a compare-and-set on (attempts, status, updatedAt), so of two calls
 * racing on the same delivery (a Temporal retry after a start-to-close timeout while the first
 * attempt still runs, two workers, a duplicated workflow) exactly one sends; the other sees the
 * claim and fails with a retryable error, and its retry then finds SENT. So calling notify again
 * with the same dedupeKey (a retried activity, a restarted worker, a replayed workflow) sends
 * each message once, provided the previous sender got as far as recording the outcome.
 *
 * The remaining window: the HTTP request (or SMTP transaction) and the UPDATE that marks the row
 * SENT cannot be one atomic step. If the worker dies, or PostgreSQL is unreachable, after the
 * target accepted the message but before the row says SENT, the row stays claimed; once the lease
 * expires the next attempt sends again. That is a duplicate, never a loss (at-least-once in that
 * window, exactly-once everywhere else). It is narrowed, not closed:
 * - marking SENT is retried a few times in-process, so a brief database blip does not reopen it;
 * - every resend carries the same delivery id: X-Mspflow-Delivery on webhooks (signed receivers
 *   are asked to dedupe on it), the same Message-ID on email (MUAs collapse duplicates).
 *   Slack and Teams webhooks have no idempotency key, so a resend there shows twice.
 * The lease must exceed the longest send (HTTP timeout, SMTP timeouts) plus clock skew between
 * workers, or a slow but alive attempt could be taken over and the message sent twice.
 */

export interface NotifyDeps {
  prisma: PrismaClient;
  /** Adapters by channel; a route whose channel has no adapter fails (retryably, until deployed). */
  adapters: Partial<Record<NotificationChannel, NotificationChannelAdapter>>;
  log: Logger;
  /** How long a claimed delivery counts as in flight. Default 2 minutes. */
  inFlightLeaseMs?: number;
  now?: () => Date;
  /** Test-only fault injection (CRASH_AT), to prove the ledger across a killed worker. */
  crash?: CrashHook;
}

export interface NotifyInput {
  /** The client the event is about; null/undefined for MSP-wide events (default routes only). */
  clientId?: string | null;
  event: string;
  ticketId?: number | null;
  message: NotificationMessage;
  /** Identifies the business event, e.g. `ticket-42:sla.warning:75`; same on every retry. */
  dedupeKey: string;
}

export type RouteOutcome = {
  routeId: string;
  channel: NotificationChannel;
  /** Where it went, without secrets (origin of a URL, or the email address). */
  target: string;
  deliveryId: string;
  attempts: number;
} & (
  | { outcome: 'sent' | 'already-sent' }
  | { outcome: 'failed'; retryable: boolean; error: string }
);

export interface NotifyResult {
  dedupeKey: string;
  event: string;
  routes: RouteOutcome[];
}

const DEFAULT_LEASE_MS = 120_000;

export type NotificationRoute = Prisma.NotificationRouteModel;

export function deliveryKey(dedupeKey: string, routeId: string): string {
  return `${dedupeKey}:route-${routeId}`;
}

/**
 * The enabled routes for an event: the client's own if it has any for this event (they replace
 * the defaults entirely), else the MSP-wide defaults (clientId null). A disabled client route
 * counts as absent, so disabling it falls back to the defaults rather than muting the event.
 */
export async function routesFor(
  deps: Pick<NotifyDeps, 'prisma'>,
  clientId: string | null | undefined,
  event: string,
): Promise<NotificationRoute[]> {
  const order = [{ createdAt: 'asc' as const }, { id: 'asc' as const }];
  if (clientId) {
    const own = await deps.prisma.notificationRoute.findMany({ where: { clientId, event, enabled: true }, orderBy: order });
    if (own.length > 0) return own;
  }
  return deps.prisma.notificationRoute.findMany({ where: { clientId: null, event, enabled: true }, orderBy: order });
}

/**
 * Sends the message to every route of the event, once per (dedupeKey, route). Routes are
 * independent: all are tried, then, if any failed, notify throws (OperationalError if at least one
 * failure is retryable, so Temporal retries and the routes already SENT are skipped; UserError if
 * every failure is permanent). Returns the outcome per route when all are sent.
 */
export async function notify(deps: NotifyDeps, input: NotifyInput): Promise<NotifyResult> {
  if (!input.dedupeKey?.trim()) throw new ValidationError('dedupeKey must not be empty');
  if (!input.event?.trim()) throw new ValidationError('event must not be empty');
  const log = deps.log.child({ component: 'notify', event: input.event, dedupeKey: input.dedupeKey });
  const routes = await routesFor(deps, input.clientId, input.event);
  if (routes.length === 0) {
    log.debug({ clientId: input.clientId }, 'no notification route for this event');
    return { dedupeKey: input.dedupeKey, event: input.event, routes: [] };
  }
  // Every route runs to its end before notify returns or throws, even if one hits a database error.
  const settled = await Promise.allSettled(routes.map((route) => deliverToRoute(deps, log, route, input)));
  const broken = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (broken) throw broken.reason;
  const outcomes = settled.map((s) => (s as PromiseFulfilledResult<RouteOutcome>).value);
  const failed = outcomes.filter((o): o is Extract<RouteOutcome, { outcome: 'failed' }> => o.outcome === 'failed');
  if (failed.length > 0) {
    const summary = failed.map((f) => `route ${f.routeId} (${f.channel} ${f.target}): ${f.error}`).join('; ');
    const message = `${failed.length} of ${outcomes.length} notification deliveries failed for ${input.event}: ${summary}`;
    if (failed.some((f) => f.retryable)) throw new OperationalError(message, 'notification-channel');
    throw new UserError(message, 'NOTIFICATION_FAILED', { routes: outcomes });
  }
  return { dedupeKey: input.dedupeKey, event: input.event, routes: outcomes };
}

async function deliverToRoute(deps: NotifyDeps, log: Logger, route: NotificationRoute, input: NotifyInput): Promise<RouteOutcome> {
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.inFlightLeaseMs ?? DEFAULT_LEASE_MS;
  const target = describeTarget(route.target);
  const idempotencyKey = deliveryKey(input.dedupeKey, route.id);
  const base = { routeId: route.id, channel: route.channel, target };
  const rlog = log.child({ routeId: route.id, channel: route.channel, target });

  // 1. The ledger row: created once, found on every later call.
  const payload = { message: input.message } as unknown as Prisma.InputJsonValue;
  await deps.prisma.notificationDelivery.createMany({
    data: [
      {
        idempotencyKey,
        channel: route.channel,
        target,
        event: input.event,
        clientId: input.clientId ?? null,
        ticketId: input.ticketId ?? input.message.ticket?.id ?? null,
        payload,
      },
    ],
    skipDuplicates: true,
  });
  const row = await deps.prisma.notificationDelivery.findUniqueOrThrow({ where: { idempotencyKey } });
  const done = { ...base, deliveryId: row.id };
  if (row.status === 'SENT') {
    rlog.debug({ deliveryId: row.id }, 'notification already sent; not sending again');
    return { ...done, attempts: row.attempts, outcome: 'already-sent' };
  }

  // 2. Claim it (compare-and-set), unless another attempt holds a live claim.
  const inFlight = row.status === 'PENDING' && row.attempts > 0 && now().getTime() - row.updatedAt.getTime() < leaseMs;
  const inFlightOutcome = (attempts: number): RouteOutcome => ({
    ...done,
    attempts,
    outcome: 'failed',
    retryable: true,
    error: 'another attempt is sending this notification right now',
  });
  if (inFlight) return inFlightOutcome(row.attempts);
  const attempt = row.attempts + 1;
  const claimed = await deps.prisma.notificationDelivery.updateMany({
    where: { id: row.id, attempts: row.attempts, status: row.status, updatedAt: row.updatedAt },
    data: { attempts: attempt, status: 'PENDING', target, updatedAt: now() },
  });
  if (claimed.count === 0) {
    const current = await deps.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: row.id } });
    if (current.status === 'SENT') return { ...done, attempts: current.attempts, outcome: 'already-sent' };
    return inFlightOutcome(current.attempts);
  }

  // 3. Send the message recorded in the ledger (the first call's), so the row says what went out.
  const message = (row.payload as unknown as { message: NotificationMessage }).message;
  const adapter = deps.adapters[route.channel];
  const ticketId = input.ticketId ?? input.message.ticket?.id ?? null;
  let sentTo = target;
  deps.crash?.('before-notification-send');
  try {
    if (!adapter) throw new Error(`no adapter is configured for channel ${route.channel}`);
    const resolved = route.channel === 'EMAIL' ? await resolveEmailTarget(deps.prisma, route.target, ticketId) : route.target;
    sentTo = describeTarget(resolved);
    await adapter.send({ target: resolved, secret: route.secret, event: input.event, message, idempotencyKey });
  } catch (err) {
    const error = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
    const retryable = errorKind(err) !== 'user';
    // Fenced on our attempt number: a late failure must not overwrite a newer attempt or a SENT.
    await deps.prisma.notificationDelivery
      .updateMany({
        where: { id: row.id, attempts: attempt, status: { not: 'SENT' } },
        data: { status: 'FAILED', lastError: error, target: sentTo, updatedAt: now() },
      })
      .catch((dbErr: unknown) => rlog.error({ err: dbErr, deliveryId: row.id }, 'could not record a failed notification attempt'));
    rlog.warn({ deliveryId: row.id, attempt, retryable, error }, 'notification delivery failed');
    return { ...done, attempts: attempt, outcome: 'failed', retryable, error };
  }

  // 4. Record the send. Retried briefly: a failure here is the duplicate window described above.
  await retrying(3, () =>
    deps.prisma.notificationDelivery.updateMany({
      where: { id: row.id, status: { not: 'SENT' } },
      data: { status: 'SENT', sentAt: now(), lastError: null, target: sentTo, updatedAt: now() },
    }),
  );
  rlog.info({ deliveryId: row.id, attempt }, 'notification sent');
  deps.crash?.('after-notification-recorded');
  return { ...done, attempts: attempt, outcome: 'sent' };
}

async function retrying<T>(times: number, fn: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= times) throw err;
      await new Promise((r) => setTimeout(r, 250 * 2 ** (i - 1)));
    }
  }
}
