/**
 * `npm run bench:sla [-- --workflows 10000]`: many live incident (ticket) workflows with SLA
 * timers on ONE worker. Reports on stdout, one figure per line:
 *
 *   BENCH sla rss=<n> MB                 peak resident memory of the worker process (VmHWM)
 *   BENCH sla lateness_p50=<n> ms        timer lateness of the measured batch (see below)
 *   BENCH sla lateness_p99=<n> ms
 *   BENCH sla start_throughput=<n> wf/s  workflow starts accepted by the server per second
 *   BENCH sla workflow_tasks=<n> tasks/s workflow tasks completed per second (see below)
 *   ... and a few more (baseline RSS, maxima, peak rates), each on its own line.
 * Progress and diagnostics go to stderr.
 *
 * What it does, on its own servers (nothing outside a temporary directory is touched):
 * 1. starts a headless Temporal dev server (SQLite file in the temp dir, mspflow's search
 *    attributes) and an embedded PostgreSQL, migrated like `npm start` does;
 * 2. spawns ONE production worker (`startTemporalWorker`, default options) in a child process
 *    (bench/sla-worker.ts), whose /proc/<pid>/status is sampled every second;
 * 3. seeds one client with a contract whose SLA policy has a 24/7 P1 target, so every deadline
 *    is an exact instant; notification routes: none by default, so `sendSlaNotification` only
 *    looks its routes up (two SELECTs) and returns; `--notify webhook` adds a signed webhook
 *    route for every SLA event to a local HTTP receiver, which makes each notification a real
 *    delivery (ledger row, HTTP POST, SENT);
 * 4. inserts N P1 tickets in bulk, then starts their workflows through `startTicketWorkflow`
 *    (idempotent, as the outbox does) with bounded concurrency;
 * 5. waits for the measured batch to fire, reads the timeline entries back from PostgreSQL and
 *    the histories from the server, prints the figures and stops everything.
 *
 * The measured batch. Every ticket's first milestone is its first-response 50 % warning. The
 * tickets' creation instants (the SLA clocks' start) are set so that these warnings fall evenly
 * inside one wall-clock minute ("due minute") that begins a few minutes after seeding, later
 * than the time all workflows need to be started and waiting (`--due-in`, `--spread 0` puts them
 * all on the same millisecond instead). The P1 first-response target is twice the time from a
 * ticket's creation to that minute, so nothing else fires before it. The workflow logs a fired
 * milestone as a timeline entry whose `at` is the milestone instant and whose detail is
 * "fired at <ISO>", the workflow's clock when it fired, i.e. the start time of the workflow task
 * that saw the timer fire. lateness = fired at - at. Only workflows whose timer was set before
 * its instant count (a workflow started after its instant fires it at once: that is start lag,
 * not timer lateness; the bench says how many, normally none). stderr also splits the lateness
 * into its parts, from the histories: the timer is set relative to the start of the task that
 * sets it but starts when that task completes (task processing time), the server fires it
 * (timer delay), and the workflow task then waits for the worker (schedule-to-start).
 *
 * Workflow-task throughput is counted on the server: every WorkflowTaskCompleted event in every
 * bench workflow's history (fetched at the end), by its server timestamp. `workflow_tasks` is
 * the count completed during the start phase (from the first start to the moment the last
 * workflow set its first SLA timer) divided by its length: the worker has a backlog then, so
 * that is its sustained rate. `workflow_tasks_peak` is the best 10-second window of the run and
 * `workflow_tasks_batch` the rate while the measured batch fires. Schedule-to-start latencies
 * of the tasks tell whether the worker (long waits) or the rest (short waits) was the limit.
 *
 * Ctrl-C or SIGTERM stops the worker and both servers and removes the temporary directory.
 */
import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { loadConfig, type Config } from '../lib/config';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../lib/db/embedded-postgres';
import { createPrisma, type PrismaClient } from '../lib/db/prisma';
import { applyMigrations } from '../lib/db/schema-engine';
import { freePort } from '../lib/processes';
import { ensureTemporalCli } from '../lib/temporal/cli-binary';
import { connectTemporal } from '../lib/temporal/connection';
import { startTemporalDevServer, type DevServer } from '../lib/temporal/dev-server';
import { startTicketWorkflow } from '../lib/temporal/workflow-starts';
import { searchAttributeTypes, type TicketWorkflowInput } from '../workflows/definitions';
import { seedSlaContract } from '../tests/support/sla-fixtures';
import { MIGRATIONS_DIR, SCHEMA_PATH } from '../workers/stack';
import { workflowsPath } from '../workers/temporal-worker';
import { historyFacts, timerAimedAt, type HistoryFacts } from './history-stats';
import { MB, cpuCount, cpuSecondsOf, machineBusySeconds, memoryOf } from './proc-stats';

// ------------------------------------------------------------------ options

