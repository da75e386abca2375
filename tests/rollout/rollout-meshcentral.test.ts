import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeshCentralRmm } from '../../activities/rmm/meshcentral/meshcentral-rmm';
import type { PatchSet } from '../../workflows/rollout/definitions';
import { startMeshAgent, startMeshCentral, type LocalMeshAgent, type LocalMeshCentral } from '../../scripts/meshcentral/local-server';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { clientWithDevices, startRollout, startRolloutWorker, waitForStatus } from './support/rollout-harness';

/**
 * A real rollout on real MeshCentral agents (two Linux agents on loopback): a harmless "patch"
 * that writes a version marker in the agent's directory, canary → broad with an approval gate.
 */
jest.setTimeout(240_000);

let dir: string;
let server: LocalMeshCentral;
const agents: LocalMeshAgent[] = [];
let rmm: MeshCentralRmm;
let ctx: TestContext;
let worker: Awaited<ReturnType<typeof startRolloutWorker>>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-mesh-rollout-'));
  server = await startMeshCentral({ dir: path.join(dir, 'server') });
  rmm = new MeshCentralRmm({ url: server.url, user: server.user, password: server.password, tlsCertHash: server.tlsCertHash(), log: createQuietLog() });
  const group = await rmm.ensureGroup('acme-workstations');
  for (const name of ['agent-a', 'agent-b']) agents.push(await startMeshAgent({ server, groupId: group.id, dir: path.join(dir, name) }));
  await eventually(
    async () => {
      const devices = await rmm.listDevices(group.id);
      if (devices.filter((d) => d.online).length < 2) throw new Error('agents not connected yet');
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
  ctx = await createTestContext();
  worker = await startRolloutWorker(ctx, { meshcentral: rmm });
  (globalThis as { meshGroupId?: string }).meshGroupId = group.id;
});

afterAll(async () => {
  await worker?.stop();
  await ctx?.close();
  await rmm?.close();
  for (const a of agents) await a.stop();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function createQuietLog() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../lib/logger') as typeof import('../../lib/logger')).createLogger({ log: { level: 'warn', format: 'json' } }, 'test');
}

test('patches the canary agent, waits for approval, then the broad ring; markers, exit codes and evidence are real', async () => {
  const groupId = (globalThis as { meshGroupId?: string }).meshGroupId!;
  const { client, devices, sync } = await clientWithDevices(ctx, { meshcentral: rmm }, 'meshcentral', groupId, 'acme');
  expect(sync).toMatchObject({ created: 2, online: 2 });
  expect(devices.every((d) => d.platform === 'linux')).toBe(true);

  const patch: PatchSet = {
    kind: 'script',
    id: 'acme-tool-2.1',
    install: 'echo "installing acme-tool 2.1"\nprintf "2.1\\n" > ./acme-tool.version\ndate +%s >> ./acme-tool.installs\necho "done" >&2',
    verify: '[ "$(cat ./acme-tool.version 2>/dev/null)" = "2.1" ] || { echo "acme-tool is $(cat ./acme-tool.version 2>/dev/null || echo missing)"; exit 1; }',
  };
  // Which agent directory belongs to which device: ask the agent itself.
  const dirOf = new Map<string, string>();
  for (const d of devices) dirOf.set(d.id, (await rmm.runScript(d.rmmDeviceId, { script: 'pwd' })).stdout.trim());
  const [canary, broad] = devices;

  const admin = await ctx.userWithToken('ADMIN');
  const auth = { authorization: `Bearer ${admin.token}` };
  const { rollout } = await startRollout(ctx, {
    name: 'acme-tool 2.1',
    clientIds: [client.id],
    patchSet: patch,
    policy: { rings: [{ name: 'canary', deviceIds: [canary.id] }, { name: 'broad' }], minFreeDiskKb: 1024 },
  });

  const waiting = await waitForStatus(ctx, rollout.workflowId, (v) => v.status === 'waiting-approval' && v.currentRing === 'broad');
  expect(waiting.rings[0]).toMatchObject({ status: 'done', succeeded: 1, failed: 0 });
  expect(fs.readFileSync(path.join(dirOf.get(canary.id)!, 'acme-tool.version'), 'utf8')).toBe('2.1\n');
  expect(fs.existsSync(path.join(dirOf.get(broad.id)!, 'acme-tool.version'))).toBe(false);

  const approved = await ctx.app.inject({ method: 'POST', url: `/rollouts/${rollout.id}/approve`, headers: auth, payload: { ring: 'broad' } });
  expect(approved.statusCode).toBe(200);
  const done = await waitForStatus(ctx, rollout.workflowId, 'completed');
  expect(done.rings.map((r) => [r.name, r.succeeded, r.failed])).toEqual([
    ['canary', 1, 0],
    ['broad', 1, 0],
  ]);
  for (const d of devices) {
    expect(fs.readFileSync(path.join(dirOf.get(d.id)!, 'acme-tool.version'), 'utf8')).toBe('2.1\n');
    expect(fs.readFileSync(path.join(dirOf.get(d.id)!, 'acme-tool.installs'), 'utf8').trim().split('\n')).toHaveLength(1);
  }

  const steps = await ctx.prisma.rolloutStep.findMany({ where: { rolloutId: rollout.id, deviceId: broad.id }, orderBy: { startedAt: 'asc' } });
  expect(steps.map((s) => [s.step, s.status, s.exitCode])).toEqual([
    ['precheck', 'DONE', 0],
    ['install', 'DONE', 0],
    ['verify', 'DONE', 0],
  ]);
  const install = steps[1];
  expect(install.outputExcerpt).toContain('installing acme-tool 2.1');
  expect(install.outputExcerpt).toContain('[stderr]\ndone');
  expect(install.outputDigest).toMatch(/^[0-9a-f]{64}$/);
  expect(steps[0].outputExcerpt).toMatch(/FREE_KB=\d+/);
});

test('a failing patch on a real agent is reported with its exit code and stderr', async () => {
  const groupId = (globalThis as { meshGroupId?: string }).meshGroupId!;
  const client = await ctx.prisma.client.findFirstOrThrow({ where: { code: 'acme' } });
  const devices = await ctx.prisma.device.findMany({ where: { clientId: client.id, rmmGroupId: groupId } });
  const { rollout } = await startRollout(ctx, {
    name: 'broken patch',
    clientIds: [client.id],
    patchSet: { kind: 'script', id: 'broken-1', install: 'echo "E: Unable to locate package nothere" >&2; exit 100', verify: 'exit 1' },
    policy: { rings: [{ name: 'all', maxFailureRate: 0.5 }], installAttempts: 1, minFreeDiskKb: 1024 },
  });
  const halted = await waitForStatus(ctx, rollout.workflowId, 'halted');
  expect(halted.rings[0].failed).toBe(2);
  const rows = await ctx.prisma.rolloutDevice.findMany({ where: { rolloutId: rollout.id } });
  expect(rows).toHaveLength(devices.length);
  for (const r of rows) {
    expect(r.state).toBe('failed');
    expect(r.reason).toBe('install: install exited with 100: E: Unable to locate package nothere');
  }
  await ctx.temporal.client.workflow.getHandle(rollout.workflowId).terminate('test done');
});
