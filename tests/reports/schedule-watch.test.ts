import { ReportScheduleWatch } from '../../activities/reports/schedule-watch';
import { workflowIds } from '../../workflows/definitions';
import { createTestContext, type TestContext } from '../support/context';

/** The worker's watch gives every new or changed client its report schedule, on the real dev server. */
describe('report schedule watch', () => {
  let ctx: TestContext;
  const codes: string[] = [];

  beforeAll(async () => {
    ctx = await createTestContext();
  }, 120_000);

  afterAll(async () => {
    for (const code of codes) await ctx?.temporal.client.schedule.getHandle(workflowIds.reportSchedule(code)).delete().catch(() => undefined);
    await ctx?.close();
  });

  test('a client created or moved to another time zone gets its schedule (re)written; unchanged clients are left alone', async () => {
    const suffix = Date.now().toString(36);
    const a = await ctx.prisma.client.create({ data: { code: `watch-a-${suffix}`, name: 'Watch A', timezone: 'Europe/Paris' } });
    codes.push(a.code);
    const watch = new ReportScheduleWatch({ prisma: ctx.prisma, temporal: ctx.temporal.client, taskQueue: ctx.taskQueue, hour: 7, log: ctx.log }, 3_600_000);
    expect(await watch.runOnce()).toBeGreaterThanOrEqual(1);
    const first = await ctx.temporal.client.schedule.getHandle(workflowIds.reportSchedule(a.code)).describe();
    expect(first.spec.timezone).toBe('Europe/Paris');

    // Nothing changed: the next pass syncs nobody.
    expect(await watch.runOnce()).toBe(0);

    const b = await ctx.prisma.client.create({ data: { code: `watch-b-${suffix}`, name: 'Watch B', timezone: 'America/Montreal' } });
    codes.push(b.code);
    await ctx.prisma.client.update({ where: { id: a.id }, data: { timezone: 'Asia/Tokyo' } });
    expect(await watch.runOnce()).toBe(2);
    expect((await ctx.temporal.client.schedule.getHandle(workflowIds.reportSchedule(b.code)).describe()).spec.timezone).toBe('America/Montreal');
    expect((await ctx.temporal.client.schedule.getHandle(workflowIds.reportSchedule(a.code)).describe()).spec.timezone).toBe('Asia/Tokyo');
    await watch.stop();
  });
});
