import fs from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createChannelAdapters } from '../../activities/notify/channels';
import { slaTimelineQuery, type SlaTimelineEntry } from '../../workflows/definitions';
import { Receiver } from '../notify/support/receiver';
import { createTestContext, harness, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { seedSlaContract } from '../support/sla-fixtures';

/**
 * On the real Temporal dev server: a worker stops between an SLA milestone firing and its
 * notification being sent; a fresh worker (empty cache, so it replays the history) sends it,
 * exactly once. The policy's P1 first response is 1 minute, so the milestones come in seconds.
 */
describe('SLA notifications across a worker restart', () => {
  let ctx: TestContext;
  let receiver: Receiver;
  let clientId: string;
  let token: string;

  beforeAll(async () => {
    ctx = await createTestContext({ worker: false });
    receiver = await new Receiver().start();
    clientId = (await ctx.prisma.client.create({ data: { code: 'restartco', name: 'Restart Co' } })).id;
    const { policy } = await seedSlaContract(ctx.prisma, clientId);
    await ctx.prisma.slaTarget.update({
      where: { policyId_priority: { policyId: policy.id, priority: 'P1' } },
      data: { firstResponseMinutes: 1 },
    });
    await ctx.prisma.notificationRoute.createMany({
      data: ['sla.warning', 'escalation.L1'].map((event) => ({
        clientId,
        event,
        channel: 'WEBHOOK' as const,
        target: receiver.webhook('/hook', 's3cret'),
        secret: 's3cret',
      })),
    });
    ({ token } = await ctx.userWithToken('TECHNICIAN'));
  });
  afterAll(async () => {
    await receiver?.close();
    await ctx?.close();
  });

  async function startWorker(activities: boolean) {
    const connection = await NativeConnection.connect({ address: ctx.temporal.address });
    const worker = await Worker.create({
      connection,
      namespace: ctx.config.temporal.namespace,
      taskQueue: ctx.taskQueue,
      workflowBundle: { code: fs.readFileSync(harness().workflowBundlePath, 'utf8') },
      activities: activities
        ? createActivities({ prisma: ctx.prisma, log: ctx.log, channels: createChannelAdapters({ allowPrivateTargets: true }) })
        : undefined,
    });
    return { worker, connection };
  }

  it('sends the milestone that fired on the stopped worker once, from the new worker', async () => {
    // Worker A can take a while to get the timer's task (the stopped worker's sticky queue times
    // out first), so this test allows minutes.
    const full = await startWorker(true);
    const ticket = await full.worker.runUntil(async () => {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/tickets',
        headers: { authorization: `Bearer ${token}` },
        payload: { clientId, subject: 'Firewall down', priority: 'P1' },
      });
      expect(res.statusCode).toBe(201);
      const t = res.json() as { id: number; workflow: { id: string } };
      // Start-up done: policy loaded, and no activity of it still running when this worker stops.
      await eventually(async () => {
        const h = ctx.temporal.client.workflow.getHandle(t.workflow.id);
        expect((await h.query(slaTimelineQuery)).some((e) => e.type === 'recomputed')).toBe(true);
        expect((await h.describe()).raw.pendingActivities ?? []).toEqual([]);
      });
      return t;
    });
    await full.connection.close();
    const handle = ctx.temporal.client.workflow.getHandle(ticket.workflow.id);
    // The milestones this client has routes for (sla.warning, escalation.L1); others send nothing.
    const fired = (timeline: SlaTimelineEntry[]) => timeline.filter((e) => e.type === 'warned' || (e.type === 'escalated' && e.level === 'L1'));

    // Worker A: workflows only. The 50% warning (30 s in) fires there; its notification waits.
    const a = await startWorker(process.env.EXPERIMENT_A_FULL === '1');
    const firedOnA = await a.worker.runUntil(() =>
      eventually(
        async () => {
          const f = fired(await handle.query(slaTimelineQuery));
          expect(f.length).toBeGreaterThanOrEqual(1);
          return f;
        },
        { timeoutMs: 120_000, intervalMs: 250 },
      ),
    );
    await a.connection.close();
    if (process.env.EXPERIMENT_A_FULL !== '1') expect(receiver.to('/hook')).toEqual([]);

    // Worker B: a fresh worker with activities sends what fired, once each.
    const b = await startWorker(true);
    await b.worker.runUntil(async () => {
      await eventually(async () => expect(receiver.to('/hook').length).toBeGreaterThanOrEqual(firedOnA.length), { timeoutMs: 60_000 });
      // Let everything due by now be sent, then compare: one delivery per routed milestone.
      await new Promise((r) => setTimeout(r, 2_000));
      const now = fired(await handle.query(slaTimelineQuery));
      await eventually(async () => expect(receiver.to('/hook')).toHaveLength(now.length), { timeoutMs: 30_000 });
      const keys = receiver.to('/hook').map((r) => r.headers['x-mspflow-delivery']);
      expect(new Set(keys).size).toBe(keys.length);
      expect(receiver.to('/hook').every((r) => r.signatureValid)).toBe(true);
      await handle.terminate('test done');
    });
    await b.connection.close();
    const rows = await ctx.prisma.notificationDelivery.findMany({ where: { ticketId: ticket.id } });
    expect(rows.every((r) => r.status === 'SENT')).toBe(true);
  }, 300_000);
});
