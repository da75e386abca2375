import type { FastifyInstance } from 'fastify';
import {
  createNotificationRoute,
  disableNotificationRoute,
  listNotificationRoutes,
  type RouteInput,
} from '../../../activities/notify/route-admin-service';
import type { ApiDeps } from '../../types';
import { createRouteSchema, deleteRouteSchema, listRoutesSchema, routeSchema } from './schemas';

/** Notification routes: where SLA events go per client (tenant and MSP-wide rules in the service). */
export async function notificationRouteRoutes(app: FastifyInstance, deps: ApiDeps) {
  app.addSchema(routeSchema);
  const config = { access: ['ADMIN' as const, 'ONBOARDING_MANAGER' as const] };

  app.post<{ Body: RouteInput }>('/notification-routes', { schema: createRouteSchema, config }, async (request, reply) =>
    reply.status(201).send(await createNotificationRoute(deps, request.actor, request.body)),
  );

  app.get<{ Querystring: { clientId?: string; includeDisabled?: boolean } }>(
    '/notification-routes',
    { schema: listRoutesSchema, config },
    async (request) => ({ items: await listNotificationRoutes(deps, request.actor, request.query) }),
  );

  app.delete<{ Params: { id: string } }>('/notification-routes/:id', { schema: deleteRouteSchema, config }, async (request) =>
    disableNotificationRoute(deps, request.actor, request.params.id),
  );
}
