import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { PrismaClient } from '../../lib/db/prisma';
import type { Logger } from '../../lib/logger';
import { decideScheduledRun, type ScheduledRunDecision } from '../../lib/reports/period';
import type { BusinessCalendar } from '../../workflows/sla/calendar';
import { searchAttributes, workflowIds } from '../../workflows/definitions';
import type { ReportTickInput } from '../../workflows/report/definitions';

/**
 * One Temporal Schedule per client, `report-schedule-<code>`: every day 1-7 of the month at
 * REPORTS_SCHEDULE_HOUR in the client's time zone, it starts reportTickWorkflow, which reports
 * on the previous month from the first business day on (see README "Monthly reports" for why
 * the schedule does not try to express "first business day" itself).
 * - catchupWindow 7 days: firings missed while the Temporal server was down run when it is back,
 *   with their scheduled time (the tick decides on that time);
 * - overlap BUFFER_ALL: a firing waits for the previous tick instead of being dropped (ticks take
 *   a second; the report itself is a separate workflow that ticks never wait for).
 */
export const REPORT_SCHEDULE_DAYS = { start: 1, end: 7 } as const;
export const REPORT_CATCHUP_WINDOW = '7 days';

export function reportScheduleOptions(client: { id: string; code: string; timezone: string }, opts: { taskQueue: string; hour: number }): ScheduleOptions {
  const input: ReportTickInput = { clientId: client.id, clientCode: client.code };
  return {
    scheduleId: workflowIds.reportSchedule(client.code),
    spec: {
      calendars: [{ dayOfMonth: REPORT_SCHEDULE_DAYS, hour: opts.hour, minute: 0 }],
      timezone: client.timezone,
    },
    action: {
      type: 'startWorkflow',
      workflowType: 'reportTickWorkflow',
      workflowId: workflowIds.reportTick(client.code),
      taskQueue: opts.taskQueue,
      args: [input],
      typedSearchAttributes: [{ key: searchAttributes.ClientId, value: client.id }],
      staticSummary: `Monthly report tick · ${client.code}`,
    },
    policies: { catchupWindow: REPORT_CATCHUP_WINDOW, overlap: ScheduleOverlapPolicy.BUFFER_ALL },
    state: { note: `Monthly report of ${client.code}: days 1-7 at ${opts.hour}:00 ${client.timezone}; the workflow acts from the first business day` },
  };
}

/**
 * Creates or updates the schedule of each client (all clients when none given). Idempotent: run
 * it after creating or changing a client (time zone), or any time (`npm run reports:schedules`).
 */
export async function syncReportSchedules(
  deps: { prisma: PrismaClient; temporal: Client; taskQueue: string; hour: number; log?: Logger },
  clientIds?: string[],
): Promise<{ created: string[]; updated: string[] }> {
  const clients = await deps.prisma.client.findMany({
    where: clientIds ? { id: { in: clientIds } } : {},
    select: { id: true, code: true, timezone: true },
    orderBy: { code: 'asc' },
  });
  const created: string[] = [];
  const updated: string[] = [];
  for (const client of clients) {
    const options = reportScheduleOptions(client, deps);
    const handle = deps.temporal.schedule.getHandle(options.scheduleId);
    try {
      await handle.update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: { ...previous.policies, ...options.policies } }));
      updated.push(options.scheduleId);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await deps.temporal.schedule.create(options);
      created.push(options.scheduleId);
    }
  }
  deps.log?.info({ created: created.length, updated: updated.length }, 'report schedules synced');
  return { created, updated };
}

/** The tick's decision for a firing, in the client's time zone and business calendar. */
export async function planScheduledReport(prisma: PrismaClient, input: { clientId: string; firedAt: number }): Promise<ScheduledRunDecision> {
  const client = await prisma.client.findUniqueOrThrow({
    where: { id: input.clientId },
    select: { timezone: true, calendars: { select: { weeklyHours: true, timezone: true, holidays: { select: { date: true } } }, orderBy: { createdAt: 'asc' }, take: 1 } },
  });
  const row = client.calendars[0];
  const calendar: Pick<BusinessCalendar, 'weekly' | 'holidays'> | null = row
    ? { weekly: row.weeklyHours as unknown as BusinessCalendar['weekly'], holidays: row.holidays.map((h) => h.date.toISOString().slice(0, 10)) }
    : null;
  return decideScheduledRun(input.firedAt, client.timezone, calendar);
}
