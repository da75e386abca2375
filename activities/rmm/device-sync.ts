import { assertClientAccess, type Actor } from '../../lib/access';
import { isUniqueViolation, type Prisma, type PrismaClient } from '../../lib/db/prisma';
import { ConflictError, NotFoundError, OperationalError, ValidationError } from '../../lib/errors';
import type { PresenceEvent, RmmProviderName, RmmRegistry } from './port';

export interface DeviceSyncDeps {
  prisma: PrismaClient;
  rmm: RmmRegistry;
}

const PROVIDERS: RmmProviderName[] = ['meshcentral', 'tactical', 'simulator'];

function portFor(deps: DeviceSyncDeps, provider: string) {
  if (!PROVIDERS.includes(provider as RmmProviderName)) throw new ValidationError(`unknown RMM provider "${provider}"; one of ${PROVIDERS.join(', ')}`);
  const port = deps.rmm[provider as RmmProviderName];
  if (!port) throw new OperationalError(`the ${provider} RMM is not configured`, provider);
  return port;
}

/** Links an RMM device group to a client: its devices are synced under that client. */
export async function linkDeviceGroup(deps: DeviceSyncDeps, actor: Actor, input: { clientId: string; provider: string; groupId: string }) {
  assertClientAccess(actor, input.clientId);
  const client = await deps.prisma.client.findUnique({ where: { id: input.clientId } });
  if (!client) throw new NotFoundError('Client');
  const port = portFor(deps, input.provider);
  const group = (await port.listGroups()).find((g) => g.id === input.groupId);
  if (!group) throw new NotFoundError(`${input.provider} device group`);
  try {
    return await deps.prisma.rmmDeviceGroup.create({ data: { clientId: input.clientId, rmmProvider: input.provider, rmmGroupId: group.id, name: group.name } });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError('This device group is already linked to a client');
    throw err;
  }
}

export interface SyncResult {
  clientId: string;
  groups: number;
  created: number;
  updated: number;
  removed: number;
  online: number;
}

/**
 * Brings a client's devices in line with its RMM groups: new devices created, known ones
 * updated (name, OS, online state), devices gone from the RMM marked removed (kept for history).
 * Idempotent: keyed on (provider, RMM device id), a unique constraint.
 */
export async function syncClientDevices(deps: DeviceSyncDeps, actor: Actor, clientId: string): Promise<SyncResult> {
  assertClientAccess(actor, clientId);
  const groups = await deps.prisma.rmmDeviceGroup.findMany({ where: { clientId } });
  const result: SyncResult = { clientId, groups: groups.length, created: 0, updated: 0, removed: 0, online: 0 };
  for (const group of groups) {
    const port = portFor(deps, group.rmmProvider);
    const devices = await port.listDevices(group.rmmGroupId);
    const known = new Map(
      (await deps.prisma.device.findMany({ where: { rmmProvider: group.rmmProvider, rmmGroupId: group.rmmGroupId }, select: { id: true, rmmDeviceId: true, clientId: true } })).map((d) => [d.rmmDeviceId, d]),
    );
    const now = new Date();
    const fresh: Prisma.DeviceCreateManyInput[] = [];
    const updates: Prisma.PrismaPromise<unknown>[] = [];
    for (const d of devices) {
      const data = { hostname: d.hostname || d.name, os: d.os, platform: d.platform, ips: d.ips, online: d.online, lastSeenAt: d.online ? now : d.lastSeenAt, rmmGroupId: group.rmmGroupId, removedAt: null, clientId };
      if (known.has(d.id)) {
        updates.push(deps.prisma.device.update({ where: { id: known.get(d.id)!.id }, data }));
        known.delete(d.id);
        result.updated += 1;
      } else {
        fresh.push({ ...data, rmmProvider: group.rmmProvider, rmmDeviceId: d.id });
      }
      if (d.online) result.online += 1;
    }
    for (let i = 0; i < fresh.length; i += 2000) result.created += (await deps.prisma.device.createMany({ data: fresh.slice(i, i + 2000), skipDuplicates: true })).count;
    for (let i = 0; i < updates.length; i += 500) await deps.prisma.$transaction(updates.slice(i, i + 500));
    const gone = [...known.values()].map((d) => d.id);
    if (gone.length) result.removed = (await deps.prisma.device.updateMany({ where: { id: { in: gone }, removedAt: null }, data: { removedAt: now, online: false } })).count;
    await deps.prisma.rmmDeviceGroup.update({ where: { id: group.id }, data: { lastSyncedAt: now } });
  }
  return result;
}

/** Stores an online/offline event from an RMM on the device row. */
export async function recordPresence(deps: Pick<DeviceSyncDeps, 'prisma'>, provider: RmmProviderName, event: PresenceEvent): Promise<void> {
  await deps.prisma.device.updateMany({
    where: { rmmProvider: provider, rmmDeviceId: event.deviceId },
    data: { online: event.online, ...(event.online ? { lastSeenAt: event.at } : {}) },
  });
}

/** Keeps Device.online current from every adapter's presence events; returns the stop function. */
export function followPresence(deps: DeviceSyncDeps, onError: (err: unknown) => void): () => void {
  const stops = Object.values(deps.rmm).map((port) => port!.onPresence((e) => void recordPresence(deps, port!.provider, e).catch(onError)));
  return () => stops.forEach((stop) => stop());
}
