/**
 * `npm run bench:rollout [-- --devices 10000]`: one patch rollout over N SIMULATED devices in
 * three rings (canary 1 %, pilot 9 %, broad 90 %, approval gates approved by the bench as soon
 * as they open), on its own Temporal dev server and embedded PostgreSQL. Prints:
 *
 *   BENCH rollout wall=<n> s                 creation to completion
 *   BENCH rollout sim_latency=<n> s          the simulator's own time: Σ script latency + reboots,
 *                                            divided by the device parallelism (a lower bound of
 *                                            the wall time if orchestration cost nothing)
 *   BENCH rollout overhead=<n> s             wall - sim_latency
 *   BENCH rollout max_history_events=<n> events   largest history among the rollout's runs and
 *                                            its batch child workflows
 *   BENCH rollout workflows=<n> workflows    runs + children counted
 *   BENCH rollout worker_rss=<n> MB          peak RSS of this process, which runs the worker
 *                                            (and the simulated fleet, a few MB)
 *   BENCH rollout devices_per_s=<n> devices/s
 *
 * Per-device work is what production does: pre-check, install, verify (and reboot + wait for
 * 10 %), each script through the RMM port, each step recorded in PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { NativeConnection, Runtime, DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../activities';
import { createClient } from '../activities/clients/client-service';
import { createChannelAdapters } from '../activities/notify/channels';
import { linkDeviceGroup, syncClientDevices } from '../activities/rmm/device-sync';
import { approveRolloutGate, createRollout } from '../activities/rmm/rollout/rollout-service';
import { SimulatedRmm } from '../activities/rmm/simulator/simulated-rmm';
import { systemActor } from '../lib/access';
import { loadConfig } from '../lib/config';
import { startEmbeddedPostgres } from '../lib/db/embedded-postgres';
import { createPrisma } from '../lib/db/prisma';
import { applyMigrations } from '../lib/db/schema-engine';
import { freePort } from '../lib/processes';
import { ensureTemporalCli } from '../lib/temporal/cli-binary';
import { connectTemporal } from '../lib/temporal/connection';
import { startTemporalDevServer } from '../lib/temporal/dev-server';
import { searchAttributeTypes } from '../workflows/definitions';
import { rolloutProgressQuery, type RolloutView } from '../workflows/rollout/definitions';
import { MIGRATIONS_DIR, SCHEMA_PATH } from '../workers/stack';
import { workflowsPath } from '../workers/temporal-worker';
import { MB, memoryOf } from './proc-stats';

const say = (m: string) => process.stderr.write(`[bench:rollout] ${m}\n`);

async function main() {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '10000' },
      'latency-min': { type: 'string', default: '200' },
      'latency-max': { type: 'string', default: '600' },
      batch: { type: 'string', default: '50' },
      'parallel-batches': { type: 'string', default: '4' },
      'per-batch': { type: 'string', default: '25' },
    },
  });
  const devices = Number(values.devices);
  const latency: [number, number] = [Number(values['latency-min']), Number(values['latency-max'])];
  const batchSize = Number(values.batch);
  const maxParallelBatches = Number(values['parallel-batches']);
  const concurrencyPerBatch = Number(values['per-batch']);
  const parallelism = maxParallelBatches * concurrencyPerBatch;
  say(`${devices} simulated devices, script latency ${latency[0]}-${latency[1]} ms, ${parallelism} devices at once (${maxParallelBatches} batches × ${concurrencyPerBatch})`);

  const baseEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(baseEnv)) if ((key.startsWith('TEMPORAL_') && key !== 'TEMPORAL_CLI_PATH') || key === 'DATABASE_URL') delete baseEnv[key];
  const config = loadConfig(baseEnv);
  const log = pino({ level: 'warn' }, pino.destination(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-bench-rollout-'));
  if (process.getuid?.() === 0) fs.chmodSync(tmp, 0o711);
  const cleanups: Array<() => Promise<unknown>> = [async () => fs.rmSync(tmp, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  let interrupted = false;
  process.on('SIGINT', () => (interrupted = true));
  process.on('SIGTERM', () => (interrupted = true));

  try {
    const cli = await ensureTemporalCli({ cacheDir: config.cacheDir, explicitPath: config.temporal.dev.cliPath, log });
    const dev = await startTemporalDevServer({ cliPath: cli.path, dbFile: path.join(tmp, 'temporal.sqlite'), port: await freePort(), uiPort: null, namespace: 'default', searchAttributes: searchAttributeTypes, log });
    cleanups.push(() => dev.stop());
    const pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: await freePort(), log, database: 'mspflow' });
    cleanups.push(() => pg.stop());
    await applyMigrations({ databaseUrl: pg.url, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
    const prisma = createPrisma(pg.url, { maxConnections: 10 });
    cleanups.push(() => prisma.$disconnect());
    const benchConfig = loadConfig({ ...baseEnv, DATABASE_URL: pg.url, TEMPORAL_ADDRESS: dev.address });
    const temporal = await connectTemporal(benchConfig, dev.address);
    cleanups.push(() => temporal.connection.close());
    say(`servers up: Temporal ${dev.address}, PostgreSQL ${pg.port}`);

    const sim = new SimulatedRmm({ groups: [{ id: 'fleet', name: 'Bench fleet', devices, windowsShare: 0.3 }], latencyMs: latency, rebootRequiredRate: 0.1, rebootMs: 1000 });
    const client = await createClient({ prisma }, { code: 'bench', name: 'Bench client' });
    await linkDeviceGroup({ prisma, rmm: { simulator: sim } }, systemActor('bench'), { clientId: client.id, provider: 'simulator', groupId: 'fleet' });
    const synced = await syncClientDevices({ prisma, rmm: { simulator: sim } }, systemActor('bench'), client.id);
    say(`synced ${synced.created} devices`);

    Runtime.install({ logger: new DefaultLogger('WARN') });
    const bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
    const connection = await NativeConnection.connect({ address: dev.address });
    const taskQueue = 'bench-rollout';
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: bundle,
      activities: createActivities({ prisma, log, channels: createChannelAdapters({ allowPrivateTargets: true }), rmm: { simulator: sim } }),
      maxConcurrentActivityTaskExecutions: Math.max(100, parallelism + 20),
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await Promise.race([running.catch(() => undefined), new Promise((r) => setTimeout(r, 15_000))]);
      await connection.close().catch(() => undefined);
    });

    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, memoryOf(process.pid)?.rss ?? 0)), 1000);
    const started = Date.now();
    const rollout = await createRollout({ prisma, temporal: temporal.client, taskQueue }, systemActor('bench'), {
      name: 'bench rollout',
      clientIds: [client.id],
      patchSet: { kind: 'os-updates', category: 'security' },
      policy: {
        rings: [{ name: 'canary', percent: 0.01, maxFailureRate: 0.05 }, { name: 'pilot', percent: 0.09, maxFailureRate: 0.05 }, { name: 'broad', maxFailureRate: 0.05 }],
        batchSize,
        maxParallelBatches,
        concurrencyPerBatch,
      },
    });
    const handle = temporal.client.workflow.getHandle(rollout.workflowId);
    const approved = new Set<string>();
    let last = '';
    let view: RolloutView;
    for (;;) {
      if (interrupted) throw new Error('interrupted');
      view = await handle.query(rolloutProgressQuery).catch(() => view);
      if (view) {
        const line = view.rings.map((r) => `${r.name} ${r.succeeded + r.failed}/${r.size}`).join(', ');
        if (line !== last) say(`${Math.round((Date.now() - started) / 1000)} s: ${view.status} ${line} (runs ${view.runs})`);
        last = line;
        if (view.status === 'waiting-approval' && view.currentRing && !approved.has(view.currentRing)) {
          approved.add(view.currentRing);
          await approveRolloutGate({ prisma, temporal: temporal.client, taskQueue }, systemActor('bench'), rollout.id, { ring: view.currentRing, via: 'api', by: 'bench' });
        }
        if (view.status === 'completed' || view.status === 'cancelled' || view.status === 'halted') break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const wall = (Date.now() - started) / 1000;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, memoryOf(process.pid)?.hwm ?? 0);
    if (view.status !== 'completed') throw new Error(`rollout ended ${view.status}: ${view.haltReason ?? ''}`);

    // Largest history: every run of the rollout and every batch child (this server runs nothing else).
    let maxEvents = 0;
    let workflows = 0;
    for await (const wf of temporal.client.workflow.list({ query: 'ExecutionStatus != "Running"' })) {
      workflows += 1;
      maxEvents = Math.max(maxEvents, wf.historyLength);
    }
    const simLatency = sim.simulatedBusyMs / 1000 / parallelism;
    const done = view.rings.reduce((n, r) => n + r.succeeded, 0);
    say(`succeeded ${done}, failed ${view.rings.reduce((n, r) => n + r.failed, 0)}, rollout runs ${view.runs + 1}`);
    const out = (metric: string, value: number | string, unit: string) => process.stdout.write(`BENCH rollout ${metric}=${value} ${unit}\n`);
    out('wall', wall.toFixed(1), 's');
    out('sim_latency', simLatency.toFixed(1), 's');
    out('overhead', (wall - simLatency).toFixed(1), 's');
    out('max_history_events', maxEvents, 'events');
    out('workflows', workflows, 'workflows');
    out('worker_rss', Math.round(peakRss / MB), 'MB');
    out('devices_per_s', (done / wall).toFixed(1), 'devices/s');
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
