import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SimulatedRmm, type SimulatorOptions } from '../../activities/rmm/simulator/simulated-rmm';
import type { PatchSet } from '../../workflows/rollout/definitions';
import { createTestContext, harness, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { repoRoot } from '../support/paths';
import { clientWithDevices, startRollout, waitForStatus } from './support/rollout-harness';

/**
 * The worker process is killed with SIGKILL in the middle of a ring, then another one starts:
 * the rollout finishes and no device is patched twice (the simulator journals every install to
 * disk, across both processes).
 */
jest.setTimeout(300_000);

let ctx: TestContext;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-kill-'));
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await ctx?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function startWorkerProcess(options: SimulatorOptions): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'support', 'sim-worker-process.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      SIM_DATABASE_URL: ctx.databaseUrl,
      SIM_TEMPORAL_ADDRESS: ctx.temporal.address,
      SIM_TASK_QUEUE: ctx.taskQueue,
      SIM_WORKFLOW_BUNDLE: harness().workflowBundlePath,
      SIM_OPTIONS: JSON.stringify(options),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('worker ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

test('a worker killed mid-ring: the rollout completes on another worker, no device patched twice', async () => {
  const journalPath = path.join(dir, 'installs.jsonl');
  const options: SimulatorOptions = { groups: [{ id: 'kill', name: 'Kill Co', devices: 40 }], latencyMs: [100, 250], journalPath };
  const { client, devices } = await clientWithDevices(ctx, { simulator: new SimulatedRmm({ groups: options.groups }) }, 'simulator', 'kill', 'killco');
  const patch: PatchSet = { kind: 'script', id: 'kb-2026-11', install: 'install', verify: 'verify' };

  const first = await startWorkerProcess(options);
  const { rollout } = await startRollout(ctx, {
    name: 'worker kill',
    clientIds: [client.id],
    patchSet: patch,
    policy: { rings: [{ name: 'all' }], batchSize: 5, maxParallelBatches: 2, concurrencyPerBatch: 3, retryInitialMs: 500, heartbeatTimeoutMs: 3000 },
  });
  const journal = () => (fs.existsSync(journalPath) ? fs.readFileSync(journalPath, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { deviceId: string }) : []);
  await eventually(async () => expect(journal().length).toBeGreaterThanOrEqual(10), { timeoutMs: 120_000, intervalMs: 50 });
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const installedBeforeKill = journal().length;
  expect(installedBeforeKill).toBeLessThan(40);

  const second = await startWorkerProcess(options);
  const done = await waitForStatus(ctx, rollout.workflowId, 'completed', 240_000);
  expect(done.rings[0]).toMatchObject({ size: 40, succeeded: 40, failed: 0 });
  second.kill('SIGTERM');

  const perDevice = new Map<string, number>();
  for (const e of journal()) perDevice.set(e.deviceId, (perDevice.get(e.deviceId) ?? 0) + 1);
  expect(perDevice.size).toBe(40);
  expect([...perDevice.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  expect(new Set(devices.map((d) => d.rmmDeviceId))).toEqual(new Set(perDevice.keys()));
  const installRows = await ctx.prisma.rolloutStep.findMany({ where: { rolloutId: rollout.id, step: 'install' } });
  expect(installRows).toHaveLength(40);
  expect(installRows.every((r) => r.status === 'DONE')).toBe(true);
});
