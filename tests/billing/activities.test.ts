import crypto from 'node:crypto';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createBillingActivities } from '../../activities/billing/billing-activities';
import { connectionOptions } from '../../lib/temporal/connection';
import { withFailureMapping } from '../../lib/temporal-failure';
import { createTestContext, harness, type TestContext } from '../support/context';
import type { recordWorkWorkflow } from './fixtures/billing.workflow';
import { billingFixture } from './support/fixture';

/** The billing activities on a real Temporal dev server and worker: time recorded once per sourceKey, consumption read back. */
describe('billing activities under Temporal', () => {
  let ctx: TestContext;
  let worker: Worker;
  let connection: NativeConnection;
  let running: Promise<void>;
  const taskQueue = `billing-${crypto.randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    ctx = await createTestContext();
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/billing.workflow'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never });
    connection = await NativeConnection.connect(connectionOptions(ctx.config, harness().temporalAddress));
    worker = await Worker.create({
      connection,
      namespace: ctx.config.temporal.namespace,
      taskQueue,
      workflowBundle,
      activities: withFailureMapping(createBillingActivities({ prisma: ctx.prisma, notify: async (input) => ({ dedupeKey: input.dedupeKey, event: input.event, routes: [] }) })),
    });
    running = worker.run();
  });
  afterAll(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    await connection?.close();
    await ctx?.close();
  });

  it('records a workflow\'s work once even when the activity runs twice, and the summary sees it', async () => {
    const f = await billingFixture(ctx.prisma);
    await f.contract({ name: 'Block', type: 'BLOCK_HOURS', startsOn: '2026-01-01', terms: { overageRateCents: 9000, rounding: { incrementMinutes: 30 }, initialBlock: { quantity: 10, priceCents: 1 } } });
    const t = await f.ticket('Patch night', { category: 'maintenance' });
    const sourceKey = `rollout-x:device-y:install:${f.tag}`;
    const result = await ctx.temporal.client.workflow.execute<typeof recordWorkWorkflow>('recordWorkWorkflow', {
      taskQueue,
      workflowId: `billing-test-${crypto.randomUUID()}`,
      args: [{ ticketId: t.id, userId: f.tech.id, clientId: f.client.id, minutes: 40, sourceKey, startedAt: '2026-03-12T22:00:00.000Z' }],
    });
    expect(result.first).toMatchObject({ created: true, allocation: 'allocated', billedMinutes: 60 });
    expect(result.second).toMatchObject({ timeEntryId: result.first.timeEntryId, created: false, allocation: 'already-allocated', billedMinutes: 60 });
    expect(await ctx.prisma.timeEntry.count({ where: { sourceKey } })).toBe(1);
    expect(await ctx.prisma.contractLedgerEntry.count({ where: { timeEntryId: result.first.timeEntryId } })).toBe(1);
    expect(result.summary.contracts[0]).toMatchObject({ plannedMinutes: 600, consumedMinutesInPeriod: 60, remainingMinutes: 540 });
    expect(result.summary.byCategory).toEqual([{ key: 'maintenance', minutes: 60, timeEntryIds: [result.first.timeEntryId], ticketIds: [t.id] }]);
    expect(result.summary.byDomain).toEqual([{ key: 'servers', minutes: 60, ticketIds: [t.id] }]);
  });
});
