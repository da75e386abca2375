import crypto from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { assertClientAccess, clientScope, type Actor } from '../../../lib/access';
import type { Prisma, PrismaClient } from '../../../lib/db/prisma';
import { ConflictError, ForbiddenError, NotFoundError, OperationalError, ValidationError } from '../../../lib/errors';
import { searchAttributes, workflowIds } from '../../../workflows/definitions';
import {
  approveRingUpdate,
  cancelRolloutUpdate,
  pauseRolloutUpdate,
  resumeRolloutUpdate,
  rolloutProgressQuery,
  type ApprovalRequest,
  type DeviceState,
  type PatchSet,
  type RolloutInput,
  type RolloutPolicy,
  type RolloutView,
} from '../../../workflows/rollout/definitions';
import { needsApproval } from '../../../workflows/rollout/rollout-state';
import { assertValidCalendar, type BusinessCalendar } from '../../../workflows/sla/calendar';
import type { RmmRegistry } from '../port';
import { supports, validatePatchSet } from './patch-scripts';

export interface RolloutDeps {
  prisma: PrismaClient;
}

export interface RolloutControlDeps extends RolloutDeps {
  temporal: Client;
  taskQueue: string;
}

const RING_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export function validatePolicy(policy: RolloutPolicy): void {
  if (!Array.isArray(policy.rings) || policy.rings.length === 0) throw new ValidationError('a rollout needs at least one ring');
  const names = new Set<string>();
  for (const ring of policy.rings) {
    if (!RING_NAME.test(ring.name ?? '')) throw new ValidationError(`ring name "${ring.name}" must be lower-case letters, digits and dashes`);
    if (names.has(ring.name)) throw new ValidationError(`ring "${ring.name}" appears twice`);
    names.add(ring.name);
    if (ring.percent !== undefined && !(ring.percent > 0 && ring.percent <= 1)) throw new ValidationError(`ring ${ring.name}: percent must be in (0, 1]`);
    if (ring.maxFailureRate !== undefined && !(ring.maxFailureRate >= 0 && ring.maxFailureRate <= 1)) throw new ValidationError(`ring ${ring.name}: maxFailureRate must be in [0, 1]`);
  }
  if (policy.window) assertValidCalendar(policy.window);
  for (const [key, min] of [['batchSize', 1], ['maxParallelBatches', 1], ['concurrencyPerBatch', 1], ['installAttempts', 1]] as const) {
    const v = policy[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= min && v <= 10_000)) throw new ValidationError(`${key} must be an integer between ${min} and 10000`);
  }
}

/** The maintenance calendar: an inline one, or one of the client's business calendars by id. */
async function resolveWindow(deps: RolloutDeps, clientIds: string[], window: BusinessCalendar | { calendarId: string } | null | undefined): Promise<BusinessCalendar | null> {
  if (!window) return null;
  if ('calendarId' in window) {
    const cal = await deps.prisma.businessCalendar.findUnique({ where: { id: window.calendarId }, include: { holidays: true } });
    if (!cal || (cal.clientId !== null && !clientIds.includes(cal.clientId))) throw new NotFoundError('Calendar');
    return { timezone: cal.timezone, weekly: cal.weeklyHours as unknown as BusinessCalendar['weekly'], holidays: cal.holidays.map((h) => h.date.toISOString().slice(0, 10)).sort() };
  }
  return { ...window, holidays: window.holidays ?? [] };
}

export interface CreateRolloutRequest {
  name: string;
  clientIds: string[];
  patchSet: PatchSet;
  policy: Omit<RolloutPolicy, 'window'> & { window?: BusinessCalendar | { calendarId: string } | null };
}

/** Creates the rollout row and starts its workflow (rollout-<id>); starting twice is a no-op. */
export async function createRollout(deps: RolloutControlDeps, actor: Actor, req: CreateRolloutRequest) {
  if (!req.name?.trim()) throw new ValidationError('name must not be empty');
  const clientIds = [...new Set(req.clientIds)];
  if (clientIds.length === 0) throw new ValidationError('a rollout targets at least one client');
  for (const id of clientIds) assertClientAccess(actor, id);
  const found = await deps.prisma.client.count({ where: { id: { in: clientIds } } });
  if (found !== clientIds.length) throw new NotFoundError('Client');
  validatePatchSet(req.patchSet);
  const policy: RolloutPolicy = { ...req.policy, window: await resolveWindow(deps, clientIds, req.policy.window) };
  validatePolicy(policy);
  const id = crypto.randomUUID();
  const rollout = await deps.prisma.rollout.create({
    data: {
      id,
      name: req.name.trim().slice(0, 200),
      clientIds,
      patchSet: req.patchSet as unknown as Prisma.InputJsonValue,
      policy: policy as unknown as Prisma.InputJsonValue,
      workflowId: workflowIds.rollout(id),
      createdById: actor.kind === 'user' ? actor.userId : null,
    },
  });
  await startRolloutWorkflow(deps, rollout.id);
  return rollout;
}

