import { NativeConnection, Worker, Runtime, makeTelemetryFilterString, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, createNotificationAdapters } from '../activities';
import { createRmmRegistry } from '../activities/rmm/registry';
import { createOnboardingPorts } from '../activities/onboarding/wiring';
import { createHtmlPrinter } from '../activities/reports/chromium';
import type { Config } from '../lib/config';
import { crashHook } from '../lib/crash-points';
import type { PrismaClient } from '../lib/db/prisma';
import type { Logger } from '../lib/logger';
import { connectionOptions } from '../lib/temporal/connection';

export const workflowsPath = require.resolve('../workflows');

export interface WorkerHandle {
  worker: Worker;
  connection: NativeConnection;
  /** Resolves when the worker has stopped (after shutdown() or a fatal error). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The Temporal worker for the mspflow task queue: all workflows, all activities.
 * `workflowBundle` lets tests bundle the workflow code once for many workers.
 */
export async function startTemporalWorker(opts: {
  config: Config;
  address: string;
  prisma: PrismaClient;
  log: Logger;
  taskQueue?: string;
  workflowBundle?: WorkflowBundleOption;
}): Promise<WorkerHandle> {
  const connection = await NativeConnection.connect(connectionOptions(opts.config, opts.address));
  const notifications = createNotificationAdapters(opts.config, { prisma: opts.prisma, log: opts.log.child({ component: 'mail' }) });
  const rmm = createRmmRegistry(opts.config, opts.log);
  // one Chromium for every report PDF, started on the first one
  const printer = createHtmlPrinter({ chromiumPath: opts.config.reports.chromiumPath, concurrency: opts.config.reports.pdfConcurrency });
  const worker = await Worker.create({
    connection,
    namespace: opts.config.temporal.namespace,
    taskQueue: opts.taskQueue ?? opts.config.temporal.taskQueue,
    // Bounded explicitly: the SDK's default (from the heap limit) let 10,000 live tickets take
    // the worker past 1.7 GB RSS in bench:sla.
    maxCachedWorkflows: opts.config.temporal.maxCachedWorkflows,
    // The SDK refuses more concurrent workflow tasks than cached workflows (its default is 40).
    ...(opts.config.temporal.maxCachedWorkflows > 1 && opts.config.temporal.maxCachedWorkflows < 40
      ? { maxConcurrentWorkflowTaskExecutions: opts.config.temporal.maxCachedWorkflows }
      : {}),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createActivities({
      prisma: opts.prisma,
      log: opts.log,
      channels: notifications.channels,
      notificationLeaseMs: opts.config.notify.leaseMs,
      crash: crashHook(opts.config),
      rmm: rmm.rmm,
      onboarding: createOnboardingPorts({ prisma: opts.prisma, gateway: notifications.gateway, config: opts.config }),
      reports: { gateway: notifications.gateway, printer, internalTo: opts.config.reports.internalTo },
    }),
  });
  const done = worker.run().finally(() => {
    notifications.close();
    void rmm.close();
    void printer.close();
    return connection.close().catch(() => undefined);
  });
  done.catch((err) => opts.log.error({ err }, 'Temporal worker stopped with an error'));
  return {
    worker,
    connection,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch(() => undefined);
    },
  };
}

let sdkLoggingInstalled = false;

/** Routes the SDK's own logs into pino (the SDK allows this once per process). */
export function installSdkLogging(log: Logger): void {
  if (sdkLoggingInstalled) return;
  sdkLoggingInstalled = true;
  Runtime.install({
    // mspflow stops its parts itself, in order (workers before the server they talk to).
    shutdownSignals: [],
    logger: {
      log: (level, message, meta) => log.child({ component: 'temporal-sdk' })[mapLevel(level)](meta ?? {}, message),
      trace: (m, meta) => log.trace(meta ?? {}, m),
      debug: (m, meta) => log.debug(meta ?? {}, m),
      info: (m, meta) => log.info(meta ?? {}, m),
      warn: (m, meta) => log.warn(meta ?? {}, m),
      error: (m, meta) => log.error(meta ?? {}, m),
    },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
}

function mapLevel(level: string): 'trace' | 'debug' | 'info' | 'warn' | 'error' {
  const l = level.toLowerCase();
  return l === 'trace' || l === 'debug' || l === 'info' || l === 'warn' ? l : 'error';
}
