import fs from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createChannelAdapters } from '../../activities/notify/channels';
import { loadSlaPolicyForTicket } from '../../activities/sla/sla-policy-service';
import { createTicket } from '../../activities/tickets/ticket-service';
import { systemActor } from '../../lib/access';
import { createPrisma, type PrismaClient } from '../../lib/db/prisma';
import { createLogger } from '../../lib/logger';
import { OutboxDispatcher } from '../../workers/outbox-dispatcher';
import {
  changePriorityUpdate,
  changeStatusUpdate,
  clientRepliedSignal,
  slaTimelineQuery,
  ticketViewQuery,
  type SlaTimelineEntry,
} from '../../workflows/definitions';
import { newSlaState, pendingMilestones } from '../../workflows/incident/sla-tracker';
import { toLocalDateTime } from '../../workflows/sla';
import { Receiver } from '../notify/support/receiver';
import { createTestDatabase, harness } from '../support/context';
import { eventually } from '../support/eventually';
import { seedSlaContract } from '../support/sla-fixtures';
import { startTimeSkippingEnv } from '../support/time-skipping';

/**
 * The incident workflow on Temporal's time-skipping test server: days of SLA timers in seconds,
 * against a real PostgreSQL and a real HTTP receiver for the escalation webhooks.
 */
const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;
let receiver: Receiver;
let clientId: string;
let holidays: string[];
const taskQueue = 'incident-time-skipping';
const log = createLogger({ log: { level: 'warn', format: 'json' } }, 'test');
const events = ['sla.warning', 'sla.breach', 'escalation.L1', 'escalation.L2', 'escalation.L3', 'ticket.new-p1'];

function startWorker(opts: { activities: boolean }) {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    workflowBundle: { code: fs.readFileSync(harness().workflowBundlePath, 'utf8') },
    activities: opts.activities
      ? createActivities({ prisma, log, channels: createChannelAdapters({ allowPrivateTargets: true }) })
      : undefined,
  });
}

async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
  const worker = await startWorker({ activities: true });
  return worker.runUntil(fn);
}

async function openTicket(priority: 'P1' | 'P2' | 'P3' | 'P4', subject: string) {
  const created = await createTicket({ prisma }, systemActor('test'), { clientId, subject, priority, source: 'API' });
  // The SLA starts when the ticket is created. This server's clock runs ahead of the real one
  // (it skipped time in earlier tests), so the ticket is dated in the server's time.
  const now = new Date(await env.currentTimeMs());
  const ticket = await prisma.ticket.update({ where: { id: created.ticket.id }, data: { createdAt: now } });
  const entry = await prisma.outboxEntry.findUniqueOrThrow({ where: { key: ticket.workflowId! } });
  await prisma.outboxEntry.update({
    where: { id: entry.id },
    data: { payload: { ...(entry.payload as object), createdAt: now.getTime() } },
  });
  const dispatcher = new OutboxDispatcher({ prisma, temporal: env.client, taskQueue, log }, 60_000);
  expect(await dispatcher.dispatchKey(ticket.workflowId!)).toBe(true);
  return { ticket, handle: env.client.workflow.getHandle(ticket.workflowId!) };
}

/** The next `n` Paris weekdays after today: holidays that any multi-day SLA must cross. */
function nextWeekdays(from: number, n: number): string[] {
  const out: string[] = [];
  for (let t = from + DAY; out.length < n; t += DAY) {
    const local = toLocalDateTime('Europe/Paris', t);
    if (local.weekday !== 'sat' && local.weekday !== 'sun') out.push(local.date);
  }
  return out;
}

beforeAll(async () => {
  env = await startTimeSkippingEnv(log);
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { maxConnections: 5 });
  receiver = await new Receiver().start();
  clientId = (await prisma.client.create({ data: { code: 'slaco', name: 'SLA Co' } })).id;
  holidays = nextWeekdays(await env.currentTimeMs(), 2);
  await seedSlaContract(prisma, clientId, { holidays });
  await prisma.notificationRoute.createMany({
    data: events.map((event) => ({ clientId, event, channel: 'WEBHOOK' as const, target: receiver.webhook('/hook', 'hook-secret'), secret: 'hook-secret' })),
  });
}, 300_000);

afterAll(async () => {
  await receiver?.close();
  await prisma?.$disconnect();
  await db?.drop();
  await env?.teardown();
});

const milestones = (timeline: SlaTimelineEntry[]) => timeline.filter((e) => ['warned', 'breached', 'escalated'].includes(e.type));
const firedAt = (e: SlaTimelineEntry) => Date.parse(/fired at (\S+)/.exec(e.detail ?? '')![1]);
const deliveriesFor = (ticketId: number) => receiver.to('/hook').filter((r) => r.json?.message?.ticket?.id === ticketId);

