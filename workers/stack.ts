import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Client, Connection } from '@temporalio/client';
import { buildApp } from '../api/app';
import type { Config } from '../lib/config';
import { startEmbeddedPostgres } from '../lib/db/embedded-postgres';
import { createPrisma, type PrismaClient } from '../lib/db/prisma';
import { applyMigrations } from '../lib/db/schema-engine';
import { OperationalError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { ensureTemporalCli } from '../lib/temporal/cli-binary';
import { connectTemporal } from '../lib/temporal/connection';
import { startTemporalDevServer } from '../lib/temporal/dev-server';
import { searchAttributeTypes } from '../workflows/definitions';
import { OutboxDispatcher } from './outbox-dispatcher';
import { createConfiguredMailGateway } from '../activities/mail/gateway';
import { InboundThreadPool } from '../activities/intake/inbound-thread-pool';
import { intakeRulesFrom, MailIntake } from '../activities/intake/mail-intake';
import { resolveSecretKeyring } from '../lib/secrets/secret-box';
import { ReportScheduleWatch } from '../activities/reports/schedule-watch';
import { createBillingDeps } from '../activities/billing/wiring';
import { ticketEffectHandlers } from '../activities/tickets/ticket-effect-handlers';
import { startTemporalWorker, type WorkerHandle } from './temporal-worker';

export const MIGRATIONS_DIR = path.join(__dirname, '..', 'prisma', 'migrations');
export const SCHEMA_PATH = path.join(__dirname, '..', 'prisma', 'schema.prisma');

export interface RunningStack {
  config: Config;
  prisma: PrismaClient;
  temporal: { client: Client; connection: Connection; address: string };
  databaseUrl: string;
  api?: FastifyInstance;
  apiUrl?: string;
  worker?: WorkerHandle;
  dispatcher: OutboxDispatcher;
  uiUrl: string | null;
  /** Stops everything in reverse order of start; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Brings up every part mspflow needs, each from configuration or, when unset, an embedded
 * default: Temporal (dev server), PostgreSQL (embedded), migrations, worker, outbox, API.
 * Whatever started is stopped again if a later part fails.
 */
export async function startStack(config: Config, log: Logger): Promise<RunningStack> {
  const stoppers: Array<{ name: string; stop: () => Promise<unknown> }> = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const s of stoppers.reverse()) {
        try {
          log.debug(`stopping ${s.name}`);
          await s.stop();
          log.debug(`stopped ${s.name}`);
        } catch (err) {
          log.warn({ err }, `failed to stop ${s.name}`);
        }
      }
    })());

  try {
    fs.mkdirSync(config.dataDir, { recursive: true });

    // Temporal server
    let address = config.temporal.address;
    let uiUrl: string | null = null;
    if (!address) {
      const cli = await ensureTemporalCli({
        cacheDir: config.cacheDir,
        explicitPath: config.temporal.dev.cliPath,
        log,
        onProgress: progressLogger(log),
      });
      log.info({ path: cli.path, source: cli.source }, `Temporal CLI ${cli.version}`);
      const dev = await startTemporalDevServer({
        cliPath: cli.path,
        dbFile: path.join(config.dataDir, 'temporal.sqlite'),
        port: config.temporal.dev.port,
        uiPort: config.temporal.dev.uiPort,
        namespace: config.temporal.namespace,
        searchAttributes: searchAttributeTypes,
        log,
      });
      stoppers.push({ name: 'Temporal dev server', stop: () => dev.stop() });
      address = dev.address;
      uiUrl = dev.uiUrl;
    }

    // PostgreSQL
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort, log });
      stoppers.push({ name: 'embedded PostgreSQL', stop: () => pg.stop() });
      databaseUrl = pg.url;
    }
    const prisma = createPrisma(databaseUrl);
    stoppers.push({ name: 'database pool', stop: () => prisma.$disconnect() });
    try {
      await prisma.$queryRaw`SELECT 1`;
    } catch (err) {
      throw new OperationalError(
        `PostgreSQL is unreachable: ${(err as Error).message}. Check DATABASE_URL, or unset it to use the embedded PostgreSQL.`,
        'postgresql',
        { cause: err },
      );
    }
    if (config.database.migrateOnStart) {
      const { applied } = await applyMigrations({ databaseUrl, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH, log: (m) => log.debug(m) });
      log.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'database schema up to date');
    }

    // Temporal client, worker, outbox
    const { client, connection } = await connectTemporal(config, address);
    stoppers.push({ name: 'Temporal client', stop: () => connection.close() });
    let worker: WorkerHandle | undefined;
    if (config.worker.enabled) {
      worker = await startTemporalWorker({ config, address, prisma, log });
      stoppers.push({ name: 'Temporal worker', stop: () => worker!.shutdown() });
      log.info({ taskQueue: config.temporal.taskQueue }, 'Temporal worker running');
      // Every client gets its monthly report schedule, however it was created or changed.
      const schedules = new ReportScheduleWatch({
        prisma,
        temporal: client,
        taskQueue: config.temporal.taskQueue,
        hour: config.reports.scheduleHour,
        log: log.child({ component: 'report-schedules' }),
      });
      schedules.start();
      stoppers.push({ name: 'report schedules', stop: () => schedules.stop() });
    }
    const gateway = createConfiguredMailGateway(config, { prisma, log: log.child({ component: 'mail' }) });
    if (gateway) stoppers.push({ name: 'mail gateway', stop: async () => gateway.close() });
    const outboxLog = log.child({ component: 'outbox' });
    const billing = createBillingDeps(config, { prisma, log });
    stoppers.push({ name: 'billing notifications', stop: async () => billing.close() });
    const dispatcher = new OutboxDispatcher(
      {
        prisma,
        temporal: client,
        taskQueue: config.temporal.taskQueue,
        log: outboxLog,
        handlers: ticketEffectHandlers({ prisma, temporal: client, log: outboxLog, gateway, blockAlerts: billing }),
      },
      config.outboxPollMs,
    );
    dispatcher.start();
    stoppers.push({ name: 'outbox dispatcher', stop: () => dispatcher.stop() });

    // Mail intake: a long-running loop per mailbox, in the worker process (see README).
    if (config.worker.enabled && config.intake.enabled) {
      const rules = intakeRulesFrom(config);
      const pool =
        config.intake.threads > 0
          ? new InboundThreadPool({
              threads: config.intake.threads,
              databaseUrl,
              rules,
              connectionsPerThread: config.intake.concurrency,
              logLevel: config.log.level,
            })
          : undefined;
      if (pool) log.info({ threads: config.intake.threads }, 'mail intake processes in worker threads');
      const intake = new MailIntake({
        prisma,
        log: log.child({ component: 'mail-intake' }),
        rules,
        secrets: resolveSecretKeyring(config),
        concurrency: config.intake.concurrency,
        batchSize: config.intake.batchSize,
        reconcileMs: config.intake.reconcileMs,
        processor: pool?.run,
      });
      await intake.start();
      stoppers.push({ name: 'mail intake', stop: () => intake.stop().finally(() => pool?.stop()) });
    }

    // HTTP API
    let api: FastifyInstance | undefined;
    let apiUrl: string | undefined;
    if (config.api.enabled) {
      api = await buildApp({
        config,
        log,
        prisma,
        temporal: { client, address },
        dispatcher,
        localWorkerRunning: worker ? () => worker!.worker.getState() === 'RUNNING' : undefined,
      });
      try {
        await api.listen({ host: config.api.host, port: config.api.port });
      } catch (err) {
        throw new OperationalError(
          `The API cannot listen on ${config.api.host}:${config.api.port}: ${(err as Error).message}. Set API_PORT (or API_HOST).`,
          'api',
          { cause: err },
        );
      }
      stoppers.push({ name: 'HTTP API', stop: () => api!.close() });
      const addr = api.server.address();
      apiUrl = `http://${config.api.host === '0.0.0.0' ? 'localhost' : config.api.host}:${typeof addr === 'object' && addr ? addr.port : config.api.port}`;
    }

    return { config, prisma, temporal: { client, connection, address }, databaseUrl, api, apiUrl, worker, dispatcher, uiUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function progressLogger(log: Logger) {
  let lastLogged = 0;
  return (p: { route: string; step: string; bytes?: number; totalBytes?: number }) => {
    const now = Date.now();
    if (p.bytes !== undefined && now - lastLogged < 1000) return;
    lastLogged = now;
    const amount = p.bytes !== undefined ? ` ${(p.bytes / 1e6).toFixed(1)}${p.totalBytes ? `/${(p.totalBytes / 1e6).toFixed(1)}` : ''} MB` : '';
    log.info(`Temporal CLI: ${p.route}: ${p.step}${amount}`);
  };
}
