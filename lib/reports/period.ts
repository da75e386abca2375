import { ValidationError } from '../errors';
import { localToUtc, toLocalDateTime, type BusinessCalendar, type Weekday } from '../../workflows/sla/calendar';

/**
 * Report periods are calendar months in the client's time zone: `2026-03` for a client in
 * Pacific/Auckland runs from 2026-03-01 00:00 local to 2026-04-01 00:00 local (as UTC instants).
 */
export const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface ReportPeriod {
  month: string;
  timezone: string;
  /** Inclusive start, epoch ms. */
  start: number;
  /** Exclusive end, epoch ms. */
  end: number;
}

export function assertMonth(month: string): void {
  if (!MONTH_PATTERN.test(month)) throw new ValidationError(`month must look like YYYY-MM, got ${JSON.stringify(month)}`);
}

/** The month `delta` months after `month` (negative: before). */
export function shiftMonth(month: string, delta: number): string {
  assertMonth(month);
  const [y, m] = month.split('-').map(Number);
  const index = y * 12 + (m - 1) + delta;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

export function monthPeriod(month: string, timezone: string): ReportPeriod {
  assertMonth(month);
  return {
    month,
    timezone,
    start: localToUtc(timezone, `${month}-01`, '00:00'),
    end: localToUtc(timezone, `${shiftMonth(month, 1)}-01`, '00:00'),
  };
}

/** The month (YYYY-MM, client time zone) an instant falls in. */
export function monthOf(epochMs: number, timezone: string): string {
  return toLocalDateTime(timezone, epochMs).date.slice(0, 7);
}

/** The previous complete month at an instant: what a report sent then is about. */
export function previousMonthAt(epochMs: number, timezone: string): string {
  return shiftMonth(monthOf(epochMs, timezone), -1);
}

const WEEKDAY_OF_UTC_DAY: Weekday[] = ['thu', 'fri', 'sat', 'sun', 'mon', 'tue', 'wed']; // day 0 = 1970-01-01, a Thursday

function weekdayOf(date: string): Weekday {
  const day = Math.floor(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
  return WEEKDAY_OF_UTC_DAY[((day % 7) + 7) % 7];
}

/**
 * The first business day (YYYY-MM-DD) of `month`: the first day that is open in the client's
 * calendar (weekly hours, holidays); without a calendar, the first Monday-Friday day.
 */
export function firstBusinessDay(month: string, calendar: Pick<BusinessCalendar, 'weekly' | 'holidays'> | null): string {
  assertMonth(month);
  const holidays = new Set(calendar?.holidays ?? []);
  for (let d = 1; d <= 28; d++) {
    const date = `${month}-${String(d).padStart(2, '0')}`;
    const weekday = weekdayOf(date);
    const open = calendar ? (calendar.weekly[weekday]?.length ?? 0) > 0 : weekday !== 'sat' && weekday !== 'sun';
    if (open && !holidays.has(date)) return date;
  }
  // a calendar closed for four weeks: report on the 1st rather than never
  return `${month}-01`;
}

export interface ScheduledRunDecision {
  /** The month to report on, or null: nothing to do at this firing. */
  month: string | null;
  reason: string;
  localDate: string;
  firstBusinessDay: string;
}

/**
 * The schedule fires daily on days 1-7 of each month (client's time zone, see README); this
 * decides what a firing at `firedAt` does: on or after the month's first business day it reports
 * on the previous month (later firings of the same month find the report workflow already
 * started and do nothing, which also makes a firing caught up after downtime still produce the
 * report); before it, nothing.
 */
export function decideScheduledRun(firedAt: number, timezone: string, calendar: Pick<BusinessCalendar, 'weekly' | 'holidays'> | null): ScheduledRunDecision {
  const localDate = toLocalDateTime(timezone, firedAt).date;
  const month = localDate.slice(0, 7);
  const first = firstBusinessDay(month, calendar);
  if (localDate < first) return { month: null, reason: `before the first business day (${first})`, localDate, firstBusinessDay: first };
  return { month: shiftMonth(month, -1), reason: localDate === first ? 'first business day' : `catch-up after the first business day (${first})`, localDate, firstBusinessDay: first };
}

/** Monday-based weeks (client time zone) overlapping a period: [start, end) epoch ms, clipped. */
export function weeksOf(period: ReportPeriod): Array<{ weekStart: string; start: number; end: number }> {
  const out: Array<{ weekStart: string; start: number; end: number }> = [];
  let date = toLocalDateTime(period.timezone, period.start).date;
  while (true) {
    const start = Math.max(localToUtc(period.timezone, date, '00:00'), period.start);
    if (start >= period.end) break;
    let next = date;
    do {
      next = new Date(Date.parse(`${next}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    } while (weekdayOf(next) !== 'mon');
    const end = Math.min(localToUtc(period.timezone, next, '00:00'), period.end);
    out.push({ weekStart: date, start, end });
    date = next;
  }
  return out;
}
