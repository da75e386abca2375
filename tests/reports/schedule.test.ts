import { ScheduleOverlapPolicy } from '@temporalio/client';
import { syncReportSchedules } from '../../activities/reports/schedules';
import { workflowIds } from '../../workflows/definitions';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';

/**
 * The per-client Temporal Schedule on the real dev server: created and updated idempotently, in
 * the client's time zone, and a backfill of the first week of February 2026 (what the server
 * does when catching up) starting exactly one report, for January, on the first business day of
 * the client's own calendar in Pacific/Auckland.
 */
describe('monthly report schedule', () => {
  let ctx: TestContext;
  let clientId: string;
  let code: string;

  beforeAll(async () => {
    ctx = await createTestContext({ worker: true });
    code = `kiwi${Date.now().toString(36)}`;
    const client = await ctx.prisma.client.create({ data: { code, name: 'Kiwi Ltd', timezone: 'Pacific/Auckland', locale: 'en' } });
    clientId = client.id;
    const day = [['09:00', '17:00']];
    await ctx.prisma.businessCalendar.create({
      data: {
        clientId,
        name: 'Kiwi hours',
        timezone: 'Pacific/Auckland',
        weeklyHours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: [], sun: [] },
        // Monday Feb 2nd closed: the first business day of February is Tuesday the 3rd
        holidays: { create: [{ date: new Date('2026-02-02T00:00:00Z'), name: 'Company day' }] },
      },
    });
  }, 120_000);

  afterAll(async () => {
    await ctx?.temporal.client.schedule.getHandle(workflowIds.reportSchedule(code)).delete().catch(() => undefined);
    await ctx?.close();
  });

  it('creates the schedule once, then updates it in place', async () => {
    const deps = { prisma: ctx.prisma, temporal: ctx.temporal.client, taskQueue: ctx.taskQueue, hour: 7 };
    expect(await syncReportSchedules(deps, [clientId])).toEqual({ created: [`report-schedule-${code}`], updated: [] });
    expect(await syncReportSchedules(deps, [clientId])).toEqual({ created: [], updated: [`report-schedule-${code}`] });
    const d = await ctx.temporal.client.schedule.getHandle(workflowIds.reportSchedule(code)).describe();
    expect(d.spec.timezone).toBe('Pacific/Auckland');
    expect(d.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 7, end: 7 }], dayOfMonth: [{ start: 1, end: 7 }] });
    expect(d.policies.catchupWindow).toBe(7 * 24 * 3600 * 1000);
    expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.BUFFER_ALL);
  });

  it('fires on days 1-7 at 07:00 Auckland time; only the first business day starts the previous month', async () => {
    const handle = ctx.temporal.client.schedule.getHandle(workflowIds.reportSchedule(code));
    await handle.backfill([{ start: new Date('2026-01-31T00:00:00Z'), end: new Date('2026-02-08T00:00:00Z'), overlap: ScheduleOverlapPolicy.BUFFER_ALL }]);

    const report = ctx.temporal.client.workflow.getHandle(workflowIds.report(code, '2026-01'));
    const progress = await eventually(() => report.result(), { timeoutMs: 90_000, intervalMs: 1000 });
    expect(progress.month).toBe('2026-01');

    type Tick = { firedAt: string; month: string | null; started: boolean; reason: string };
    const ticks = await eventually(
      async () => {
        const out: Tick[] = [];
        for await (const w of ctx.temporal.client.workflow.list({ query: `WorkflowType = 'reportTickWorkflow' AND ClientId = '${clientId}'` })) {
          out.push(await ctx.temporal.client.workflow.getHandle(w.workflowId, w.runId).result());
        }
        expect(out).toHaveLength(7);
        return out.sort((a, b) => a.firedAt.localeCompare(b.firedAt));
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    // 07:00 in Auckland (UTC+13) is 18:00 UTC the day before
    expect(ticks.map((t) => t.firedAt)).toEqual(['2026-01-31', '2026-02-01', '2026-02-02', '2026-02-03', '2026-02-04', '2026-02-05', '2026-02-06'].map((d) => `${d}T18:00:00.000Z`));
    expect(ticks.map((t) => t.month)).toEqual([null, null, '2026-01', '2026-01', '2026-01', '2026-01', '2026-01']);
    // exactly one start: the others found report-<code>-2026-01 already there
    expect(ticks.filter((t) => t.started)).toHaveLength(1);
    expect(ticks.find((t) => t.started)?.firedAt).toBe('2026-02-02T18:00:00.000Z');
    expect(ticks[0].reason).toMatch(/before the first business day \(2026-02-03\)/);
    // no report for any other month
    const reports = await ctx.prisma.report.findMany({ where: { clientId }, select: { month: true, audience: true } });
    expect(reports.map((r) => r.month)).toEqual(['2026-01', '2026-01']);
  }, 180_000);
});
