import { TacticalRmm } from '../../activities/rmm/tactical/tactical-rmm';
import { createLogger } from '../../lib/logger';
import { TacticalFake } from './support/tactical-fake';

/** The Tactical RMM adapter against a local HTTP fake of its REST API (not the real product). */
const log = createLogger({ log: { level: 'warn', format: 'json' } }, 'test');
let fake: TacticalFake;
let rmm: TacticalRmm;
let baseUrl: string;

beforeAll(async () => {
  fake = new TacticalFake();
  fake.addAgent({ agent_id: 'AGENTLINUX01', hostname: 'paris-srv-1', site: 10, plat: 'linux', status: 'online', operating_system: 'Ubuntu 22.04', local_ips: '10.0.0.5, 10.0.0.6' });
  fake.addAgent({ agent_id: 'AGENTWIN0001', hostname: 'paris-pc-1', site: 10, plat: 'windows', status: 'online', operating_system: 'Windows 11 Pro, 64 bit', local_ips: '10.0.0.20', updates: ['KB5031356', 'KB5032190'] });
  fake.addAgent({ agent_id: 'AGENTOFF0001', hostname: 'lyon-pc-1', site: 11, plat: 'windows', status: 'offline', operating_system: 'Windows 10 Pro', local_ips: '10.1.0.2' });
  baseUrl = await fake.start();
  rmm = new TacticalRmm({ url: baseUrl, apiKey: fake.apiKey, log });
});

afterAll(async () => {
  await rmm?.close();
  await fake?.close();
});

test('lists sites as groups and agents with platform and online state, sending X-API-KEY', async () => {
  expect(await rmm.listGroups()).toEqual([
    { id: '10', name: 'ACME / Paris' },
    { id: '11', name: 'ACME / Lyon' },
  ]);
  const paris = await rmm.listDevices('10');
  expect(paris.map((d) => [d.id, d.platform, d.online, d.ips])).toEqual([
    ['AGENTLINUX01', 'linux', true, ['10.0.0.5', '10.0.0.6']],
    ['AGENTWIN0001', 'windows', true, ['10.0.0.20']],
  ]);
  expect((await rmm.listDevices()).map((d) => d.id)).toContain('AGENTOFF0001');
  expect(await rmm.getDevice('NOPE')).toBeNull();
  const inv = await rmm.inventory('AGENTWIN0001');
  expect(inv.hardware).toMatchObject({ cpu: 'Intel(R) Core(TM) i5', memoryBytes: 16 * 2 ** 30, model: 'Dell OptiPlex', serial: 'SN123' });
  expect(fake.requests.every((r) => r.path.endsWith('/') || r.path.includes('/?'))).toBe(true);
});

test('runs a command: output, separate stderr and the exit code, through the wrapper', async () => {
  const r = await rmm.runScript('AGENTLINUX01', { script: 'echo hello; echo oops >&2; exit 7' });
  expect(r).toMatchObject({ stdout: 'hello\n', stderr: 'oops\n', exitCode: 7, timedOut: false });
  const sent = fake.requests.filter((q) => q.path === '/agents/AGENTLINUX01/cmd/').pop()!.body as Record<string, unknown>;
  expect(sent).toMatchObject({ shell: '/bin/bash', run_as_user: false });
  expect(typeof sent.timeout).toBe('number');
});

test('an offline agent is reported as offline; a bad key as an auth error', async () => {
  await expect(rmm.runScript('AGENTOFF0001', { script: 'echo x' })).rejects.toMatchObject({ name: 'DeviceOfflineError' });
  await expect(rmm.reboot('AGENTOFF0001')).rejects.toMatchObject({ name: 'DeviceOfflineError' });
  const wrong = new TacticalRmm({ url: baseUrl, apiKey: 'wrong', log });
  await expect(wrong.listGroups()).rejects.toMatchObject({ code: 'RMM_AUTH' });
  await wrong.close();
});

test('reboots an online agent', async () => {
  await rmm.reboot('AGENTWIN0001');
  expect(fake.agents.get('AGENTWIN0001')!.reboots).toBe(1);
});

test('Windows updates: scan, approve the named KB, install, poll until installed', async () => {
  const result = await rmm.installWindowsUpdates('AGENTWIN0001', ['kb5031356'], { pollMs: 10 });
  expect(result).toEqual({ installed: ['KB5031356'], pending: [] });
  const updates = await rmm.listWindowsUpdates('AGENTWIN0001');
  expect(updates.map((u) => [u.kb, u.installed, u.action])).toEqual([
    ['KB5031356', true, 'approve'],
    ['KB5032190', false, 'nothing'],
  ]);
  const paths = fake.requests.map((r) => `${r.method} ${r.path}`);
  expect(paths).toContain('POST /winupdate/AGENTWIN0001/scan/');
  expect(paths).toContain('POST /winupdate/AGENTWIN0001/install/');
  expect(paths.filter((p) => p === 'GET /winupdate/AGENTWIN0001/').length).toBeGreaterThanOrEqual(3);
});
