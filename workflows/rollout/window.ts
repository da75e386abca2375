import { DAY_MS, openRangesBetween, type BusinessCalendar } from '../sla/calendar';

/** How far ahead the next maintenance window is looked for. */
const HORIZON_MS = 35 * DAY_MS;

export type WindowState = { open: true; closesAt: number } | { open: false; opensAt: number | null };

/**
 * Where `now` stands in a maintenance calendar (the client's business calendar shape: time zone,
 * weekly intervals, holidays as closed days). No calendar means always open.
 */
export function windowAt(calendar: BusinessCalendar | null | undefined, now: number): WindowState {
  if (!calendar) return { open: true, closesAt: Number.POSITIVE_INFINITY };
  const [first] = openRangesBetween(calendar, now, now + HORIZON_MS);
  if (!first) return { open: false, opensAt: null };
  if (first[0] <= now) return { open: true, closesAt: first[1] };
  return { open: false, opensAt: first[0] };
}
