import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { harness } from './context';
import { repoRoot } from './paths';

export interface AppProcess {
  child: ChildProcess;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Runs `npm start`'s entry point as a real child process with the given configuration. */
export function spawnApp(env: Record<string, string>): AppProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'workers', 'start.ts')], {
    cwd: repoRoot,
    env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d.toString()));
  child.stderr!.on('data', (d) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => out };
}

/** Waits for the "mspflow is up" log line (or fails with the process output). */
export async function waitUntilUp(app: AppProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void app.exited.then(() => (exited = true));
  while (!app.output().includes('mspflow is up')) {
    if (exited) throw new Error(`app exited before it was up:\n${app.output()}`);
    if (Date.now() > deadline) throw new Error(`app not up after ${timeoutMs} ms:\n${app.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface TestWorkerOptions {
  /** The test's own database and task queue (a TestContext has both). */
  databaseUrl: string;
  taskQueue: string;
  /** What the scenario needs on top (SMTP, notification settings...). */
  env?: Record<string, string>;
  /** Every worker started is added here, for killLeftoverWorkers() in afterAll. */
  started?: AppProcess[];
}

/**
 * A worker-only `npm start` (RUN_API=false, no migrations: the test's database is migrated) on the
 * run's Temporal server, the test's database and task queue. Resolves once it is up.
 */
export async function startTestWorker(opts: TestWorkerOptions): Promise<AppProcess> {
  const worker = spawnApp({
    DATABASE_URL: opts.databaseUrl,
    TEMPORAL_ADDRESS: harness().temporalAddress,
    TEMPORAL_TASK_QUEUE: opts.taskQueue,
    RUN_API: 'false',
    MIGRATE_ON_START: 'false',
    ...opts.env,
  });
  opts.started?.push(worker);
  await waitUntilUp(worker, 120_000);
  return worker;
}

/**
 * A test worker (startTestWorker) that SIGKILLs itself when it reaches the crash point `crashAt`
 * (lib/crash-points; `none`: a healthy worker).
 */
export function startWorkerThatCrashesAt(crashAt: string, opts: TestWorkerOptions): Promise<AppProcess> {
  return startTestWorker({ ...opts, env: { ...opts.env, CRASH_AT: crashAt } });
}

/** Waits for a worker to die of its crash point: fails if it is still alive after `withinMs`, or exited any other way. */
export async function killedAtCrashPoint(worker: AppProcess, withinMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([
    worker.exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`worker still alive after ${withinMs} ms:\n${worker.output().slice(-5000)}`)), withinMs);
    }),
  ]).finally(() => clearTimeout(timer));
  if (exit.signal !== 'SIGKILL') throw new Error(`worker exited with ${JSON.stringify(exit)}, not SIGKILL:\n${worker.output().slice(-5000)}`);
}

/** afterAll: SIGKILL every worker still running (a test that failed half-way). */
export function killLeftoverWorkers(workers: AppProcess[]): void {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
}
