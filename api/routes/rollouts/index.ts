import type { FastifyInstance } from 'fastify';
import {
  approveRolloutGate,
  controlRollout,
  createRollout,
  deviceEvidence,
  getRollout,
  listRolloutDevices,
  type CreateRolloutRequest,
} from '../../../activities/rmm/rollout/rollout-service';
import type { ApiDeps } from '../../types';
import { approveSchema, controlSchema, createRolloutSchema, evidenceSchema, getRolloutSchema, listRolloutDevicesSchema } from './schemas';

/** Patch rollouts: create, follow, approve ring gates, pause / resume / cancel. */
export async function rolloutRoutes(app: FastifyInstance, deps: ApiDeps) {
  const staff = { access: ['ADMIN' as const, 'TECHNICIAN' as const] };
  const readers = { access: ['ADMIN' as const, 'TECHNICIAN' as const, 'ONBOARDING_MANAGER' as const] };
  const control = () => ({ prisma: deps.prisma, temporal: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue });

  app.post<{ Body: CreateRolloutRequest }>('/rollouts', { schema: createRolloutSchema, config: staff }, async (request, reply) =>
    reply.status(201).send(await createRollout(control(), request.actor, request.body)),
  );

  app.get<{ Params: { id: string } }>('/rollouts/:id', { schema: getRolloutSchema, config: readers }, async (request) => getRollout(control(), request.actor, request.params.id));

  app.get<{ Params: { id: string }; Querystring: { state?: string; ring?: string; limit?: number; offset?: number } }>(
    '/rollouts/:id/devices',
    { schema: listRolloutDevicesSchema, config: readers },
    async (request) => ({ items: await listRolloutDevices(deps, request.actor, request.params.id, request.query) }),
  );

  app.get<{ Params: { id: string; deviceId: string } }>('/rollouts/:id/devices/:deviceId/evidence', { schema: evidenceSchema, config: readers }, async (request) => ({
    items: await deviceEvidence(deps, request.actor, request.params.id, request.params.deviceId),
  }));

  app.post<{ Params: { id: string }; Body: { ring: string; comment?: string } }>('/rollouts/:id/approve', { schema: approveSchema, config: staff }, async (request) =>
    approveRolloutGate(control(), request.actor, request.params.id, { ring: request.body.ring, comment: request.body.comment, via: 'api' }),
  );

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
      `/rollouts/:id/${action}`,
      { schema: controlSchema(action[0].toUpperCase() + action.slice(1)), config: staff },
      async (request) => controlRollout(control(), request.actor, request.params.id, action, request.body?.reason),
    );
  }
}