const USAGE = `usage: node --import tsx bench/sla.ts [options]
  --workflows N      ticket workflows to run (default 10000)
  --concurrency N    workflow starts in flight at once (default 32)
  --due-in S         seconds from seeding to the due minute (default 120 + N/10: this 2-vCPU box with the
                     SQLite dev server gets ~10 workflows/s to the waiting state; allow more elsewhere)
  --batch N          of which this many (default min(N, 1000)) are the measured batch: P1 tickets whose first
                     milestone falls in the due minute; the others are P3 tickets whose live timers are due hours
                     later (they load the worker, its cache and the server without firing during the measurement)
  --spread S         the measured milestones are spread evenly over S seconds (default 60; 0 = one instant)
  --notify MODE      none (default): no notification routes; webhook: a signed webhook route per SLA event
                     to a local HTTP receiver
  --prebundle        bundle the workflow code in the bench process and hand it to the worker
                     (default: the worker bundles it itself, as npm start does)
  --batch-timeout S  how long after the due window to wait for stragglers (default 300 + N/10)
  --sqlite-pragma P=V  passed to the dev server (repeatable), e.g. journal_mode=wal, synchronous=off
                     (default: none, the dev server's own settings)
  --dynamic-config K=V passed to the dev server as --dynamic-config-value (repeatable)
  --worker-heap MB   the worker's V8 old-space limit (--max-old-space-size); the SDK derives its default
                     workflow cache size from it (default: Node's own limit)`;

