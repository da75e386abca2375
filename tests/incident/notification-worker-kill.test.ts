import { slaTimelineQuery } from '../../workflows/definitions';
import { Receiver } from '../notify/support/receiver';
import { killedAtCrashPoint, killLeftoverWorkers, startWorkerThatCrashesAt, type AppProcess } from '../support/app-process';
import { createTestContext, harness, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { seedSlaContract } from '../support/sla-fixtures';

/**
 * The worker is a real `npm start` process (RUN_API=false) on the dev server, and it is killed
 * with SIGKILL twice around SLA warning notifications:
 *   1. right after claiming the 50 % warning's delivery, before sending it;
 *   2. right after recording a send as SENT, before the activity reports completion.
 * A third, healthy worker then finishes: every warning reaches the signed webhook exactly once
 * (Temporal retries the interrupted activities; the delivery ledger makes the retry of (2) a
 * no-op and lets the retry of (1) send once its lease expires).
 *
 * P1 runs 24/7 with a 3-minute first response: warnings at 90 s, 135 s and 162 s, far enough
 * apart that each worker is up before the next one fires (one send in flight at each kill).
 */
describe('SLA notifications when the worker is killed', () => {
  let ctx: TestContext;
  let receiver: Receiver;
  let clientId: string;
  let token: string;
  const workers: AppProcess[] = [];

  beforeAll(async () => {
    ctx = await createTestContext({ worker: false });
    receiver = await new Receiver().start();
    clientId = (await ctx.prisma.client.create({ data: { code: 'killco', name: 'Kill Co' } })).id;
    const { policy } = await seedSlaContract(ctx.prisma, clientId);
    await ctx.prisma.slaTarget.update({
      where: { policyId_priority: { policyId: policy.id, priority: 'P1' } },
      data: { firstResponseMinutes: 3 },
    });
    await ctx.prisma.notificationRoute.create({
      data: { clientId, event: 'sla.warning', channel: 'WEBHOOK', target: receiver.webhook('/hook', 's3cret'), secret: 's3cret' },
    });
    ({ token } = await ctx.userWithToken('TECHNICIAN'));
  });
  afterAll(async () => {
    killLeftoverWorkers(workers);
    await receiver?.close();
    await ctx?.close();
  });

  const startWorker = (crashAt: string) =>
    startWorkerThatCrashesAt(crashAt, {
      databaseUrl: ctx.databaseUrl,
      taskQueue: ctx.taskQueue,
      started: workers,
      env: { NOTIFY_ALLOW_PRIVATE_TARGETS: 'true', NOTIFY_LEASE_MS: '5000' },
    });
  const killedBy = (worker: AppProcess) => killedAtCrashPoint(worker, 150_000);

  it('delivers every warning once across two kills', async () => {
    const first = await startWorker('before-notification-send');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/tickets',
      headers: { authorization: `Bearer ${token}` },
      payload: { clientId, subject: 'Core switch down', priority: 'P1' },
    });
    expect(res.statusCode).toBe(201);
    const ticket = res.json() as { id: number; workflow: { id: string } };
    const handle = ctx.temporal.client.workflow.getHandle(ticket.workflow.id);

    // Kill 1: the 50 % warning's delivery is claimed, nothing was sent.
    await killedBy(first);
    expect(receiver.to('/hook')).toEqual([]);
    const claimed = await ctx.prisma.notificationDelivery.findMany({ where: { ticketId: ticket.id } });
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({ status: 'PENDING', attempts: 1 });

    // Kill 2: the next send that completes is recorded SENT, then the worker dies.
    const second = await startWorker('after-notification-recorded');
    await killedBy(second);
    const afterSecond = await ctx.prisma.notificationDelivery.findMany({ where: { ticketId: ticket.id, status: 'SENT' } });
    expect(afterSecond).toHaveLength(1);
    expect(receiver.to('/hook')).toHaveLength(1);

    // A healthy worker finishes the job: one delivery per warning, none twice.
    const healthy = await startWorker('none');
    const warned = await eventually(
      async () => {
        const entries = (await handle.query(slaTimelineQuery)).filter((e) => e.type === 'warned');
        expect(entries.length).toBe(3);
        const rows = await ctx.prisma.notificationDelivery.findMany({ where: { ticketId: ticket.id } });
        expect(rows).toHaveLength(3);
        expect(rows.every((r) => r.status === 'SENT')).toBe(true);
        return entries;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    // Anything still in flight would show up within the lease; nothing more may arrive.
    await new Promise((r) => setTimeout(r, 6_000));
    const received = receiver.to('/hook');
    expect(received).toHaveLength(warned.length);
    const ids = received.map((r) => r.headers['x-mspflow-delivery']);
    expect(new Set(ids).size).toBe(ids.length);
    expect(received.every((r) => r.signatureValid)).toBe(true);

    // The send interrupted before it happened was claimed again; the recorded one was not resent.
    const rows = await ctx.prisma.notificationDelivery.findMany({ where: { ticketId: ticket.id } });
    expect(rows.find((r) => r.id === claimed[0].id)!.attempts).toBeGreaterThanOrEqual(2);
    expect(rows.find((r) => r.id === afterSecond[0].id)!.attempts).toBe(afterSecond[0].attempts);
    await handle.terminate('test done');
    healthy.child.kill('SIGTERM');
    await healthy.exited;
  }, 600_000);
});