export async function startRolloutWorkflow(deps: RolloutControlDeps, rolloutId: string): Promise<{ alreadyStarted: boolean }> {
  const r = await deps.prisma.rollout.findUniqueOrThrow({ where: { id: rolloutId } });
  const input: RolloutInput = { rolloutId: r.id, name: r.name, clientIds: r.clientIds, patchSet: r.patchSet as unknown as PatchSet, policy: r.policy as unknown as RolloutPolicy };
  try {
    await deps.temporal.workflow.start('rolloutWorkflow', {
      workflowId: r.workflowId,
      taskQueue: deps.taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: searchAttributes.RolloutId, value: r.id },
        { key: searchAttributes.RolloutStatus, value: 'planning' },
        ...(r.clientIds.length === 1 ? [{ key: searchAttributes.ClientId, value: r.clientIds[0] }] : []),
      ],
      staticSummary: `Patch rollout · ${r.name}`.slice(0, 200),
      staticDetails: `Rollout ${r.id}: ${input.policy.rings.map((x) => x.name).join(' → ')} for ${r.clientIds.length} client(s).`,
    });
    return { alreadyStarted: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { alreadyStarted: true };
    throw new OperationalError(`could not start the rollout workflow: ${(err as Error).message}`, 'temporal', { cause: err });
  }
}

async function loadRollout(deps: RolloutDeps, actor: Actor, rolloutId: string) {
  const r = await deps.prisma.rollout.findUnique({ where: { id: rolloutId } });
  if (!r) throw new NotFoundError('Rollout');
  // A rollout is visible to users who can see every client it targets.
  if (actor.kind === 'user' && !r.clientIds.every((c) => clientScope(actor).clientId?.in.includes(c) ?? true)) throw new NotFoundError('Rollout');
  return r;
}

export async function getRollout(deps: RolloutControlDeps, actor: Actor, rolloutId: string) {
  const r = await loadRollout(deps, actor, rolloutId);
  let progress: RolloutView | null = null;
  try {
    progress = await deps.temporal.workflow.getHandle(r.workflowId).query(rolloutProgressQuery);
  } catch {
    progress = (r.summary as unknown as RolloutView | null) ?? null;
  }
  return { ...r, progress };
}

export async function listRolloutDevices(deps: RolloutDeps, actor: Actor, rolloutId: string, opts: { state?: string; ring?: string; limit?: number; offset?: number }) {
  await loadRollout(deps, actor, rolloutId);
  return deps.prisma.rolloutDevice.findMany({
    where: { rolloutId, ...(opts.state ? { state: opts.state } : {}), ...(opts.ring ? { ring: opts.ring } : {}) },
    orderBy: { deviceId: 'asc' },
    take: Math.min(opts.limit ?? 100, 1000),
    skip: opts.offset ?? 0,
    include: { device: { select: { hostname: true, rmmProvider: true, rmmDeviceId: true, platform: true } } },
  });
}

export async function deviceEvidence(deps: RolloutDeps, actor: Actor, rolloutId: string, deviceId: string) {
  await loadRollout(deps, actor, rolloutId);
  return deps.prisma.rolloutStep.findMany({ where: { rolloutId, deviceId }, orderBy: { startedAt: 'asc' } });
}

async function runUpdate<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new ConflictError((err.cause as Error)?.message ?? err.message);
    if ((err as Error)?.name === 'WorkflowNotFoundError') throw new ConflictError('The rollout workflow is not running');
    throw err;
  }
}

/**
 * Approves the gate before a ring. The one business action behind `POST /rollouts/:id/approve`
 * and, later, the email intake: a reply carrying a signed reply token of kind 'approval'
 * (lib/mail/reply-token.ts, APPROVAL_REPLY_TOKEN_KIND) is verified there, then calls this with
 * a system actor, `via: 'email'` and `by: 'email:<sender>'`.
 */