interface Options {
  workflows: number;
  batch: number;
  concurrency: number;
  dueInMs: number;
  spreadMs: number;
  notify: 'none' | 'webhook';
  prebundle: boolean;
  batchTimeoutMs: number;
  sqlitePragmas: string[];
  dynamicConfig: string[];
  workerHeapMb: number | undefined;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      workflows: { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      'due-in': { type: 'string' },
      spread: { type: 'string' },
      notify: { type: 'string' },
      prebundle: { type: 'boolean' },
      'batch-timeout': { type: 'string' },
      'sqlite-pragma': { type: 'string', multiple: true },
      'dynamic-config': { type: 'string', multiple: true },
      'worker-heap': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.error(USAGE);
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      console.error(`--${name} must be an integer >= ${min} (got ${raw})\n${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  const workflows = int('workflows', values.workflows, 10_000, 1);
  const notify = values.notify ?? 'none';
  if (notify !== 'none' && notify !== 'webhook') {
    console.error(`--notify must be none or webhook (got ${notify})\n${USAGE}`);
    process.exit(2);
  }
  const batch = int('batch', values.batch, Math.min(workflows, 1000), 1);
  if (batch > workflows) {
    console.error(`--batch must not exceed --workflows\n${USAGE}`);
    process.exit(2);
  }
  return {
    workflows,
    batch,
    concurrency: int('concurrency', values.concurrency, 32, 1),
    dueInMs: int('due-in', values['due-in'], Math.ceil(120 + workflows / 10), 30) * 1000,
    spreadMs: int('spread', values.spread, 60, 0) * 1000,
    notify,
    prebundle: values.prebundle ?? false,
    batchTimeoutMs: int('batch-timeout', values['batch-timeout'], Math.ceil(300 + workflows / 10), 10) * 1000,
    sqlitePragmas: (values['sqlite-pragma'] ?? []).map((p) => {
      if (!/^[a-z_]+=[A-Za-z0-9_]+$/.test(p)) {
        console.error(`--sqlite-pragma must look like name=value (got ${p})\n${USAGE}`);
        process.exit(2);
      }
      return p;
    }),
    dynamicConfig: (values['dynamic-config'] ?? []).map((p) => {
      if (!/^[A-Za-z0-9_.]+=.+$/.test(p)) {
        console.error(`--dynamic-config must look like key=value (got ${p})\n${USAGE}`);
        process.exit(2);
      }
      return p;
    }),
    workerHeapMb: values['worker-heap'] === undefined ? undefined : int('worker-heap', values['worker-heap'], 0, 256),
  };
}

// ------------------------------------------------------------------ output

const t0 = Date.now();

function say(message: string): void {
  process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${message}\n`);
}

/**
 * Output of the servers and the worker, which can be thousands of lines under load: the first
 * 20 lines of each source are shown, then one in 200; the totals are in the diagnostics.
 */
const noise = new Map<string, number>();
let quiet = false;
function relay(source: string, line: string): void {
  const count = (noise.get(source) ?? 0) + 1;
  noise.set(source, count);
  if (quiet || (count > 20 && count % 200 !== 0)) return;
  const text = line.length > 300 ? `${line.slice(0, 300)}…` : line;
  say(`[${source}${count > 20 ? ` #${count}` : ''}] ${text}`);
}

/** For the libraries (dev server, PostgreSQL, CLI install): warnings and errors only, relayed. */
const log = pino(
  { name: 'bench', level: 'warn', base: null, timestamp: false },
  {
    write(line: string) {
      let msg = line;
      try {
        msg = (JSON.parse(line) as { msg?: string }).msg ?? line;
      } catch {
        /* keep the raw line */
      }
      relay(msg.startsWith('temporal: ') ? 'temporal' : 'bench', msg.replace(/^temporal: /, '').trim());
    },
  },
);

const results: string[] = [];
function bench(name: string, value: number | string, unit = ''): void {
  const line = `BENCH sla ${name}=${value}${unit ? ` ${unit}` : ''}`;
  results.push(line);
  process.stdout.write(`${line}\n`);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const sortNum = (xs: number[]) => Float64Array.from(xs).sort() as unknown as number[];
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const iso = (ms: number) => new Date(ms).toISOString();

// ------------------------------------------------------------------ clean-up

const cleanups: Array<{ name: string; run: () => Promise<unknown> }> = [];
let cleaning: Promise<void> | undefined;

let signalled = false;

function cleanup(): Promise<void> {
  return (cleaning ??= (async () => {
    // Stopping servers complain loudly (a worker losing its server, a server its clients).
    quiet = true;
    for (const c of cleanups.reverse()) {
      try {
        await c.run();
      } catch (err) {
        say(`clean-up: ${c.name} failed: ${(err as Error).message}`);
      }
    }
  })());
}

function onSignal(signal: NodeJS.Signals): void {
  if (cleaning) return;
  signalled = true;
  say(`${signal}: stopping the worker and the servers`);
  void cleanup().then(() => process.exit(130));
}

// ------------------------------------------------------------------ the worker process

interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  info: { maxCachedWorkflows?: number; maxConcurrentWorkflowTaskExecutions?: number; maxConcurrentActivityTaskExecutions?: number };
  stop(): Promise<void>;
}

async function spawnWorker(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  const child = fork(path.join(__dirname, 'sla-worker.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const tail: string[] = [];
  const onOutput = (data: Buffer) => {
    for (const raw of data.toString().split(/\r?\n/)) {
      // eslint-disable-next-line no-control-regex
      const line = raw.replace(/\x1b\[[0-9;]*m/g, '').trim();
      if (!line) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      relay('worker', line);
    }
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopRequested = false;
  void exited.then(() => {
    if (!stopRequested) say(`the worker process exited unexpectedly (code ${child.exitCode}, signal ${child.signalCode})`);
  });
  const stop = async () => {
    stopRequested = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ type: 'stop' });
    else child.kill('SIGTERM');
    // After Ctrl-C the servers got the signal too and are going away: no point in a long drain.
    const timer = setTimeout(() => child.kill('SIGKILL'), signalled ? 3_000 : 20_000);
    await exited;
    clearTimeout(timer);
  };
  const info = await Promise.race([
    new Promise<WorkerProcess['info']>((resolve) =>
      child.on('message', (m: { type?: string } & WorkerProcess['info']) => {
        if (m?.type === 'ready') resolve(m);
      }),
    ),
    exited.then((): never => {
      throw new Error(`the worker process exited during start-up (code ${child.exitCode}):\n  ${tail.join('\n  ')}`);
    }),
  ]);
  return { child, pid: child.pid!, info, stop };
}

// ------------------------------------------------------------------ sampling

interface Sampler {
  peakRss: number;
  lastRss: number;
  stop(): void;
  line(): string;
  cpuSnapshot(): Record<string, number>;
}

function startSampler(pids: { worker: () => number | undefined; temporal: number; postgres: () => number | undefined }): Sampler {
  const s: Sampler = {
    peakRss: 0,
    lastRss: 0,
    stop: () => clearInterval(timer),
    line: () => '',
    cpuSnapshot: () => ({}),
  };
  const snapshot = () => {
    const w = pids.worker();
    const pg = pids.postgres();
    return {
      at: Date.now() / 1000,
      worker: w ? cpuSecondsOf(w) : 0,
      temporal: cpuSecondsOf(pids.temporal),
      postgres: pg ? cpuSecondsOf(pg, true) : 0,
      bench: cpuSecondsOf(process.pid),
      machine: machineBusySeconds(),
    };
  };
  let previous = snapshot();
  const timer = setInterval(() => {
    const w = pids.worker();
    const m = w ? memoryOf(w) : null;
    if (m) {
      s.lastRss = m.rss;
      s.peakRss = Math.max(s.peakRss, m.rss, m.hwm || 0);
    }
  }, 1000);
  timer.unref();
  s.cpuSnapshot = snapshot;
  s.line = () => {
    const now = snapshot();
    const dt = Math.max(0.001, now.at - previous.at);
    const d = (k: keyof typeof now) => (now[k] - previous[k]) / dt;
    const ours = d('worker') + d('temporal') + d('postgres') + d('bench');
    const pct = (x: number) => fmt(100 * x);
    const line =
      `worker rss ${fmt(s.lastRss / MB)} MB (peak ${fmt(s.peakRss / MB)}), temporal rss ${fmt((memoryOf(pids.temporal)?.rss ?? 0) / MB)} MB | ` +
      `cpu% worker ${pct(d('worker'))} temporal ${pct(d('temporal'))} postgres ${pct(d('postgres'))} bench ${pct(d('bench'))} ` +
      `other ${pct(Math.max(0, d('machine') - ours))} (machine ${pct(d('machine'))}/${cpuCount * 100})`;
    previous = now;
    return line;
  };
  return s;
}

function postmasterPid(pgDataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(pgDataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ helpers

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, run));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SLA_EVENTS = ['ticket.new-p1', 'sla.warning', 'sla.breach', 'escalation.L1', 'escalation.L2', 'escalation.L3'];
const TASK_QUEUE = 'mspflow-bench';

interface Progress {
  recorded: number;
  policies: number;
  fired: number;
}

async function progressCounts(prisma: PrismaClient): Promise<Progress> {
  const [row] = await prisma.$queryRawUnsafe<Array<{ recorded: bigint; policies: bigint; fired: bigint }>>(`
    SELECT (SELECT count(*) FROM "Ticket" WHERE "workflowStartedAt" IS NOT NULL) AS recorded,
           (SELECT count(*) FROM "TicketEvent" WHERE type = 'sla.recomputed') AS policies,
           (SELECT count(*) FROM "TicketEvent" WHERE type = 'sla.warned' AND data->>'clock' = 'firstResponse'
              AND (data->>'fraction')::float8 = 0.5) AS fired`);
  return { recorded: Number(row.recorded), policies: Number(row.policies), fired: Number(row.fired) };
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const opts = parseOptions();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const n = opts.workflows;
  say(
    `SLA bench: ${n} workflows, start concurrency ${opts.concurrency}, due in ~${opts.dueInMs / 1000}s, ` +
      `measured batch ${opts.batch}, spread ${opts.spreadMs / 1000}s, notifications: ${opts.notify}, workflow bundle: ${opts.prebundle ? 'pre-built' : 'built by the worker'}` +
      (opts.workerHeapMb ? `, worker heap ${opts.workerHeapMb} MB` : ''),
  );

  // Our own servers only: ignore whatever Temporal/PostgreSQL the environment points at.
  const baseEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(baseEnv)) {
    if (key.startsWith('TEMPORAL_') && key !== 'TEMPORAL_CLI_PATH') delete baseEnv[key];
    if (key === 'DATABASE_URL' || key === 'SHADOW_DATABASE_URL' || key === 'CRASH_AT') delete baseEnv[key];
  }
  const config: Config = loadConfig(baseEnv);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-bench-'));
  const pgDataDir = path.join(tmp, 'pg');
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach its data dir.
  if (process.getuid?.() === 0) fs.chmodSync(tmp, 0o711);
  cleanups.push({ name: 'temporary directory', run: async () => fs.rmSync(tmp, { recursive: true, force: true }) });
  say(`temporary directory ${tmp}`);

  // 1. servers
  const cli = await ensureTemporalCli({ cacheDir: config.cacheDir, explicitPath: config.temporal.dev.cliPath, log });
  let cliPath = cli.path;
  const serverArgs = [
    ...opts.sqlitePragmas.flatMap((p) => ['--sqlite-pragma', p]),
    ...opts.dynamicConfig.flatMap((p) => ['--dynamic-config-value', p]),
  ];
  if (serverArgs.length) {
    // startTemporalDevServer has no option for extra flags: a wrapper that execs the CLI (same pid) adds them.
    cliPath = path.join(tmp, 'temporal-with-options.sh');
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    fs.writeFileSync(cliPath, `#!/bin/sh\nexec ${quote(cli.path)} "$@" ${serverArgs.map(quote).join(' ')}\n`, { mode: 0o755 });
    say(`dev server extra flags: ${serverArgs.join(' ')}`);
  }
  // Started side by side; each registers its clean-up as soon as it is up, and a failure of one
  // is only thrown once the other has settled, so that nothing is left running behind us.
  const servers = await Promise.allSettled([
    (async () => {
      const d: DevServer = await startTemporalDevServer({
        cliPath,
        dbFile: path.join(tmp, 'temporal.sqlite'),
        port: await freePort(),
        uiPort: null,
        namespace: 'default',
        searchAttributes: searchAttributeTypes,
        log,
      });
      cleanups.push({ name: 'Temporal dev server', run: () => d.stop() });
      return d;
    })(),
    (async () => {
      const p: EmbeddedPostgresHandle = await startEmbeddedPostgres({ dataDir: pgDataDir, port: await freePort(), log, database: 'mspflow' });
      cleanups.push({ name: 'embedded PostgreSQL', run: () => p.stop() });
      return p;
    })(),
  ]);
  for (const s of servers) if (s.status === 'rejected') throw s.reason;
  const dev = (servers[0] as PromiseFulfilledResult<DevServer>).value;
  const pg = (servers[1] as PromiseFulfilledResult<EmbeddedPostgresHandle>).value;
  say(`Temporal dev server ${cli.version} at ${dev.address} (pid ${dev.pid}), PostgreSQL on port ${pg.port}`);
  await applyMigrations({ databaseUrl: pg.url, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
  say('database migrated');

  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...baseEnv,
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: dev.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ...extra,
  });
  const benchConfig = loadConfig(env());
  const prisma = createPrisma(pg.url, { maxConnections: 4 });
  cleanups.push({ name: 'database pool', run: () => prisma.$disconnect() });
  const temporal: { client: Client; connection: Connection } = await connectTemporal(benchConfig, dev.address);
  cleanups.push({ name: 'Temporal client', run: () => temporal.connection.close() });

  // 2. the worker, in its own process
  let bundlePath: string | undefined;
  if (opts.prebundle) {
    const quiet = () => undefined;
    const bundle = await bundleWorkflowCode({
      workflowsPath,
      logger: { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: (m: string) => say(`bundler: ${m}`), log: quiet },
    });
    bundlePath = path.join(tmp, 'workflow-bundle.js');
    fs.writeFileSync(bundlePath, bundle.code);
  }
  const workerStarting = spawnWorker(
    env({
      NOTIFY_ALLOW_PRIVATE_TARGETS: opts.notify === 'webhook' ? 'true' : 'false',
      ...(bundlePath ? { BENCH_WORKFLOW_BUNDLE: bundlePath } : {}),
      ...(opts.workerHeapMb ? { NODE_OPTIONS: `${baseEnv.NODE_OPTIONS ?? ''} --max-old-space-size=${opts.workerHeapMb}`.trim() } : {}),
    }),
  );
  // Registered at once so that a failed start-up still kills a half-started worker.
  let workerRef: WorkerProcess | undefined;
  cleanups.push({ name: 'worker process', run: async () => (workerRef ?? (await workerStarting.catch(() => undefined)))?.stop() });
  workerStarting.catch(() => undefined);

  // 3. seed: one client, its SLA contract, its notification routes
  const client = await prisma.client.create({ data: { code: 'bench', name: 'Bench Industries' } });
  let webhookHits = 0;
  if (opts.notify === 'webhook') {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        webhookHits++;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push({ name: 'webhook receiver', run: () => new Promise((r) => server.close(() => r(undefined))) });
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    await prisma.notificationRoute.createMany({
      data: SLA_EVENTS.map((event) => ({ clientId: client.id, event, channel: 'WEBHOOK' as const, target: url, secret: crypto.randomBytes(16).toString('hex') })),
    });
    say(`notification routes: a signed webhook to ${url} for ${SLA_EVENTS.join(', ')}`);
  } else {
    say('notification routes: none (sendSlaNotification finds no route and returns)');
  }

  const worker = (workerRef = await workerStarting);
  const sampler = startSampler({ worker: () => worker.pid, temporal: dev.pid, postgres: () => postmasterPid(pgDataDir) });
  cleanups.push({ name: 'sampler', run: async () => sampler.stop() });
  await sleep(2000);
  const baselineRss = memoryOf(worker.pid)?.rss ?? 0;
  say(
    `worker pid ${worker.pid} ready: maxCachedWorkflows ${worker.info.maxCachedWorkflows}, workflow task slots ` +
      `${worker.info.maxConcurrentWorkflowTaskExecutions}, activity slots ${worker.info.maxConcurrentActivityTaskExecutions}; ` +
      `idle rss ${fmt(baselineRss / MB)} MB`,
  );

  // The schedule: the measured milestones (first-response 50 %) fall in [dueAt, dueAt + spread).
  const seededAt = Date.now();
  const dueAt = Math.ceil((seededAt + opts.dueInMs) / 60_000) * 60_000;
  const leadMinutes = Math.ceil((dueAt + opts.spreadMs - seededAt) / 60_000); // creation -> milestone
  const firstResponseMinutes = 2 * leadMinutes;
  // Paris office hours (the P3 background tickets wait on them); P1 is 24/7.
  await seedSlaContract(prisma, client.id, {
    policyName: 'Bench',
    targets: { P1: { firstResponseMinutes, resolutionMinutes: Math.max(480, 8 * firstResponseMinutes) } },
  });
  say(
    `SLA: P1 24/7, first response ${firstResponseMinutes} min; the measured batch (first-response 50 % warning) is due ` +
      `${iso(dueAt)} .. ${iso(dueAt + opts.spreadMs)}`,
  );

  // 4. the tickets, in bulk. Batch ticket i (P1) is created in the past so that its milestone is due at
  // dueAt + i*spread/batch; the background tickets (P3, office hours) are created now: hours to go.
  const leadMs = leadMinutes * 60_000;
  const batch = opts.batch;
  const inBatch = (k: number) => k < batch;
  const inputs: TicketWorkflowInput[] = [];
  for (let from = 0; from < n; from += 1000) {
    const rows = await prisma.ticket.createManyAndReturn({
      data: Array.from({ length: Math.min(1000, n - from) }, (_, k) => ({
        clientId: client.id,
        subject: `Bench incident ${from + k + 1}`,
        priority: inBatch(from + k) ? ('P1' as const) : ('P3' as const),
        kind: 'INCIDENT' as const,
        source: 'API' as const,
        createdAt: inBatch(from + k) ? new Date(dueAt - leadMs + Math.floor(((from + k) * opts.spreadMs) / batch)) : new Date(),
      })),
      select: { id: true, createdAt: true, subject: true, priority: true },
    });
    await prisma.ticketEvent.createMany({
      data: rows.map((r) => ({ ticketId: r.id, type: 'created', dedupeKey: `created:${r.id}`, data: { source: 'API', by: 'bench' }, at: r.createdAt })),
    });
    for (const r of rows) {
      inputs.push({ ticketId: r.id, clientId: client.id, clientName: client.name, subject: r.subject, priority: r.priority, createdAt: r.createdAt.getTime() });
    }
  }
  await prisma.$executeRawUnsafe(`UPDATE "Ticket" SET "workflowId" = 'ticket-' || id WHERE "workflowId" IS NULL`);
  say(`${n} tickets inserted in ${Date.now() - seededAt} ms`);

  // 5. start the workflows, with progress
  let started = 0;
  let lastProgress: Progress = { recorded: 0, policies: 0, fired: 0 };
  let phase = 'starting';
  const progressTimer = setInterval(() => {
    void progressCounts(prisma)
      .then((p) => {
        lastProgress = p;
        const until = dueAt - Date.now();
        say(
          `${phase}: started ${started}/${n}, workflow recorded ${p.recorded}, policy loaded ${p.policies}, ` +
            `batch fired ${p.fired}/${opts.batch}${until > 0 ? ` (due in ${fmt(until / 1000)}s)` : ''} | ${sampler.line()}` +
            (opts.notify === 'webhook' ? ` | webhooks ${webhookHits}` : ''),
        );
      })
      .catch((err: Error) => say(`progress query failed: ${err.message}`));
  }, 5000);
  progressTimer.unref();
  cleanups.push({ name: 'progress', run: async () => clearInterval(progressTimer) });

  const cpuAtStart = sampler.cpuSnapshot();
  const startsFrom = Date.now();
  let alreadyStarted = 0;
  await pool(inputs, opts.concurrency, async (input) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await startTicketWorkflow(temporal.client, TASK_QUEUE, input);
        if (r.alreadyStarted) alreadyStarted++;
        break;
      } catch (err) {
        if (attempt >= 5) throw err;
        say(`start of ticket-${input.ticketId} failed (attempt ${attempt}): ${(err as Error).message}; retrying`);
        await sleep(500 * attempt);
      }
    }
    started++;
  });
  const startsTook = Date.now() - startsFrom;
  const startThroughput = n / (startsTook / 1000);
  say(`all ${n} workflows started in ${fmt(startsTook / 1000, 1)}s (${fmt(startThroughput, 1)} wf/s)${alreadyStarted ? `, ${alreadyStarted} already running` : ''}`);

