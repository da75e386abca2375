import { SimulatedRmm } from '../../activities/rmm/simulator/simulated-rmm';
import { approveRolloutGate } from '../../activities/rmm/rollout/rollout-service';
import { systemActor } from '../../lib/access';
import type { PatchSet } from '../../workflows/rollout/definitions';
import { Receiver } from '../notify/support/receiver';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { clientWithDevices, progress, startRollout, startRolloutWorker, waitForStatus } from './support/rollout-harness';

/**
 * Rollout policy on the SIMULATED RMM (real Temporal dev server, real PostgreSQL, real HTTP
 * receiver for alerts): rings and approvals through the API and the email-approval business
 * action, halting at the failure threshold, pause / resume / cancel, offline catch-up.
 */
jest.setTimeout(240_000);

const patch: PatchSet = { kind: 'script', id: 'acme-agent-2.1', install: 'install acme agent 2.1', verify: 'acme agent is 2.1' };
let ctx: TestContext;
let sim: SimulatedRmm;
let worker: Awaited<ReturnType<typeof startRolloutWorker>>;
let receiver: Receiver;

beforeAll(async () => {
  ctx = await createTestContext();
  receiver = await new Receiver().start();
  sim = new SimulatedRmm({
    groups: [
      { id: 'happy', name: 'Happy Co', devices: 20 },
      { id: 'halt', name: 'Halt Co', devices: 14 },
      { id: 'pause', name: 'Pause Co', devices: 8 },
      { id: 'offline', name: 'Offline Co', devices: 5 },
      { id: 'long', name: 'Long Co', devices: 40 },
    ],
    latencyMs: [10, 40],
    rebootRequiredRate: 0.25,
    rebootMs: 200,
    offlineDevices: ['sim-offline-00001', 'sim-offline-00003'],
  });
  worker = await startRolloutWorker(ctx, { simulator: sim });
});

afterAll(async () => {
  await worker?.stop();
  await sim?.close();
  await receiver?.close();
  await ctx?.close();
});

