import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeshCentralRmm } from '../../activities/rmm/meshcentral/meshcentral-rmm';
import type { PresenceEvent, RmmDevice } from '../../activities/rmm/port';
import { createLogger } from '../../lib/logger';
import { startMeshAgent, startMeshCentral, type LocalMeshAgent, type LocalMeshCentral } from '../../scripts/meshcentral/local-server';
import { eventually } from '../support/eventually';

/**
 * The MeshCentral adapter against a real MeshCentral server and a real Linux agent on loopback
 * (the pinned npm package, installed by scripts/meshcentral/install.sh).
 */
jest.setTimeout(180_000);

const log = createLogger({ log: { level: 'warn', format: 'json' } }, 'test');
let dir: string;
let server: LocalMeshCentral;
let agent: LocalMeshAgent;
let rmm: MeshCentralRmm;
let groupId: string;
let device: RmmDevice;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-mesh-'));
  server = await startMeshCentral({ dir: path.join(dir, 'server') });
  rmm = new MeshCentralRmm({ url: server.url, user: server.user, password: server.password, tlsCertHash: server.tlsCertHash(), log, requestTimeoutMs: 8000 });
  groupId = (await rmm.ensureGroup('acme-servers')).id;
  agent = await startMeshAgent({ server, groupId, dir: path.join(dir, 'agent1') });
  device = await eventually(
    async () => {
      const [d] = await rmm.listDevices(groupId);
      if (!d?.online) throw new Error('agent not connected yet');
      return d;
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
});

afterAll(async () => {
  await rmm?.close();
  await agent?.stop();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('lists the enrolled device, online, with its group and OS', async () => {
  expect(device.id).toMatch(/^node\/\/.+/);
  expect(device.groupId).toBe(groupId);
  expect(device.platform).toBe('linux');
  expect(device.hostname).toBe(os.hostname());
  expect(await rmm.listDevices('mesh//not-a-group')).toEqual([]);
  expect((await rmm.getDevice(device.id))?.online).toBe(true);
});

test('inventory: hostname, OS, agent, network interfaces', async () => {
  const inv = await eventually(
    async () => {
      const i = await rmm.inventory(device.id);
      // The agent batches its network report (about 5 s after connecting).
      if (i.nics.length === 0) throw new Error('no network info yet');
      return i;
    },
    { timeoutMs: 30_000, intervalMs: 1000 },
  );
  expect(inv.hostname).toBe(os.hostname());
  expect(inv.platform).toBe('linux');
  expect(inv.os ?? '').toMatch(/linux|debian|ubuntu/i);
  expect(inv.agent.arch).toBe('linux-x64');
  expect(inv.nics.map((n) => n.name)).toContain('lo');
});

test('runs a script: stdout, separate stderr (even right before exit) and a non-zero exit code', async () => {
  const result = await rmm.runScript(device.id, { script: 'echo "hello $((6*7))"\necho "to stderr" >&2\nexit 3' });
  expect(result.stdout).toBe('hello 42\n');
  expect(result.stderr).toBe('to stderr\n');
  expect(result.exitCode).toBe(3);
  expect(result.timedOut).toBe(false);

  const ok = await rmm.runScript(device.id, { script: "printf '%s' \"it's quoted; $HOME\"" });
  expect(ok.exitCode).toBe(0);
  expect(ok.stdout).toMatch(/^it's quoted; \//);
});

test('repetitive output comes back whole (compressed in transit)', async () => {
  const result = await rmm.runScript(device.id, { script: 'head -c 2000000 /dev/zero | tr "\\0" a' });
  expect(result.exitCode).toBe(0);
  expect(result.stdout.length).toBe(1_000_000 + '\n[truncated 1000000 characters]'.length);
});

test('queues concurrent commands to one device: none is dropped, none gets another reply', async () => {
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => rmm.runScript(device.id, { script: `sleep 0.2; echo "job ${i}"; exit ${i}` })),
  );
  results.forEach((r, i) => {
    expect(r.stdout).toBe(`job ${i}\n`);
    expect(r.exitCode).toBe(i);
  });
});

test('a script over its timeout is killed and reported as timed out', async () => {
  const result = await rmm.runScript(device.id, { script: 'echo started; sleep 60; echo never', timeoutMs: 1500 });
  expect(result.timedOut).toBe(true);
  expect(result.exitCode).toBe(124);
  expect(result.stdout).toBe('started\n');
  // The device's slot is free again.
  expect((await rmm.runScript(device.id, { script: 'echo free' })).stdout).toBe('free\n');
});

test('reports online/offline events when the agent stops and starts', async () => {
  const events: PresenceEvent[] = [];
  const unsubscribe = rmm.onPresence((e) => events.push(e));
  await agent.stop();
  await eventually(async () => expect(events.some((e) => e.deviceId === device.id && !e.online)).toBe(true), { timeoutMs: 30_000 });
  expect((await rmm.getDevice(device.id))?.online).toBe(false);
  await expect(rmm.runScript(device.id, { script: 'echo x' })).rejects.toMatchObject({ name: 'DeviceOfflineError' });
  await agent.start();
  await eventually(async () => expect(events.some((e) => e.deviceId === device.id && e.online)).toBe(true), { timeoutMs: 60_000 });
  unsubscribe();
});

test('survives a server restart on the same connection object', async () => {
  await server.stop();
  await expect(rmm.listDevices()).rejects.toThrow(/MeshCentral/);
  await server.start();
  const back = await eventually(
    async () => {
      const d = await rmm.getDevice(device.id);
      if (!d?.online) throw new Error('agent not back yet');
      return d;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  expect(back.id).toBe(device.id);
  const result = await rmm.runScript(device.id, { script: 'echo after restart; exit 5' });
  expect(result).toMatchObject({ stdout: 'after restart\n', exitCode: 5 });
});

test('a wrong password is refused with a clear, non-retryable error', async () => {
  const bad = new MeshCentralRmm({ url: server.url, user: server.user, password: 'wrong', log, requestTimeoutMs: 10_000 });
  try {
    await expect(bad.listDevices()).rejects.toMatchObject({ code: 'RMM_AUTH' });
  } finally {
    await bad.close();
  }
});