  // 6. wait until every workflow is waiting on its timer (approximated by the policy being loaded), then for the batch
  phase = 'waiting';
  while (Date.now() < dueAt && lastProgress.policies < n) await sleep(1000);
  const cpuAtReady = sampler.cpuSnapshot();
  if (lastProgress.policies < n) say(`WARNING: only ${lastProgress.policies}/${n} workflows had loaded their policy when the batch fell due; see late_started`);
  else say(`every workflow has loaded its SLA policy ${fmt((dueAt - Date.now()) / 1000)}s before the batch is due`);
  phase = 'batch';
  const batchDeadline = dueAt + opts.spreadMs + opts.batchTimeoutMs;
  while (Date.now() < batchDeadline) {
    if (Date.now() > dueAt + opts.spreadMs && lastProgress.fired >= batch) break;
    await sleep(1000);
  }
  const cpuAtBatchEnd = sampler.cpuSnapshot();
  clearInterval(progressTimer);
  const measuredAt = Date.now();

  // 7. lateness, from the timeline entries in PostgreSQL
  const rows = await prisma.$queryRawUnsafe<Array<{ ticketId: number; at: string; detail: string }>>(`
    SELECT "ticketId", data->>'at' AS at, data->>'detail' AS detail FROM "TicketEvent"
     WHERE type = 'sla.warned' AND data->>'clock' = 'firstResponse' AND (data->>'fraction')::float8 = 0.5`);
  const fired = new Map<number, { at: number; firedAt: number }>();
  for (const r of rows) {
    const firedAt = Date.parse(/^fired at (.+)$/.exec(r.detail)?.[1] ?? '');
    fired.set(r.ticketId, { at: Number(r.at), firedAt });
  }