test('canary → pilot → broad with approvals by API and by email; every device patched once, with evidence', async () => {
  const { client, devices, sync } = await clientWithDevices(ctx, { simulator: sim }, 'simulator', 'happy', 'happy');
  expect(sync).toMatchObject({ created: 20, online: 20 });
  const admin = await ctx.userWithToken('ADMIN');
  const auth = { authorization: `Bearer ${admin.token}` };

  const created = await ctx.app.inject({
    method: 'POST',
    url: '/rollouts',
    headers: auth,
    payload: {
      name: 'ACME agent 2.1',
      clientIds: [client.id],
      patchSet: patch,
      policy: { rings: [{ name: 'canary', percent: 0.1 }, { name: 'pilot', percent: 0.3 }, { name: 'broad' }], batchSize: 3, maxParallelBatches: 2, concurrencyPerBatch: 2 },
    },
  });
  expect(created.statusCode).toBe(201);
  const rollout = created.json();
  expect(rollout.workflowId).toBe(`rollout-${rollout.id}`);

  const atPilot = await waitForStatus(ctx, rollout.workflowId, (v) => v.status === 'waiting-approval' && v.currentRing === 'pilot');
  expect(atPilot.rings.map((r) => [r.name, r.size])).toEqual([['canary', 2], ['pilot', 6], ['broad', 12]]);
  expect(atPilot.rings[0]).toMatchObject({ status: 'done', succeeded: 2, failed: 0 });
  expect(atPilot.rings[1].succeeded).toBe(0);

  const unknown = await ctx.app.inject({ method: 'POST', url: `/rollouts/${rollout.id}/approve`, headers: auth, payload: { ring: 'nope' } });
  expect(unknown.statusCode).toBe(400);
  const approved = await ctx.app.inject({ method: 'POST', url: `/rollouts/${rollout.id}/approve`, headers: auth, payload: { ring: 'pilot', comment: 'canary looks fine' } });
  expect(approved.statusCode).toBe(200);
  expect(approved.json().rings[1].approval).toMatchObject({ by: admin.userId, via: 'api' });
  const twice = await ctx.app.inject({ method: 'POST', url: `/rollouts/${rollout.id}/approve`, headers: auth, payload: { ring: 'pilot' } });
  expect(twice.statusCode).toBe(409);

  await waitForStatus(ctx, rollout.workflowId, (v) => v.status === 'waiting-approval' && v.currentRing === 'broad');
  // What the email intake will call once it has verified a reply token of kind 'approval'.
  await approveRolloutGate({ prisma: ctx.prisma, temporal: ctx.temporal.client, taskQueue: ctx.taskQueue }, systemActor('mail-intake'), rollout.id, {
    ring: 'broad',
    via: 'email',
    by: 'email:boss@happy.example',
  });
  const done = await waitForStatus(ctx, rollout.workflowId, 'completed');
  expect(done.rings.map((r) => r.succeeded)).toEqual([2, 6, 12]);

  // Once per device, none twice.
  for (const d of devices) expect(sim.installs.get(d.rmmDeviceId)).toBe(1);
  const states = await ctx.prisma.rolloutDevice.groupBy({ by: ['state'], where: { rolloutId: rollout.id }, _count: { _all: true } });
  expect(states).toEqual([{ state: 'succeeded', _count: { _all: 20 } }]);
  const approvals = await ctx.prisma.rolloutApproval.findMany({ where: { rolloutId: rollout.id }, orderBy: { ring: 'asc' } });
  expect(approvals.map((a) => [a.ring, a.via, a.approvedBy])).toEqual([
    ['broad', 'email', 'email:boss@happy.example'],
    ['pilot', 'api', admin.userId],
  ]);

  const evidence = await ctx.app.inject({ method: 'GET', url: `/rollouts/${rollout.id}/devices/${devices[0].id}/evidence`, headers: auth });
  const steps = evidence.json().items as Array<{ step: string; status: string; exitCode: number | null; outputDigest: string | null; command: string }>;
  expect(steps.filter((s) => ['precheck', 'install', 'verify'].includes(s.step)).map((s) => [s.step, s.status, s.exitCode])).toEqual([
    ['precheck', 'DONE', 0],
    ['install', 'DONE', 0],
    ['verify', 'DONE', 0],
  ]);
  expect(steps.find((s) => s.step === 'install')!.outputDigest).toMatch(/^[0-9a-f]{64}$/);
  expect(steps.find((s) => s.step === 'install')!.command).toContain('# mspflow-patch: script:acme-agent-2.1');
  const rebooted = await ctx.prisma.rolloutStep.count({ where: { rolloutId: rollout.id, step: 'wait-online', status: 'DONE' } });
  expect(rebooted).toBeGreaterThan(0);

  const compliance = await ctx.app.inject({ method: 'GET', url: `/devices/compliance?clientId=${client.id}`, headers: auth });
  expect(compliance.json()).toMatchObject({ devices: 20, upToDate: 20, percentUpToDate: 100 });

  const description = await ctx.temporal.client.workflow.getHandle(rollout.workflowId).describe();
  const sa = description.searchAttributes as Record<string, unknown[]>;
  expect(sa.RolloutStatus).toEqual(['completed']);
  expect(sa.RolloutId).toEqual([rollout.id]);
  expect(sa.ClientId).toEqual([client.id]);
  expect(sa.Ring).toEqual(['broad']);
  const row = await ctx.prisma.rollout.findUniqueOrThrow({ where: { id: rollout.id } });
  expect(row.status).toBe('completed');
  expect(row.finishedAt).not.toBeNull();
});