export async function approveRolloutGate(deps: RolloutControlDeps, actor: Actor, rolloutId: string, req: Omit<ApprovalRequest, 'by'> & { by?: string }): Promise<RolloutView> {
  const r = await loadRollout(deps, actor, rolloutId);
  if (actor.kind === 'user' && actor.role === 'ONBOARDING_MANAGER') throw new ForbiddenError('Only admins and technicians approve rollouts');
  const by = actor.kind === 'user' ? actor.userId : req.by;
  if (!by) throw new ValidationError('an approval needs an approver');
  const policy = r.policy as unknown as RolloutPolicy;
  const index = policy.rings.findIndex((x) => x.name === req.ring);
  if (index < 0) throw new ValidationError(`unknown ring "${req.ring}"`);
  if (!needsApproval(policy.rings[index], index)) throw new ConflictError(`ring "${req.ring}" needs no approval`);
  return runUpdate(() => deps.temporal.workflow.getHandle(r.workflowId).executeUpdate(approveRingUpdate, { args: [{ ring: req.ring, by, via: req.via, comment: req.comment?.slice(0, 1000) }] }));
}

export async function controlRollout(deps: RolloutControlDeps, actor: Actor, rolloutId: string, action: 'pause' | 'resume' | 'cancel', reason?: string): Promise<RolloutView> {
  const r = await loadRollout(deps, actor, rolloutId);
  const by = actor.kind === 'user' ? actor.userId : `system:${actor.component}`;
  const update = { pause: pauseRolloutUpdate, resume: resumeRolloutUpdate, cancel: cancelRolloutUpdate }[action];
  return runUpdate(() => deps.temporal.workflow.getHandle(r.workflowId).executeUpdate(update, { args: [{ by, reason }] }));
}

// ---------------------------------------------------------------- used by the workflow's activities

/** Stable pseudo-random order, so a 5 % canary is spread over the fleet and the same on replan. */
const spread = (rolloutId: string, deviceId: string) => crypto.createHash('sha256').update(`${rolloutId}:${deviceId}`).digest('hex');

/**
 * Fixes ring membership once (idempotent: a second call returns what the first stored). Devices
 * of the targeted clients the patch set applies to; each lands in the first ring that claims it;
 * a ring without a rule takes the rest.
 */
export async function planRollout(deps: RolloutDeps, rolloutId: string): Promise<{ sizes: Record<string, number> }> {
  const existing = await deps.prisma.rolloutDevice.groupBy({ by: ['ring'], where: { rolloutId }, _count: { _all: true } });
  const r = await deps.prisma.rollout.findUniqueOrThrow({ where: { id: rolloutId } });
  const policy = r.policy as unknown as RolloutPolicy;
  if (existing.length === 0) {
    const patchSet = r.patchSet as unknown as PatchSet;
    const devices = (await deps.prisma.device.findMany({ where: { clientId: { in: r.clientIds }, removedAt: null }, select: { id: true, tags: true, platform: true } })).filter((d) =>
      supports(patchSet, d.platform as never),
    );
    const remaining = new Map(devices.map((d) => [d.id, d]));
    const assigned: Array<{ rolloutId: string; deviceId: string; ring: string }> = [];
    const total = devices.length;
    for (const ring of policy.rings) {
      let claimed: string[];
      if (ring.deviceIds?.length) claimed = ring.deviceIds.filter((id) => remaining.has(id));
      else if (ring.tags?.length) claimed = [...remaining.values()].filter((d) => d.tags.some((t) => ring.tags!.includes(t))).map((d) => d.id);
      else if (ring.percent !== undefined) {
        const want = Math.min(remaining.size, Math.max(1, Math.ceil(total * ring.percent)));
        claimed = [...remaining.keys()].sort((a, b) => spread(rolloutId, a).localeCompare(spread(rolloutId, b))).slice(0, want);
      } else claimed = [...remaining.keys()];
      for (const id of claimed) {
        remaining.delete(id);
        assigned.push({ rolloutId, deviceId: id, ring: ring.name });
      }
    }
    for (let i = 0; i < assigned.length; i += 5000) await deps.prisma.rolloutDevice.createMany({ data: assigned.slice(i, i + 5000), skipDuplicates: true });
  }
  const counts = await deps.prisma.rolloutDevice.groupBy({ by: ['ring'], where: { rolloutId }, _count: { _all: true } });
  const sizes: Record<string, number> = Object.fromEntries(policy.rings.map((x) => [x.name, 0]));
  for (const c of counts) sizes[c.ring] = c._count._all;
  await deps.prisma.rollout.update({ where: { id: rolloutId }, data: { status: 'planned' } });
  return { sizes };
}

