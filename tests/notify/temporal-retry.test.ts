import crypto from 'node:crypto';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createChannelAdapters, type NotificationMessage } from '../../activities/notify/channels';
import { deliveryKey, type NotifyDeps } from '../../activities/notify/notification-service';
import { createNotifyActivities } from '../../activities/notify/notify-activities';
import { connectionOptions } from '../../lib/temporal/connection';
import { withFailureMapping } from '../../lib/temporal-failure';
import { createTestContext, harness, type TestContext } from '../support/context';
import { Receiver } from './support/receiver';
import type { notifyOnceWorkflow } from './fixtures/notify.workflow';

/**
 * sendNotification as a real Temporal activity (real dev server, real worker, real PostgreSQL,
 * real HTTP receiver): Temporal retries a 5xx until the webhook accepts, and stops at once on a
 * 4xx; a second workflow with the same dedupeKey sends nothing.
 */
describe('sendNotification under Temporal retries', () => {
  let ctx: TestContext;
  let rx: Receiver;
  let worker: Worker;
  let connection: NativeConnection;
  let running: Promise<void>;
  const taskQueue = `notify-${crypto.randomBytes(4).toString('hex')}`;
  const secret = crypto.randomBytes(16).toString('hex');
  const message: NotificationMessage = { title: 'P1 opened', text: 'T-9 Server room flooded', severity: 'critical' };

  beforeAll(async () => {
    ctx = await createTestContext();
    rx = await new Receiver().start();
    const deps: NotifyDeps = { prisma: ctx.prisma, log: ctx.log, adapters: createChannelAdapters({ allowPrivateTargets: true, timeoutMs: 3_000 }) };
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/notify.workflow'), logger: quietBundler });
    connection = await NativeConnection.connect(connectionOptions(ctx.config, harness().temporalAddress));
    worker = await Worker.create({
      connection,
      namespace: ctx.config.temporal.namespace,
      taskQueue,
      workflowBundle,
      // The same wrapping createActivities applies: errors reach Temporal through toTemporalFailure.
      activities: withFailureMapping(createNotifyActivities(deps)),
    });
    running = worker.run();
  });
  afterAll(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    await connection?.close();
    await rx?.close();
    await ctx?.close();
  });

  const run = (input: Parameters<typeof notifyOnceWorkflow>[0]) =>
    ctx.temporal.client.workflow.execute<typeof notifyOnceWorkflow>('notifyOnceWorkflow', {
      taskQueue,
      workflowId: `notify-test-${crypto.randomUUID()}`,
      args: [input],
    });

  it('retries 5xx until the target accepts; exactly one delivery, SENT after 3 attempts; a rerun sends nothing', async () => {
    const event = 'ticket.new-p1';
    const path = `/hook/${crypto.randomBytes(4).toString('hex')}`;
    const r = await ctx.prisma.notificationRoute.create({ data: { event, channel: 'WEBHOOK', target: rx.webhook(path, secret), secret } });
    rx.script(path, { status: 503, body: 'maintenance' }, { status: 500, body: 'oops' });
    const input = { event, ticketId: 9, message, dedupeKey: `ticket-9:new-p1:${path}` };

    const result = await run(input);
    expect(result.routes).toMatchObject([{ routeId: r.id, outcome: 'sent', attempts: 3 }]);
    expect(rx.to(path).map((s) => s.status)).toEqual([503, 500, 200]);
    expect(rx.to(path).every((s) => s.signatureValid)).toBe(true);
    const rows = await ctx.prisma.notificationDelivery.findMany({ where: { idempotencyKey: deliveryKey(input.dedupeKey, r.id) } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'SENT', attempts: 3, ticketId: 9 });

    // Another workflow run for the same business event (e.g. a reset workflow) sends nothing.
    const again = await run(input);
    expect(again.routes).toMatchObject([{ outcome: 'already-sent' }]);
    expect(rx.to(path)).toHaveLength(3);
  });

  it('stops at once on a 4xx: a non-retryable failure after a single request', async () => {
    const event = 'sla.breach';
    const path = `/slack/${crypto.randomBytes(4).toString('hex')}`;
    await ctx.prisma.notificationRoute.create({ data: { event, channel: 'SLACK', target: rx.url(path) } });
    rx.script(path, { status: 404, body: 'no_service' });

    const err = await run({ event, message, dedupeKey: `sla-breach:${path}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activity = (err as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    expect((activity as ActivityFailure).retryState).toBe('NON_RETRYABLE_FAILURE');
    const app = (activity as ActivityFailure).cause;
    expect(app).toBeInstanceOf(ApplicationFailure);
    expect((app as ApplicationFailure).nonRetryable).toBe(true);
    expect((app as ApplicationFailure).message).toContain('HTTP 404: no_service');
    expect(rx.to(path)).toHaveLength(1);
  });
});

const quietBundler = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta),
};