  // 8. the histories: workflow tasks and the timers, as the server recorded them
  say(`reading ${n} workflow histories from the server`);
  const facts = new Map<number, HistoryFacts>();
  const histFrom = Date.now();
  await pool(inputs, 16, async (input) => {
    const history = await temporal.client.workflow.getHandle(`ticket-${input.ticketId}`).fetchHistory();
    facts.set(input.ticketId, historyFacts(history.events ?? []));
  });
  say(`histories read in ${fmt((Date.now() - histFrom) / 1000, 1)}s`);

  // Worker memory: the kernel's high-water mark covers moments between samples.
  const finalMem = memoryOf(worker.pid);
  const peakRss = Math.max(sampler.peakRss, finalMem?.hwm ?? 0, finalMem?.rss ?? 0);

  // Lateness: only workflows whose first timer was set before its milestone instant.
  const lateness: number[] = [];
  const setDelay: number[] = [];
  const timerDelay: number[] = [];
  const queueDelay: number[] = [];
  let lateStarted = 0;
  let missing = 0;
  for (const input of inputs) {
    if (input.priority !== 'P1') continue; // background ticket, not in the measured batch
    const f = facts.get(input.ticketId);
    const e = fired.get(input.ticketId);
    const at = e?.at ?? input.createdAt! + leadMs;
    const timer = f ? timerAimedAt(f, at) : undefined;
    if (!timer || timer.setTaskStartedAt > at) {
      lateStarted++;
      continue;
    }
    if (!e || !Number.isFinite(e.firedAt)) {
      missing++;
      lateness.push(measuredAt - at); // a lower bound: it had not fired when we stopped waiting
      continue;
    }
    lateness.push(e.firedAt - at);
    if (timer.firedAt !== undefined) {
      setDelay.push(timer.startedAt - timer.setTaskStartedAt);
      timerDelay.push(timer.firedAt - (timer.startedAt + timer.durationMs));
      if (timer.seenAt !== undefined) queueDelay.push(timer.seenAt - timer.firedAt);
    }
  }