/** The ring's devices still to do, in id order after `after`. */
export async function ringDevicePage(deps: RolloutDeps, input: { rolloutId: string; ring: string; after: string | null; limit: number }): Promise<string[]> {
  const rows = await deps.prisma.rolloutDevice.findMany({
    where: { rolloutId: input.rolloutId, ring: input.ring, state: { in: ['pending', 'offline'] }, ...(input.after ? { deviceId: { gt: input.after } } : {}) },
    orderBy: { deviceId: 'asc' },
    take: input.limit,
    select: { deviceId: true },
  });
  return rows.map((x) => x.deviceId);
}

/** Which of these devices (our ids) the RMMs report online now. */
export async function onlineDevices(deps: RolloutDeps & { rmm: RmmRegistry }, deviceIds: string[]): Promise<string[]> {
  const rows = await deps.prisma.device.findMany({ where: { id: { in: deviceIds } }, select: { id: true, rmmProvider: true, rmmDeviceId: true } });
  const online: string[] = [];
  const byProvider = new Map<string, typeof rows>();
  for (const row of rows) byProvider.set(row.rmmProvider, [...(byProvider.get(row.rmmProvider) ?? []), row]);
  for (const [provider, list] of byProvider) {
    const port = deps.rmm[provider as keyof RmmRegistry];
    if (!port) continue;
    const live = new Map((await port.listDevices()).map((d) => [d.id, d.online]));
    for (const row of list) if (live.get(row.rmmDeviceId)) online.push(row.id);
  }
  await deps.prisma.device.updateMany({ where: { id: { in: online } }, data: { online: true, lastSeenAt: new Date() } });
  return online;
}

/** Marks devices (or, with null, every device still pending/offline) with a final state. */
export async function markDevices(deps: RolloutDeps, input: { rolloutId: string; deviceIds: string[] | null; state: DeviceState; reason: string }): Promise<number> {
  const where = input.deviceIds ? { rolloutId: input.rolloutId, deviceId: { in: input.deviceIds } } : { rolloutId: input.rolloutId, state: { in: ['pending', 'offline'] } };
  const r = await deps.prisma.rolloutDevice.updateMany({ where, data: { state: input.state, reason: input.reason } });
  return r.count;
}

export async function recordRolloutStatus(deps: RolloutDeps, input: { rolloutId: string; status: string; view: RolloutView; finished: boolean }): Promise<void> {
  await deps.prisma.rollout.update({
    where: { id: input.rolloutId },
    data: { status: input.status, summary: input.view as unknown as Prisma.InputJsonValue, ...(input.finished ? { finishedAt: new Date() } : {}) },
  });
}

export async function recordApproval(deps: RolloutDeps, input: { rolloutId: string } & ApprovalRequest): Promise<void> {
  await deps.prisma.rolloutApproval.upsert({
    where: { rolloutId_ring: { rolloutId: input.rolloutId, ring: input.ring } },
    create: { rolloutId: input.rolloutId, ring: input.ring, approvedBy: input.by, via: input.via, comment: input.comment ?? null },
    update: {},
  });
}

/** "% of devices up to date" per client: devices whose latest rollout step for them succeeded. */
export async function patchCompliance(deps: RolloutDeps, actor: Actor, clientId: string, rolloutId?: string) {
  assertClientAccess(actor, clientId);
  const devices = await deps.prisma.device.count({ where: { clientId, removedAt: null } });
  const where = { device: { clientId, removedAt: null }, ...(rolloutId ? { rolloutId } : {}) };
  const byState = await deps.prisma.rolloutDevice.groupBy({ by: ['state'], where, _count: { _all: true } });
  const counts = Object.fromEntries(byState.map((s) => [s.state, s._count._all])) as Record<string, number>;
  const upToDate = rolloutId
    ? (counts.succeeded ?? 0)
    : await deps.prisma.device.count({ where: { clientId, removedAt: null, rollouts: { some: { state: 'succeeded' } } } });
  const failures = await deps.prisma.rolloutDevice.findMany({
    where: { ...where, state: { in: ['failed', 'missed'] } },
    select: { deviceId: true, rolloutId: true, state: true, reason: true, device: { select: { hostname: true } } },
    take: 200,
  });
  return { clientId, devices, upToDate, percentUpToDate: devices ? Math.round((upToDate / devices) * 1000) / 10 : 0, states: counts, failures };
}