test('a ring over its failure threshold halts the rollout and alerts; resume accepts, cancel stops the rest', async () => {
  const { client, devices } = await clientWithDevices(ctx, { simulator: sim }, 'simulator', 'halt', 'halt');
  const canary = devices.slice(0, 10);
  await ctx.prisma.device.updateMany({ where: { id: { in: canary.map((d) => d.id) } }, data: { tags: ['canary'] } });
  for (const d of canary.slice(0, 3)) sim.setFailing(d.rmmDeviceId, true);
  const hook = receiver.webhook('/halted', 'halt-secret-0123456789');
  await ctx.prisma.notificationRoute.create({ data: { clientId: client.id, event: 'rollout.halted', channel: 'WEBHOOK', target: hook, secret: 'halt-secret-0123456789' } });

  const { rollout } = await startRollout(ctx, {
    name: 'halting',
    clientIds: [client.id],
    patchSet: patch,
    policy: { rings: [{ name: 'canary', tags: ['canary'], maxFailureRate: 0.1 }, { name: 'broad' }], batchSize: 2, maxParallelBatches: 1, concurrencyPerBatch: 1, installAttempts: 1 },
  });
  const halted = await waitForStatus(ctx, rollout.workflowId, 'halted');
  expect(halted.haltReason).toMatch(/ring canary: \d+ failed devices, more than the 1 allowed/);
  expect(halted.rings[0].failed).toBeGreaterThanOrEqual(2);
  expect(halted.rings[1]).toMatchObject({ status: 'pending', succeeded: 0, failed: 0 });
  expect(halted.recentFailures[0].reason).toMatch(/install: install exited with 1: E: simulated install failure/);
  await eventually(async () => {
    const alerts = receiver.to('/halted');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].signatureValid).toBe(true);
    expect(alerts[0].json.event).toBe('rollout.halted');
  });
  // Nothing more starts while halted.
  const failedSoFar = (await progress(ctx, rollout.workflowId)).rings[0];
  const resumed = await ctx.app.inject({
    method: 'POST',
    url: `/rollouts/${rollout.id}/resume`,
    headers: { authorization: `Bearer ${(await ctx.userWithToken('TECHNICIAN')).token}` },
    payload: { reason: 'known bad batch' },
  });
  expect(resumed.statusCode).toBe(200);
  const atBroad = await waitForStatus(ctx, rollout.workflowId, (v) => v.status === 'waiting-approval' && v.currentRing === 'broad');
  expect(atBroad.rings[0]).toMatchObject({ status: 'done', failed: 3, succeeded: 7, thresholdOverridden: true });
  expect(atBroad.rings[0].failed).toBeGreaterThanOrEqual(failedSoFar.failed);

  const admin = await ctx.userWithToken('ADMIN');
  const cancel = await ctx.app.inject({ method: 'POST', url: `/rollouts/${rollout.id}/cancel`, headers: { authorization: `Bearer ${admin.token}` }, payload: {} });
  expect(cancel.statusCode).toBe(200);
  const cancelled = await waitForStatus(ctx, rollout.workflowId, 'cancelled');
  expect(cancelled.rings[1]).toMatchObject({ status: 'cancelled', succeeded: 0 });
  for (const d of devices.slice(10)) expect(sim.installs.get(d.rmmDeviceId) ?? 0).toBe(0);
  expect(await ctx.prisma.rolloutDevice.count({ where: { rolloutId: rollout.id, ring: 'broad', state: 'cancelled' } })).toBe(4);
  const again = await ctx.app.inject({ method: 'POST', url: `/rollouts/${rollout.id}/pause`, headers: { authorization: `Bearer ${admin.token}` }, payload: {} });
  expect(again.statusCode).toBe(409);
  const onboarding = await ctx.userWithToken('ONBOARDING_MANAGER');
  const refused = await ctx.app.inject({ method: 'POST', url: `/rollouts/${rollout.id}/pause`, headers: { authorization: `Bearer ${onboarding.token}` }, payload: {} });
  expect(refused.statusCode).toBe(403);
});