  // Workflow-task throughput.
  const completed: number[] = [];
  const s2s: Array<[number, number]> = [];
  const processing: Array<[number, number]> = [];
  const activities: Array<[number, number, number]> = [];
  let timedOut = 0;
  let failed = 0;
  let readyAt = 0; // when the last workflow had set its first timer
  for (const f of facts.values()) {
    for (const t of f.tasksCompleted) completed.push(t);
    for (const x of f.scheduleToStart) s2s.push(x);
    for (const x of f.taskProcessing) processing.push(x);
    for (const x of f.activities) activities.push(x);
    timedOut += f.tasksTimedOut;
    failed += f.tasksFailed;
    const firstTimer = f.timers[0];
    if (firstTimer) readyAt = Math.max(readyAt, firstTimer.startedAt);
  }
  const sortedCompleted = sortNum(completed);
  const countBetween = (from: number, to: number) => lowerBound(sortedCompleted, to) - lowerBound(sortedCompleted, from);
  const startPhaseMs = Math.max(1, readyAt - startsFrom);
  const startPhaseTasks = countBetween(startsFrom, readyAt + 1);
  let peak10 = 0;
  for (let i = 0, j = 0; i < sortedCompleted.length; i++) {
    while (sortedCompleted[i] - sortedCompleted[j] >= 10_000) j++;
    peak10 = Math.max(peak10, i - j + 1);
  }
  const lastFired = Math.max(dueAt, ...[...fired.values()].map((x) => x.firedAt).filter(Number.isFinite));
  const batchTo = Math.max(lastFired, dueAt + opts.spreadMs);
  const batchTasks = countBetween(dueAt, batchTo + 1);
  const between = <T extends number[]>(xs: T[], from: number, to: number, k: number) => sortNum(xs.filter((x) => x[0] >= from && x[0] <= to).map((x) => x[k]));
  const dist = (xs: number[]) => `${fmt(percentile(xs, 50))}/${fmt(percentile(xs, 99))}/${fmt(xs[xs.length - 1])}`;
  const phaseLine = (from: number, to: number) =>
    `workflow task schedule-to-start ${dist(between(s2s, from, to, 1))}, processing ${dist(between(processing, from, to, 1))}; ` +
    `activity schedule-to-start ${dist(between(activities, from, to, 1))}, run ${dist(between(activities, from, to, 2))} ms`;

