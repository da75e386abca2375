import { isDeepStrictEqual } from 'node:util';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { decodeScheduleSpec, encodeScheduleSpec } from '@temporalio/client/lib/schedule-helpers';
import type { SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
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

export function reportScheduleOptions(client: { id: string; code: string; timezone: string }, opts: { taskQueue: string; hour: number }) {
  const input: ReportTickInput = { clientId: client.id, clientCode: client.code };
  return {
    scheduleId: workflowIds.reportSchedule(client.code),
    spec: {
      // The comment too: the server returns every calendar with one ('' when unset), and an exact
      // spec is what lets a worker start skip the schedules that are already right.
      calendars: [{ dayOfMonth: REPORT_SCHEDULE_DAYS, hour: opts.hour, minute: 0, comment: 'days 1-7: the tick waits for the first business day' }],
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
  } satisfies ScheduleOptions;
}

type ReportScheduleOptions = ReturnType<typeof reportScheduleOptions>;

const attributesByName = (attributes: SearchAttributePair[] | TypedSearchAttributes | undefined) =>
  Object.fromEntries((Array.isArray(attributes) ? attributes : (attributes?.getAll() ?? [])).map((pair) => [pair.key.name, pair.value]));

/**
 * Whether the schedule the server describes already does what `options` asks: same spec (compared
 * in the SDK's decoded form on both sides), same workflow start, catch-up window, overlap policy
 * and note. Anything else (a changed time zone, hour or task queue, a schedule edited by hand)
 * needs an update.
 */
export function reportScheduleMatches(current: ScheduleDescription, options: ReportScheduleOptions): boolean {
  const want = options.action;
  const have = current.action;
  return (
    isDeepStrictEqual(current.spec, decodeScheduleSpec(encodeScheduleSpec(options.spec))) &&
    have.workflowType === want.workflowType &&
    have.workflowId === want.workflowId &&
    have.taskQueue === want.taskQueue &&
    isDeepStrictEqual(have.args, want.args) &&
    have.staticSummary === want.staticSummary &&
    isDeepStrictEqual(attributesByName(have.typedSearchAttributes), attributesByName(want.typedSearchAttributes)) &&
    current.policies.catchupWindow === msToNumber(options.policies.catchupWindow) &&
    current.policies.overlap === options.policies.overlap &&
    current.state.note === options.state.note
  );
}

/**
 * Creates or updates the schedule of each client (all clients when none given). Idempotent: run
 * it after creating or changing a client (time zone), or any time (`npm run reports:schedules`).
 * With `skipUnchanged`, a schedule that already matches (`reportScheduleMatches`) is only
 * described, not rewritten, and is in neither list: the worker's watch checks every client at
 * start this way, with one read each.
 */
export async function syncReportSchedules(
  deps: { prisma: PrismaClient; temporal: Client; taskQueue: string; hour: number; log?: Logger },
  clientIds?: string[],
  opts: { skipUnchanged?: boolean } = {},
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
      if (opts.skipUnchanged && reportScheduleMatches(await handle.describe(), options)) continue;
      await handle.update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: { ...previous.policies, ...options.policies },
        state: { ...previous.state, note: options.state.note },
      }));
      updated.push(options.scheduleId);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await deps.temporal.schedule.create(options);
      created.push(options.scheduleId);
    }
  }
  const unchanged = clients.length - created.length - updated.length;
  deps.log?.info({ created: created.length, updated: updated.length, unchanged }, 'report schedules synced');
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
