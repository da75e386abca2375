import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { installErrorHandler } from './error-handler';
import { authPlugin } from './plugins/auth';
import { clientRoutes } from './routes/clients';
import { healthRoutes } from './routes/health';
import { ticketRoutes } from './routes/tickets';
import { ticketLifecycleRoutes } from './routes/tickets/lifecycle';
import { ticketMessageRoutes } from './routes/tickets/messages';
import { userRoutes } from './routes/users';
import { slaRoutes } from './routes/sla';
import { notificationRouteRoutes } from './routes/notification-routes';
import { notificationDeliveryRoutes } from './routes/notification-deliveries';
import { rolloutRoutes } from './routes/rollouts';
import { deviceRoutes } from './routes/devices';
import { onboardingRoutes } from './routes/onboarding';
import { mailIntakeRoutes } from './routes/mail-intake';
import { reportRoutes } from './routes/reports';
import { contractRoutes } from './routes/contracts';
import { timeEntryRoutes } from './routes/time-entries';
import { invoiceRoutes } from './routes/invoices';
import { kpiRoutes } from './routes/kpis';
import { errorResponse } from './schemas/common';
import type { ApiDeps } from './types';

export const DOCS_PREFIX = '/docs';

/**
 * Builds the HTTP API: external plugins (OpenAPI), then app plugins (auth), then routes.
 * Tests call this too and talk to it with app.inject().
 */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: 2 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  });
  installErrorHandler(app);
  app.addSchema(errorResponse);

  await app.register(swagger, {
    openapi: {
      info: { title: 'mspflow API', version: '0.1.0', description: 'Tickets, clients and workflows of mspflow' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(authPlugin, { prisma: deps.prisma, docsPrefix: DOCS_PREFIX });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });

  await app.register(async (scope) => healthRoutes(scope, deps));
  await app.register(async (scope) => clientRoutes(scope, deps));
  await app.register(async (scope) => userRoutes(scope, deps));
  await app.register(async (scope) => slaRoutes(scope, deps));
  await app.register(async (scope) => notificationRouteRoutes(scope, deps));
  await app.register(async (scope) => notificationDeliveryRoutes(scope, deps));
  await app.register(async (scope) => rolloutRoutes(scope, deps));
  await app.register(async (scope) => deviceRoutes(scope, deps));
  await app.register(async (scope) => onboardingRoutes(scope, deps));
  await app.register(async (scope) => mailIntakeRoutes(scope, deps));
  await app.register(async (scope) => reportRoutes(scope, deps));
  // Contracts, time and invoices (issue 7)
  await app.register(async (scope) => contractRoutes(scope, deps));
  await app.register(async (scope) => timeEntryRoutes(scope, deps));
  await app.register(async (scope) => invoiceRoutes(scope, deps));
  await app.register(async (scope) => kpiRoutes(scope, deps));
  await app.register(async (scope) => {
    await ticketRoutes(scope, deps);
    await ticketLifecycleRoutes(scope, deps);
    await ticketMessageRoutes(scope, deps);
  });
  return app;
}