  const sortedLateness = sortNum(lateness);
  const cpuLine = (a: Record<string, number>, b: Record<string, number>) => {
    const dt = b.at - a.at;
    const keys = ['worker', 'temporal', 'postgres', 'bench'];
    const parts = keys.map((k) => `${k} ${fmt((b[k] - a[k]) / dt, 2)}`);
    const ours = keys.reduce((sum, k) => sum + (b[k] - a[k]), 0);
    parts.push(`other processes ${fmt(Math.max(0, b.machine - a.machine - ours) / dt, 2)}`);
    return `${parts.join(', ')} cores (machine ${fmt((b.machine - a.machine) / dt, 2)} of ${cpuCount}) over ${fmt(dt)}s`;
  };

  // 9. report
  say('---- diagnostics');
  say(`start phase: ${n} starts in ${fmt(startsTook / 1000, 1)}s; last workflow waiting on its timer ${fmt((readyAt - startsFrom) / 1000, 1)}s after the first start`);
  say(`cpu during start phase: ${cpuLine(cpuAtStart, cpuAtReady)}`);
  say(`cpu during batch:       ${cpuLine(cpuAtReady, cpuAtBatchEnd)}`);
  say(`workflow tasks: ${completed.length} completed, ${timedOut} timed out, ${failed} failed; start phase ${startPhaseTasks} in ${fmt(startPhaseMs / 1000, 1)}s, batch ${batchTasks} in ${fmt((batchTo - dueAt) / 1000, 1)}s`);
  say(`start phase p50/p99/max: ${phaseLine(startsFrom, readyAt)}`);
  say(`batch p50/p99/max:       ${phaseLine(dueAt, batchTo)}`);
  const parts = (name: string, xs: number[]) => {
    const s = sortNum(xs);
    return `${name} p50 ${fmt(percentile(s, 50))} p99 ${fmt(percentile(s, 99))} max ${fmt(s[s.length - 1])} ms`;
  };
  say(`lateness split: ${parts('timer-setting task processing', setDelay)}; ${parts('server timer delay', timerDelay)}; ${parts('fired -> task started', queueDelay)}`);
  say(`batch: ${fired.size}/${batch} fired; ${lateStarted} started after their instant (excluded); ${missing} not fired when the bench stopped waiting (counted as lateness >= ${fmt((measuredAt - dueAt) / 1000)}s)`);
  if (opts.notify === 'webhook') say(`webhook receiver got ${webhookHits} notifications`);
  if (noise.size) say(`log lines: ${[...noise].map(([source, count]) => `${source} ${count}`).join(', ')} (warnings and errors; most were not shown)`);
  say('---- results');

