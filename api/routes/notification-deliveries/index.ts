import type { FastifyInstance } from 'fastify';
import { listNotificationDeliveries, type DeliveryQuery } from '../../../activities/notify/delivery-report-service';
import type { ApiDeps } from '../../types';
import { deliverySchema, listDeliveriesSchema } from './schemas';

/** The notification delivery ledger, read-only: what was sent, what failed and why. */
export async function notificationDeliveryRoutes(app: FastifyInstance, deps: ApiDeps) {
  app.addSchema(deliverySchema);
  app.get<{ Querystring: DeliveryQuery }>(
    '/notification-deliveries',
    { schema: listDeliveriesSchema, config: { access: ['ADMIN', 'TECHNICIAN', 'ONBOARDING_MANAGER'] } },
    async (request) => ({ items: await listNotificationDeliveries(deps, request.actor, request.query) }),
  );
}