test('pause stops new devices (in-flight ones finish), resume continues; nothing is done twice', async () => {
  const slow = new SimulatedRmm({ groups: [{ id: 'pause', name: 'Pause Co', devices: 8 }], latencyMs: [150, 200] });
  await worker.stop();
  worker = await startRolloutWorker(ctx, { simulator: slow });
  try {
    const { client, devices } = await clientWithDevices(ctx, { simulator: slow }, 'simulator', 'pause', 'pause');
    const { rollout, handle } = await startRollout(ctx, {
      name: 'pausing',
      clientIds: [client.id],
      patchSet: patch,
      policy: { rings: [{ name: 'all' }], batchSize: 1, maxParallelBatches: 1, concurrencyPerBatch: 1 },
    });
    await waitForStatus(ctx, rollout.workflowId, (v) => v.rings[0].succeeded >= 2);
    const admin = await ctx.userWithToken('ADMIN');
    const paused = await ctx.app.inject({ method: 'POST', url: `/rollouts/${rollout.id}/pause`, headers: { authorization: `Bearer ${admin.token}` }, payload: {} });
    expect(paused.statusCode).toBe(200);
    const still = await waitForStatus(ctx, rollout.workflowId, (v) => v.status === 'paused' && v.inFlightDevices === 0);
    const installsAtPause = [...slow.installs.values()].reduce((a, b) => a + b, 0);
    expect(installsAtPause).toBeLessThan(8);
    await new Promise((r) => setTimeout(r, 2000));
    expect([...slow.installs.values()].reduce((a, b) => a + b, 0)).toBe(installsAtPause);
    expect((await progress(ctx, rollout.workflowId)).rings[0].succeeded).toBe(still.rings[0].succeeded);
    expect((await handle.describe()).searchAttributes.RolloutStatus).toEqual(['paused']);

    const resumed = await ctx.app.inject({ method: 'POST', url: `/rollouts/${rollout.id}/resume`, headers: { authorization: `Bearer ${admin.token}` }, payload: {} });
    expect(resumed.statusCode).toBe(200);
    const done = await waitForStatus(ctx, rollout.workflowId, 'completed');
    expect(done.rings[0].succeeded).toBe(8);
    for (const d of devices) expect(slow.installs.get(d.rmmDeviceId)).toBe(1);
  } finally {
    await worker.stop();
    worker = await startRolloutWorker(ctx, { simulator: sim });
  }
});

test('offline devices are caught up when they come back within the window, otherwise reported as missed', async () => {
  const { client, devices } = await clientWithDevices(ctx, { simulator: sim }, 'simulator', 'offline', 'offline');
  expect(devices.filter((d) => !d.online).map((d) => d.rmmDeviceId)).toEqual(['sim-offline-00001', 'sim-offline-00003']);
  const { rollout } = await startRollout(ctx, {
    name: 'catch-up',
    clientIds: [client.id],
    patchSet: patch,
    policy: { rings: [{ name: 'all' }], offlineCatchUpMs: 8000, offlinePollMs: 300 },
  });
  const catching = await waitForStatus(ctx, rollout.workflowId, (v) => v.status === 'catching-up' && v.rings[0].succeeded === 3);
  expect(catching.rings[0].offline).toBe(2);
  sim.setOnline('sim-offline-00001', true);
  const done = await waitForStatus(ctx, rollout.workflowId, 'completed', 60_000);
  expect(done.rings[0]).toMatchObject({ succeeded: 4, missed: 1, failed: 0, offline: 0 });
  expect(sim.installs.get('sim-offline-00001')).toBe(1);
  expect(sim.installs.get('sim-offline-00003') ?? 0).toBe(0);
  const missed = await ctx.prisma.rolloutDevice.findMany({ where: { rolloutId: rollout.id, state: 'missed' }, include: { device: true } });
  expect(missed.map((m) => [m.device.rmmDeviceId, m.reason])).toEqual([['sim-offline-00003', 'offline for the whole catch-up period']]);
});

test('a long rollout continues as new to keep its history small, and loses nothing on the way', async () => {
  const { client, devices } = await clientWithDevices(ctx, { simulator: sim }, 'simulator', 'long', 'longco');
  const { rollout, handle } = await startRollout(ctx, {
    name: 'continue-as-new',
    clientIds: [client.id],
    patchSet: { kind: 'script', id: 'long-1', install: 'i', verify: 'v' },
    policy: { rings: [{ name: 'first', percent: 0.25 }, { name: 'rest', approval: false }], batchSize: 2, maxParallelBatches: 2, historyBudget: 200 },
  });
  const done = await waitForStatus(ctx, rollout.workflowId, 'completed', 180_000);
  expect(done.runs).toBeGreaterThanOrEqual(1);
  expect(done.rings.map((r) => [r.name, r.succeeded, r.size])).toEqual([
    ['first', 10, 10],
    ['rest', 30, 30],
  ]);
  for (const d of devices) expect(sim.installs.get(d.rmmDeviceId)).toBe(1);
  // Every run stayed near the budget (a run drains its in-flight children before continuing).
  for await (const run of ctx.temporal.client.workflow.list({ query: `WorkflowId = "${rollout.workflowId}"` })) expect(run.historyLength).toBeLessThan(400);
  expect((await handle.describe()).searchAttributes.RolloutId).toEqual([rollout.id]);
});
