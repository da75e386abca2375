import net from 'node:net';
import { canAccessClient, type Actor } from '../../lib/access';
import type { NotificationChannel, Prisma, PrismaClient } from '../../lib/db/prisma';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors';
import { describeTarget, isPrivateAddress } from './channels';
import { ASSIGNEE_PLACEHOLDER } from './recipients';
import { isRoutableMailAddress } from '../../lib/mail/address';

/**
 * Notification routes as business actions: where each SLA event goes, per client (clientId
 * null: the MSP-wide defaults, which a client's own routes for the same event replace).
 *
 * Access: a user restricted to some clients manages only those clients' routes (another
 * client's answers 404); MSP-wide routes are an administrator's alone, to read as well as to
 * change (they are not shown to anyone else).
 *
 * Secrets: a WEBHOOK route's HMAC secret is write-only; views say `hasSecret` and never carry
 * it. URL targets carry credentials of their own (a Slack webhook's path, a Teams workflow's
 * `sig=` query), so views show them redacted to their origin, as the delivery ledger does.
 */

export const NOTIFICATION_EVENTS = ['sla.warning', 'sla.breach', 'escalation.L1', 'escalation.L2', 'escalation.L3', 'ticket.new-p1', 'rollout.approval-needed', 'rollout.halted', 'rollout.completed', 'contract.block-threshold'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
export const NOTIFICATION_CHANNELS = ['EMAIL', 'SLACK', 'TEAMS', 'WEBHOOK'] as const satisfies readonly NotificationChannel[];
export const MIN_SECRET_LENGTH = 16;

export interface RouteAdminDeps {
  prisma: PrismaClient;
  config: { notify: { allowPrivateTargets: boolean } };
}

export interface RouteInput {
  clientId?: string | null;
  event: string;
  channel: NotificationChannel;
  target: string;
  secret?: string;
}

export interface RouteView {
  id: string;
  clientId: string | null;
  event: string;
  channel: NotificationChannel;
  /** The email address(es), or the URL redacted to its origin ("https://hooks.slack.com/…"). */
  target: string;
  hasSecret: boolean;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

type RouteRow = Prisma.NotificationRouteModel;

/** The one way a route leaves this module: never with its secret, never with a full URL. */
export function presentRoute(row: RouteRow): RouteView {
  return {
    id: row.id,
    clientId: row.clientId,
    event: row.event,
    channel: row.channel,
    target: row.channel === 'EMAIL' ? row.target : describeTarget(row.target),
    hasSecret: Boolean(row.secret),
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function isAdmin(actor: Actor): boolean {
  return actor.kind === 'system' || actor.role === 'ADMIN';
}

const visibleTo = (actor: Actor, clientId: string | null) => (clientId === null ? isAdmin(actor) : canAccessClient(actor, clientId));

const MAX_RECIPIENTS = 20;

/** Every problem with a route's target for its channel; [] when acceptable. No DNS here: the sender re-checks at send time. */
export function targetProblems(channel: NotificationChannel, target: string, allowPrivateTargets: boolean): string[] {
  if (channel === 'EMAIL') {
    const addresses = target.split(',').map((a) => a.trim());
    if (addresses.length > MAX_RECIPIENTS) return [`target: at most ${MAX_RECIPIENTS} email addresses`];
    const bad = addresses.filter((a) => a !== ASSIGNEE_PLACEHOLDER && !isRoutableMailAddress(a));
    return bad.length
      ? [
          `target: an EMAIL route needs email addresses (comma-separated) or ${ASSIGNEE_PLACEHOLDER} for the ticket's assignee; ` +
            `not an address: ${bad.map((a) => JSON.stringify(a)).join(', ')}`,
        ]
      : [];
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return [`target: a ${channel} route needs an https URL`];
  }
  const problems: string[] = [];
  if (url.protocol === 'http:') {
    if (!allowPrivateTargets) problems.push(`target: a ${channel} route needs an https URL (http is allowed only with NOTIFY_ALLOW_PRIVATE_TARGETS=true)`);
  } else if (url.protocol !== 'https:') {
    problems.push(`target: a ${channel} route needs an https URL, not ${url.protocol}`);
  }
  if (url.username || url.password) problems.push('target: the URL must not carry credentials before the host (user:password@)');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const local = host === 'localhost' || host.endsWith('.localhost') || (net.isIP(host) !== 0 && isPrivateAddress(host));
  if (local && !allowPrivateTargets) {
    problems.push(`target: ${describeTarget(target)} is a loopback or private address; refused (NOTIFY_ALLOW_PRIVATE_TARGETS is off)`);
  }
  return problems;
}

export async function createNotificationRoute(deps: RouteAdminDeps, actor: Actor, input: RouteInput): Promise<RouteView> {
  const clientId = input.clientId ?? null;
  if (clientId === null && !isAdmin(actor)) throw new ForbiddenError('Only an administrator can create MSP-wide notification routes (clientId null)');
  if (clientId !== null) {
    const client = await deps.prisma.client.findUnique({ where: { id: clientId }, select: { id: true } });
    if (!client || !canAccessClient(actor, clientId)) throw new NotFoundError(`Client ${clientId}`);
  }
  const target = input.target.trim();
  const problems: string[] = [];
  if (!(NOTIFICATION_EVENTS as readonly string[]).includes(input.event)) {
    problems.push(`event: ${JSON.stringify(input.event)} is not one of ${NOTIFICATION_EVENTS.join(', ')}`);
  }
  if (!(NOTIFICATION_CHANNELS as readonly string[]).includes(input.channel)) {
    problems.push(`channel: ${JSON.stringify(input.channel)} is not one of ${NOTIFICATION_CHANNELS.join(', ')}`);
  } else {
    problems.push(...targetProblems(input.channel, target, deps.config.notify.allowPrivateTargets));
  }
  if (input.channel === 'WEBHOOK') {
    if (!input.secret) problems.push('secret: a WEBHOOK route needs an HMAC secret (mspflow sends signed webhooks only)');
    else if (input.secret.length < MIN_SECRET_LENGTH) problems.push(`secret: must be at least ${MIN_SECRET_LENGTH} characters`);
  } else if (input.secret !== undefined) {
    problems.push(`secret: only WEBHOOK routes are signed; a ${input.channel} route takes no secret`);
  }
  // Never echo the secret in an error: problems name the rule, not the value.
  if (problems.length > 0) throw new ValidationError(`Invalid notification route: ${problems.join('; ')}`, { problems });
  const row = await deps.prisma.notificationRoute.create({
    data: { clientId, event: input.event, channel: input.channel, target, secret: input.channel === 'WEBHOOK' ? input.secret : null },
  });
  return presentRoute(row);
}

/**
 * Routes the caller may see: with clientId, that client's; without, every client route it can
 * see, plus the MSP-wide defaults for an administrator. Enabled ones only unless asked.
 */
export async function listNotificationRoutes(
  deps: Pick<RouteAdminDeps, 'prisma'>,
  actor: Actor,
  filter: { clientId?: string; includeDisabled?: boolean } = {},
): Promise<RouteView[]> {
  if (filter.clientId) {
    const client = await deps.prisma.client.findUnique({ where: { id: filter.clientId }, select: { id: true } });
    if (!client || !canAccessClient(actor, filter.clientId)) throw new NotFoundError(`Client ${filter.clientId}`);
  }
  const scope: Prisma.NotificationRouteWhereInput = filter.clientId
    ? { clientId: filter.clientId }
    : isAdmin(actor) || (actor.kind === 'user' && actor.clientIds === 'all')
      ? {}
      : { clientId: { in: actor.kind === 'user' && Array.isArray(actor.clientIds) ? actor.clientIds : [] } };
  const rows = await deps.prisma.notificationRoute.findMany({
    where: { ...scope, ...(filter.includeDisabled ? {} : { enabled: true }) },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.filter((r) => visibleTo(actor, r.clientId)).map(presentRoute);
}

/** Soft delete: the route stops receiving events (enabled=false) but stays for the record. Idempotent. */
export async function disableNotificationRoute(deps: Pick<RouteAdminDeps, 'prisma'>, actor: Actor, id: string): Promise<RouteView> {
  const row = await deps.prisma.notificationRoute.findUnique({ where: { id } });
  if (!row || !visibleTo(actor, row.clientId)) throw new NotFoundError(`Notification route ${id}`);
  if (!row.enabled) return presentRoute(row);
  return presentRoute(await deps.prisma.notificationRoute.update({ where: { id }, data: { enabled: false } }));
}
