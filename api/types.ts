import type { Client } from '@temporalio/client';
import type { Actor, Role } from '../lib/access';
import type { Config } from '../lib/config';
import type { PrismaClient } from '../lib/db/prisma';
import type { Logger } from '../lib/logger';
import type { OutboxDispatcher } from '../workers/outbox-dispatcher';

/** Who may call a route: a list of roles, or 'public'. A route that says nothing is refused. */
export type RouteAccess = Role[] | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    actor: Actor;
  }
}

export interface ApiDeps {
  config: Config;
  log: Logger;
  prisma: PrismaClient;
  temporal: { client: Client; address: string };
  dispatcher: OutboxDispatcher;
  /** True while an in-process worker runs; undefined when the worker is another process. */
  localWorkerRunning?: () => boolean;
}