  bench('workflows', n);
  bench('batch', batch);
  bench('max_cached_workflows', worker.info.maxCachedWorkflows ?? 'default');
  bench('rss', fmt(peakRss / MB), 'MB');
  bench('rss_idle', fmt(baselineRss / MB), 'MB');
  bench('rss_end', fmt((finalMem?.rss ?? 0) / MB), 'MB');
  bench('lateness_p50', fmt(percentile(sortedLateness, 50)), 'ms');
  bench('lateness_p99', fmt(percentile(sortedLateness, 99)), 'ms');
  bench('lateness_max', fmt(sortedLateness[sortedLateness.length - 1]), 'ms');
  bench('lateness_samples', lateness.length);
  // Not fired when the bench stopped waiting: counted above with the time waited, so with any of
  // these the lateness figures are lower bounds.
  bench('not_fired', missing);
  bench('late_started', lateStarted);
  bench('start_throughput', fmt(startThroughput, 1), 'wf/s');
  bench('workflow_tasks', fmt(startPhaseTasks / (startPhaseMs / 1000), 1), 'tasks/s');
  bench('workflow_tasks_peak', fmt(peak10 / 10, 1), 'tasks/s');
  bench('workflow_tasks_batch', fmt(batchTasks / Math.max(1, (batchTo - dueAt) / 1000), 1), 'tasks/s');
  bench('ready_after', fmt((readyAt - startsFrom) / 1000, 1), 's');
  const pass = peakRss < 1.5 * 1024 * MB && percentile(sortedLateness, 99) < 1000 && lateStarted === 0 && missing === 0;
  say(`targets (rss < 1536 MB, lateness p99 < 1000 ms): ${pass ? 'met' : 'NOT met'}; total ${fmt((Date.now() - t0) / 1000)}s`);
}

/** Index of the first element >= value in a sorted array. */
function lowerBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

main()
  .then(
    () => cleanup().then(() => process.exit(0)),
    (err: unknown) => {
      if (signalled) return; // the signal handler is already stopping everything
      say(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return cleanup().then(() => process.exit(1));
    },
  );
