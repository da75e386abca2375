import crypto from 'node:crypto';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Client as PgClient } from 'pg';
import { buildApp } from '../../api/app';
import type { Role } from '../../lib/access';
import { createUser, issueToken } from '../../lib/auth/users';
import { loadConfig, type Config } from '../../lib/config';
import { createPrisma, type PrismaClient } from '../../lib/db/prisma';
import { createLogger, type Logger } from '../../lib/logger';
import { connectTemporal } from '../../lib/temporal/connection';
import { OutboxDispatcher } from '../../workers/outbox-dispatcher';
import { installSdkLogging, startTemporalWorker, type WorkerHandle } from '../../workers/temporal-worker';
import type { Client, Connection } from '@temporalio/client';
import { harnessFile, type HarnessInfo } from './paths';

export function harness(): HarnessInfo {
  return JSON.parse(fs.readFileSync(harnessFile(), 'utf8')) as HarnessInfo;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh database cloned from the migrated template; dropped by the returned function. */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const h = harness();
  const name = `t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new PgClient({ connectionString: h.adminDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${h.templateDatabase}`);
  } finally {
    await admin.end();
  }
  // Test files share one Temporal namespace, and workflow ids come from ticket ids: start each
  // database's ticket numbers far apart so two files never claim the same `ticket-<id>`.
  const db = new PgClient({ connectionString: withDatabase(h.adminDatabaseUrl, name) });
  await db.connect();
  try {
    const offset = 1 + crypto.randomInt(1, 2_000_000) * 1000;
    await db.query(`ALTER SEQUENCE "Ticket_id_seq" RESTART WITH ${offset}`);
  } finally {
    await db.end();
  }
  return {
    name,
    url: withDatabase(h.adminDatabaseUrl, name),
    async drop() {
      const c = new PgClient({ connectionString: h.adminDatabaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => c.end());
    },
  };
}

export interface TestContext {
  config: Config;
  log: Logger;
  prisma: PrismaClient;
  databaseUrl: string;
  taskQueue: string;
  temporal: { client: Client; connection: Connection; address: string };
  dispatcher: OutboxDispatcher;
  app: FastifyInstance;
  worker?: WorkerHandle;
  /** A user of the given role and a bearer token for it. */
  userWithToken(role: Role, clientIds?: string[]): Promise<{ userId: string; token: string }>;
  close(): Promise<void>;
}

/**
 * Everything a test needs, isolated: its own database and its own task queue on the shared
 * real servers. With `worker: true` a real worker polls that task queue.
 */
export async function createTestContext(opts: { worker?: boolean; env?: Record<string, string> } = {}): Promise<TestContext> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const h = harness();
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const taskQueue = `test-${crypto.randomBytes(4).toString('hex')}`;
    const config = loadConfig({
      ...process.env,
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: h.temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      LOG_FORMAT: 'json',
      NOTIFY_ALLOW_PRIVATE_TARGETS: 'true',
      ...opts.env,
    });
    const log = createLogger(config, 'test');
    installSdkLogging(log);
    const prisma = createPrisma(db.url, { maxConnections: 5 });
    cleanups.push(() => prisma.$disconnect());
    const temporal = await connectTemporal(config, h.temporalAddress);
    cleanups.push(() => temporal.connection.close());
    let worker: WorkerHandle | undefined;
    if (opts.worker) {
      worker = await startTemporalWorker({
        config,
        address: h.temporalAddress,
        prisma,
        log,
        workflowBundle: { code: fs.readFileSync(h.workflowBundlePath, 'utf8') },
      });
      cleanups.push(() => worker!.shutdown());
    }
    const dispatcher = new OutboxDispatcher({ prisma, temporal: temporal.client, taskQueue, log }, config.outboxPollMs);
    cleanups.push(() => dispatcher.stop());
    const app = await buildApp({
      config,
      log,
      prisma,
      temporal: { client: temporal.client, address: h.temporalAddress },
      dispatcher,
      localWorkerRunning: worker ? () => worker!.worker.getState() === 'RUNNING' : undefined,
    });
    cleanups.push(() => app.close());
    await app.ready();

    return {
      config,
      log,
      prisma,
      databaseUrl: db.url,
      taskQueue,
      temporal: { ...temporal, address: h.temporalAddress },
      dispatcher,
      app,
      worker,
      async userWithToken(role, clientIds) {
        const user = await createUser(prisma, {
          email: `${role.toLowerCase()}-${crypto.randomBytes(4).toString('hex')}@msp.test`,
          name: `Test ${role}`,
          role,
          clientIds,
        });
        const { token } = await issueToken(prisma, user.id, 'test');
        return { userId: user.id, token };
      },
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
