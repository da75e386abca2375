/**
 * The one worker of `npm run bench:sla`, in its own process so that its memory can be measured
 * alone (/proc/<pid>/status). It is the production worker: configuration from the environment
 * (DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE set by bench/sla.ts), the default
 * database pool, the SDK logging of `npm start` and `startTemporalWorker` with its default
 * options. BENCH_WORKFLOW_BUNDLE names a pre-built workflow bundle; unset, the worker bundles
 * the workflow code itself, as `npm start` does.
 *
 * It reports `{ type: 'ready' }` over IPC once polling, stops on SIGTERM or on a `stop` message,
 * and exits by itself when the bench process goes away (the IPC channel closes). SIGINT is
 * ignored: on Ctrl-C the terminal signals the whole process group and the bench stops us itself.
 */
import fs from 'node:fs';
import { loadConfig } from '../lib/config';
import { createPrisma } from '../lib/db/prisma';
import { createLogger } from '../lib/logger';
import { installSdkLogging, startTemporalWorker, type WorkerHandle } from '../workers/temporal-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config, 'bench-worker');
  installSdkLogging(log);
  if (!config.database.url || !config.temporal.address) throw new Error('bench worker: DATABASE_URL and TEMPORAL_ADDRESS must be set');

  let worker: WorkerHandle | undefined;
  let stopping = false;
  const prisma = createPrisma(config.database.url);
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const hardExit = setTimeout(() => process.exit(code), 15_000);
    hardExit.unref();
    await worker?.shutdown().catch(() => undefined);
    await prisma.$disconnect().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void stop(0));
  process.on('disconnect', () => void stop(0));
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stop') void stop(0);
  });

  const bundlePath = process.env.BENCH_WORKFLOW_BUNDLE;
  worker = await startTemporalWorker({
    config,
    address: config.temporal.address,
    prisma,
    log,
    ...(bundlePath ? { workflowBundle: { code: fs.readFileSync(bundlePath, 'utf8') } } : {}),
  });
  const options = worker.worker.options;
  process.send?.({
    type: 'ready',
    maxCachedWorkflows: options.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: (options.tuner as { workflowTaskSlotSupplier?: { numSlots?: number } })?.workflowTaskSlotSupplier?.numSlots,
    maxConcurrentActivityTaskExecutions: (options.tuner as { activityTaskSlotSupplier?: { numSlots?: number } })?.activityTaskSlotSupplier?.numSlots,
  });
  worker.done.then(
    () => void stop(0),
    () => void stop(1),
  );
}

main().catch((err) => {
  console.error(`bench worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
