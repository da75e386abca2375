import fp from 'fastify-plugin';
import type { PrismaClient } from '../../lib/db/prisma';
import { ForbiddenError, UnauthorizedError } from '../../lib/errors';
import { actorForToken } from '../../lib/auth/users';

/**
 * Default deny. Every route must declare `config.access` (roles or 'public'); registering one
 * that does not is a start-up error, and a request reaching a route without it is refused.
 * The OpenAPI docs are the one public family besides /health.
 */
export const authPlugin = fp<{ prisma: PrismaClient; docsPrefix: string }>(async (app, opts) => {
  app.decorateRequest('actor', null as never);

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith(opts.docsPrefix)) {
      route.config = { ...(route.config ?? {}), access: 'public' };
      return;
    }
    if (!route.config?.access) {
      throw new Error(`Route ${String(route.method)} ${route.url} declares no access roles (config.access)`);
    }
  });

  app.addHook('onRequest', async (request) => {
    if (request.is404) return; // the not-found handler answers; nothing to protect
    const access = request.routeOptions.config?.access;
    if (access === 'public') return;
    if (!access) throw new ForbiddenError('This route is not open to anyone');
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthorizedError();
    const actor = await actorForToken(opts.prisma, match[1]);
    if (!actor) throw new UnauthorizedError('The API token is unknown, revoked or expired');
    if (actor.kind !== 'user' || !access.includes(actor.role)) {
      throw new ForbiddenError(`This route needs one of the roles: ${access.join(', ')}`);
    }
    request.actor = actor;
  });
});