describe('incident SLA on the time-skipping server', () => {
  it('fires warnings, breach and escalations at business-time instants across a weekend and holidays, once each', async () => {
    await withWorker(async () => {
      const { ticket, handle } = await openTicket('P3', 'Accounting app slow');
      await eventually(async () => expect((await handle.query(ticketViewQuery)).sla.policy).toBe('Standard'));
      const policy = (await loadSlaPolicyForTicket({ prisma }, ticket.id))!;
      const createdAt = ticket.createdAt.getTime();
      const expected = pendingMilestones(newSlaState(createdAt), policy, 'P3');
      const last = expected[expected.length - 1].at;
      expect(last - createdAt).toBeGreaterThan(3 * DAY); // really spans days, weekend and holidays

      await env.sleep(last - (await env.currentTimeMs()) + 60_000);
      const timeline = await handle.query(slaTimelineQuery);
      const fired = milestones(timeline);
      expect(fired.map((e) => e.at)).toEqual(expected.map((m) => m.at));
      for (const e of fired) {
        const local = toLocalDateTime('Europe/Paris', e.at);
        expect(['sat', 'sun']).not.toContain(local.weekday);
        expect(holidays).not.toContain(local.date);
        // The timer fired at the milestone (skipped time), not early, not a minute late.
        expect(firedAt(e)).toBeGreaterThanOrEqual(e.at);
        expect(firedAt(e) - e.at).toBeLessThan(60_000);
      }
      // One signed webhook per milestone, none twice.
      const got = await eventually(async () => {
        const d = deliveriesFor(ticket.id);
        expect(d).toHaveLength(expected.length);
        return d;
      });
      expect(got.every((r) => r.signatureValid)).toBe(true);
      expect(new Set(got.map((r) => r.headers['x-mspflow-delivery'])).size).toBe(expected.length);
      expect((await handle.query(ticketViewQuery)).sla.status).toBe('breached');
      await handle.terminate('test done'); // nothing of it may still run when the next test skips time
    });
  });

  it('pauses while waiting on the client, resumes on reply, and recomputes on a priority change', async () => {
    await withWorker(async () => {
      const { ticket, handle } = await openTicket('P4', 'Printer needs toner');
      await eventually(async () => expect((await handle.query(ticketViewQuery)).sla.policy).toBe('Standard'));
      await handle.executeUpdate(changeStatusUpdate, { args: [{ to: 'WAITING_ON_CLIENT', by: 'tech' }] });
      await env.sleep(30 * DAY);
      const paused = await handle.query(ticketViewQuery);
      expect(paused.sla.status).toBe('paused');
      expect(milestones(await handle.query(slaTimelineQuery)).filter((e) => e.clock === 'resolution')).toEqual([]);
      const elapsedBefore = paused.sla.resolution!.elapsedMinutes;

      await handle.signal(clientRepliedSignal, { at: await env.currentTimeMs() });
      await eventually(async () => expect((await handle.query(ticketViewQuery)).status).toBe('IN_PROGRESS'));
      const view = await handle.executeUpdate(changePriorityUpdate, { args: [{ priority: 'P1', by: 'tech', reason: 'escalated by client' }] });
      // P1 runs 24/7 with 240 minutes; the minutes used before the pause still count.
      expect(view.sla.resolution!.targetMinutes).toBe(240);
      expect(view.sla.resolution!.elapsedMinutes).toBeCloseTo(elapsedBefore, 0);
      const deadline = view.sla.resolution!.deadlineAt!;
      expect(deadline).toBeLessThanOrEqual((await env.currentTimeMs()) + 240 * 60_000);

      await env.sleep(deadline - (await env.currentTimeMs()) + 60_000);
      const breach = milestones(await handle.query(slaTimelineQuery)).find((e) => e.type === 'breached' && e.clock === 'resolution')!;
      expect(breach.at).toBe(deadline);
      expect(deliveriesFor(ticket.id).some((r) => r.json.event === 'ticket.new-p1')).toBe(true);
      await eventually(async () => expect(deliveriesFor(ticket.id).some((r) => r.json.event === 'sla.breach')).toBe(true));
      await handle.terminate('test done');
    });
  });

  it('auto-closes after the business days without a reply, allows a reopen in the window, then ends', async () => {
    await withWorker(async () => {
      const { ticket, handle } = await openTicket('P3', 'Password reset');
      await eventually(async () => expect((await handle.query(ticketViewQuery)).sla.policy).toBe('Standard'));
      await handle.executeUpdate(changeStatusUpdate, { args: [{ to: 'RESOLVED', by: 'tech' }] });
      await env.sleep(DAY / 2);
      await handle.signal(clientRepliedSignal, { at: await env.currentTimeMs() });
      await eventually(async () => expect((await handle.query(ticketViewQuery)).status).toBe('IN_PROGRESS'));
      await handle.executeUpdate(changeStatusUpdate, { args: [{ to: 'RESOLVED', by: 'tech' }] });

      await env.sleep(12 * DAY); // 5 business days, plus the weekend and the holidays
      expect((await handle.query(ticketViewQuery)).status).toBe('CLOSED');
      expect((await handle.query(slaTimelineQuery)).some((e) => e.type === 'auto-closed')).toBe(true);
      await eventually(async () => expect((await prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('CLOSED'));

      await env.sleep(15 * DAY); // the reopen window (14 days) passes in skipped time
      const done = await eventually(async () => {
        const d = await handle.describe();
        expect(d.status.name).toBe('COMPLETED');
        return d;
      });
      expect(done.status.name).toBe('COMPLETED');
      expect(await handle.result()).toBe('CLOSED');
    });
  });
});
