import type { FastifyInstance } from 'fastify';
import { linkDeviceGroup, syncClientDevices } from '../../../activities/rmm/device-sync';
import { createRmmRegistry } from '../../../activities/rmm/registry';
import { patchCompliance } from '../../../activities/rmm/rollout/rollout-service';
import { assertClientAccess } from '../../../lib/access';
import type { ApiDeps } from '../../types';
import { complianceSchema, linkGroupSchema, listDevicesSchema, syncSchema } from './schemas';

/** Devices: RMM group ↔ client links, sync, listing, patch compliance. */
export async function deviceRoutes(app: FastifyInstance, deps: ApiDeps) {
  // The API talks to the RMMs itself for sync (the worker has its own adapters for rollouts).
  const registry = createRmmRegistry(deps.config, deps.log);
  app.addHook('onClose', () => registry.close());
  const syncDeps = { prisma: deps.prisma, rmm: registry.rmm };
  const managers = { access: ['ADMIN' as const, 'ONBOARDING_MANAGER' as const, 'TECHNICIAN' as const] };

  app.get<{ Querystring: { clientId: string; online?: boolean; limit?: number; offset?: number } }>('/devices', { schema: listDevicesSchema, config: managers }, async (request) => {
    assertClientAccess(request.actor, request.query.clientId);
    const items = await deps.prisma.device.findMany({
      where: { clientId: request.query.clientId, removedAt: null, ...(request.query.online !== undefined ? { online: request.query.online } : {}) },
      orderBy: { hostname: 'asc' },
      take: request.query.limit ?? 200,
      skip: request.query.offset ?? 0,
    });
    return { items };
  });

  app.post<{ Body: { clientId: string; provider: string; groupId: string } }>('/devices/groups', { schema: linkGroupSchema, config: { access: ['ADMIN', 'ONBOARDING_MANAGER'] } }, async (request, reply) =>
    reply.status(201).send(await linkDeviceGroup(syncDeps, request.actor, request.body)),
  );

  app.post<{ Body: { clientId: string } }>('/devices/sync', { schema: syncSchema, config: managers }, async (request) => syncClientDevices(syncDeps, request.actor, request.body.clientId));

  app.get<{ Querystring: { clientId: string; rolloutId?: string } }>('/devices/compliance', { schema: complianceSchema, config: managers }, async (request) =>
    patchCompliance(deps, request.actor, request.query.clientId, request.query.rolloutId),
  );
}
