/**
 * Business-hours calendars and the local wall time <-> UTC conversion they need.
 *
 * Pure and deterministic: no I/O, no clock, no randomness, only Intl.DateTimeFormat (which the
 * Temporal workflow sandbox provides), so this runs inside workflow code.
 *
 * What "open" means (the one rule everything else follows):
 *   an instant is open when its local wall-clock reading in `timezone` falls on a local date that
 *   is not a holiday and inside one of that weekday's [start, end) intervals.
 * Business time is then real elapsed time spent in open instants. Consequences at DST changes:
 * - Spring forward (a gap, e.g. Paris 02:00 -> 03:00): no instant reads 02:xx, so an interval
 *   starting in the gap starts at the first existing instant (the transition, 03:00), one ending
 *   in the gap ends there too, and 00:00-24:00 that day is 23 real hours.
 * - Fall back (an overlap, e.g. Paris 03:00 -> 02:00): instants reading 02:xx happen twice, and
 *   both passes are open if 02:xx is inside an interval; every real minute counts once, so
 *   00:00-24:00 that day is 25 real hours and a technician on duty 01:00-04:00 works 4 hours.
 *   An interval ending inside the repeated hour (say 02:30) is open on both passes up to 02:30
 *   and closed from 02:30 to the jump back: the clock reads 02:30-02:59, past its end.
 * Why this rule: it needs no per-case disambiguation, it matches what a person looking at the
 * office clock sees, and a brute-force minute-by-minute check can state it in one line (the
 * property tests do exactly that).
 */
import { ValidationError } from '../../lib/errors';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** ["08:00", "12:00"]: open from 08:00 (inclusive) to 12:00 (exclusive), local wall time. */
export type OpenInterval = readonly [start: string, end: string];

export interface BusinessCalendar {
  /** IANA time zone name, e.g. "Europe/Paris". */
  timezone: string;
  /** Open intervals per weekday, sorted and non-overlapping; [] for a closed day. "24:00" may end one. */
  weekly: Readonly<Record<Weekday, readonly OpenInterval[]>>;
  /** Closed local dates, YYYY-MM-DD. */
  holidays: readonly string[];
}

/** [from, to) in epoch milliseconds. */
export type InstantRange = [from: number, to: number];

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1440;

export class CalendarValidationError extends ValidationError {
  constructor(readonly problems: string[]) {
    super(`Invalid business calendar: ${problems.join('; ')}`, { problems });
  }
}

/** A 24/7 calendar, for priorities whose SLA clock never stops (e.g. P1). */
export function alwaysOpenCalendar(timezone = 'UTC'): BusinessCalendar {
  const allDay: OpenInterval[] = [['00:00', '24:00']];
  const weekly = Object.fromEntries(WEEKDAYS.map((day) => [day, allDay])) as Record<Weekday, OpenInterval[]>;
  return { timezone, weekly, holidays: [] };
}

/** 24/7 in UTC. The time zone of a 24/7 calendar does not change any result. */
export const alwaysOpen: BusinessCalendar = alwaysOpenCalendar('UTC');

// ---------------------------------------------------------------------------------------------
// Intl formatters: validating a zone and reading its wall clock both need one.

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: building them is the slow part of Intl. The cache is deterministic. */
function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

// ---------------------------------------------------------------------------------------------
// Validation

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Minutes since local midnight for "HH:MM" ("24:00" only when allowed), or null. */
function parseTimeOfDay(value: unknown, allow24: boolean): number | null {
  if (typeof value !== 'string') return null;
  if (allow24 && value === '24:00') return MINUTES_PER_DAY;
  const m = TIME.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** Days since 1970-01-01 for a real YYYY-MM-DD date, or null. */
export function parseLocalDate(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = DATE.exec(value);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 2024-02-30 over to March 1st; a round trip rejects it.
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return null;
  return ms / DAY_MS;
}

export function isValidTimeZone(timezone: unknown): timezone is string {
  if (typeof timezone !== 'string' || timezone === '') return false;
  try {
    formatterFor(timezone); // Intl throws a RangeError for a zone it does not know
    return true;
  } catch {
    return false;
  }
}

function validateDay(day: Weekday, intervals: unknown): string[] {
  if (!Array.isArray(intervals)) return [`weekly.${day}: must be an array of ["HH:MM", "HH:MM"] intervals ([] when closed)`];
  const problems: string[] = [];
  let previous: { text: string; start: number; end: number } | undefined;
  intervals.forEach((interval: unknown, i) => {
    const where = `weekly.${day}[${i}]`;
    if (!Array.isArray(interval) || interval.length !== 2) {
      problems.push(`${where}: must be a pair ["HH:MM", "HH:MM"]`);
      return;
    }
    const [startText, endText] = interval as unknown[];
    const start = parseTimeOfDay(startText, false);
    const end = parseTimeOfDay(endText, true);
    if (start === null) {
      const hint = startText === '24:00' ? ' ("24:00" can only end an interval)' : '';
      problems.push(`${where}: start ${JSON.stringify(startText)} is not a time HH:MM from 00:00 to 23:59${hint}`);
    }
    if (end === null) problems.push(`${where}: end ${JSON.stringify(endText)} is not a time HH:MM from 00:00 to 24:00`);
    if (start === null || end === null) return;
    const text = `"${String(startText)}"-"${String(endText)}"`;
    if (start >= end) problems.push(`${where}: ${text} is empty or reversed; the start must be before the end`);
    else if (previous && start < previous.start) problems.push(`${where}: ${text} is not sorted; it must come before ${previous.text}`);
    else if (previous && start < previous.end) problems.push(`${where}: ${text} overlaps ${previous.text}`);
    if (start < end) previous = { text, start, end };
  });
  return problems;
}

function validateWeekly(weekly: unknown): string[] {
  if (typeof weekly !== 'object' || weekly === null || Array.isArray(weekly)) {
    return [`weekly: must be an object with the keys ${WEEKDAYS.join(', ')}`];
  }
  const record = weekly as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(record)) {
    if (!(WEEKDAYS as readonly string[]).includes(key)) problems.push(`weekly: unknown day "${key}" (days are ${WEEKDAYS.join(', ')})`);
  }
  for (const day of WEEKDAYS) {
    if (!(day in record)) problems.push(`weekly: missing day "${day}" (use [] for a closed day)`);
    else problems.push(...validateDay(day, record[day]));
  }
  const anyOpen = WEEKDAYS.some((day) => Array.isArray(record[day]) && (record[day] as unknown[]).length > 0);
  if (problems.length === 0 && !anyOpen) problems.push('weekly: no open hours on any day; an SLA clock on this calendar could never run');
  return problems;
}

function validateHolidays(holidays: unknown): string[] {
  if (!Array.isArray(holidays)) return ['holidays: must be an array of YYYY-MM-DD dates'];
  return holidays.flatMap((date: unknown, i) =>
    parseLocalDate(date) === null ? [`holidays[${i}]: ${JSON.stringify(date)} is not a real date YYYY-MM-DD`] : [],
  );
}

/** Every problem with a calendar, each naming where it is; [] when the calendar is valid. */
export function validateCalendar(input: unknown): string[] {
  if (typeof input !== 'object' || input === null) return ['calendar: must be an object { timezone, weekly, holidays }'];
  const calendar = input as Record<string, unknown>;
  const problems: string[] = [];
  if (!isValidTimeZone(calendar.timezone)) {
    problems.push(`timezone: ${JSON.stringify(calendar.timezone)} is not a time zone Intl knows; use an IANA name such as "Europe/Paris"`);
  }
  problems.push(...validateWeekly(calendar.weekly), ...validateHolidays(calendar.holidays));
  return problems;
}

export function assertValidCalendar(input: unknown): asserts input is BusinessCalendar {
  const problems = validateCalendar(input);
  if (problems.length > 0) throw new CalendarValidationError(problems);
}

// ---------------------------------------------------------------------------------------------
// Time zone arithmetic with Intl.DateTimeFormat
//
// "Wall ms" below is a local date and time written as if it were UTC: Date.UTC(y, m, d, h, min).
// A zone's UTC offset at an instant is wall ms minus epoch ms.

/** The local wall clock reading of an instant, as wall ms (whole seconds: Intl has no ms). */
function wallMsAt(timezone: string, epochMs: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timezone).formatToParts(epochMs)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  // Some ICU versions print midnight as 24 even with h23.
  const hour = fields.hour === 24 ? 0 : fields.hour;
  return Date.UTC(fields.year, fields.month - 1, fields.day, hour, fields.minute, fields.second);
}

/** The zone's UTC offset at an instant, in ms (Paris in summer: 7_200_000). */
export function utcOffsetAt(timezone: string, epochMs: number): number {
  const wholeSecond = Math.floor(epochMs / 1000) * 1000;
  return wallMsAt(timezone, wholeSecond) - wholeSecond;
}

/** A stretch of time during which the zone's offset does not change. */
export interface OffsetSegment {
  from: number;
  to: number;
  offsetMs: number;
}

/**
 * Offsets are sampled every 6 hours and transitions located by bisection. Two transitions that
 * cancel out within 6 hours would be missed; no zone in the IANA database has ever done that.
 */
const OFFSET_SAMPLE_MS = 6 * 3_600_000;

/** The first whole second in (lo, hi] whose offset differs from `loOffset` (offset(hi) does). */
function transitionBetween(timezone: string, lo: number, hi: number, loOffset: number): number {
  // Transitions happen on whole seconds, so bisecting over seconds is exact.
  let same = Math.floor(lo / 1000);
  let different = Math.floor(hi / 1000);
  while (different - same > 1) {
    const mid = Math.floor((same + different) / 2);
    if (utcOffsetAt(timezone, mid * 1000) === loOffset) same = mid;
    else different = mid;
  }
  return different * 1000;
}

/** [from, to) cut into stretches of constant UTC offset, in order. */
export function offsetSegments(timezone: string, from: number, to: number): OffsetSegment[] {
  const segments: OffsetSegment[] = [];
  let segmentStart = from;
  let probe = from;
  let offset = utcOffsetAt(timezone, from);
  for (;;) {
    // The last sample is inside the range: a transition exactly at `to` belongs to the next range.
    const next = Math.min(probe + OFFSET_SAMPLE_MS, to - 1);
    if (next <= probe) break;
    const nextOffset = utcOffsetAt(timezone, next);
    if (nextOffset === offset) {
      probe = next;
      continue;
    }
    const transition = transitionBetween(timezone, probe, next, offset);
    segments.push({ from: segmentStart, to: transition, offsetMs: offset });
    segmentStart = probe = transition;
    offset = utcOffsetAt(timezone, transition);
  }
  if (segmentStart < to) segments.push({ from: segmentStart, to, offsetMs: offset });
  return segments;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function isoDate(wallMs: number): string {
  const d = new Date(wallMs);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Weekday of a day number (days since 1970-01-01, a Thursday). */
function weekdayOfDay(dayNumber: number): Weekday {
  return WEEKDAYS[(((dayNumber + 3) % 7) + 7) % 7];
}

export interface LocalDateTime {
  /** YYYY-MM-DD */
  date: string;
  /** HH:MM:SS */
  time: string;
  weekday: Weekday;
  utcOffsetMinutes: number;
}

/** What the wall clock in `timezone` reads at an instant. */
export function toLocalDateTime(timezone: string, epochMs: number): LocalDateTime {
  const offset = utcOffsetAt(timezone, epochMs);
  const wall = Math.floor(epochMs / 1000) * 1000 + offset;
  const d = new Date(wall);
  return {
    date: isoDate(wall),
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
    weekday: weekdayOfDay(Math.floor(wall / DAY_MS)),
    utcOffsetMinutes: offset / MINUTE_MS,
  };
}

/**
 * The instant at which the wall clock in `timezone` reads `date` `time` ("HH:MM" or "24:00").
 * - In a fall-back overlap the reading happens twice: 'earlier' (default) or 'later' picks one.
 * - In a spring-forward gap it never happens: the answer is the first instant after the gap
 *   (the transition), consistent with "an interval starting in the gap starts when the gap ends".
 */
export function localToUtc(timezone: string, date: string, time: string, occurrence: 'earlier' | 'later' = 'earlier'): number {
  const day = parseLocalDate(date);
  const minutes = parseTimeOfDay(time, true);
  if (day === null) throw new ValidationError(`${JSON.stringify(date)} is not a real date YYYY-MM-DD`);
  if (minutes === null) throw new ValidationError(`${JSON.stringify(time)} is not a time HH:MM`);
  if (!isValidTimeZone(timezone)) throw new ValidationError(`${JSON.stringify(timezone)} is not a time zone Intl knows`);
  const wall = day * DAY_MS + minutes * MINUTE_MS;
  // Real offsets stay within +-26 hours, so every instant reading `wall` lies in this range.
  const segments = offsetSegments(timezone, wall - 2 * DAY_MS, wall + 2 * DAY_MS);
  const readings = segments.map((s) => wall - s.offsetMs).filter((t, i) => t >= segments[i].from && t < segments[i].to);
  if (readings.length > 0) return occurrence === 'earlier' ? readings[0] : readings[readings.length - 1];
  const afterGap = segments.find((s) => s.from + s.offsetMs > wall);
  if (!afterGap) throw new Error(`no instant reads ${date} ${time} in ${timezone}`); // unreachable for real zones
  return afterGap.from;
}

// ---------------------------------------------------------------------------------------------
// Open intervals in real time

/** A calendar parsed once for fast lookups: minutes per weekday, holidays as day numbers. */
export interface CompiledCalendar {
  timezone: string;
  weekly: Record<Weekday, ReadonlyArray<readonly [startMinute: number, endMinute: number]>>;
  holidayDays: ReadonlySet<number>;
}

export function compileCalendar(calendar: BusinessCalendar): CompiledCalendar {
  assertValidCalendar(calendar);
  const weekly = {} as Record<Weekday, Array<readonly [number, number]>>;
  for (const day of WEEKDAYS) {
    weekly[day] = calendar.weekly[day].map(([s, e]) => [parseTimeOfDay(s, false)!, parseTimeOfDay(e, true)!] as const);
  }
  return { timezone: calendar.timezone, weekly, holidayDays: new Set(calendar.holidays.map((d) => parseLocalDate(d)!)) };
}

/** Appends [from, to) to sorted disjoint ranges, merging when it touches the last one. */
export function appendMerged(ranges: InstantRange[], from: number, to: number): void {
  const last = ranges[ranges.length - 1];
  if (last && from <= last[1]) last[1] = Math.max(last[1], to);
  else ranges.push([from, to]);
}

/**
 * Open time inside one stretch of constant offset: there wall time and real time differ by a
 * constant, so each local day's intervals map to real ranges by subtracting the offset.
 */
function appendOpenRanges(calendar: CompiledCalendar, segment: OffsetSegment, out: InstantRange[]): void {
  const { from, to, offsetMs } = segment;
  for (let day = Math.floor((from + offsetMs) / DAY_MS); day * DAY_MS < to + offsetMs; day++) {
    if (calendar.holidayDays.has(day)) continue;
    for (const [startMinute, endMinute] of calendar.weekly[weekdayOfDay(day)]) {
      const start = Math.max(day * DAY_MS + startMinute * MINUTE_MS - offsetMs, from);
      const end = Math.min(day * DAY_MS + endMinute * MINUTE_MS - offsetMs, to);
      if (start < end) appendMerged(out, start, end);
    }
  }
}

/** The open instants of a compiled calendar within [from, to): sorted, disjoint, merged ranges. */
export function compiledOpenRanges(calendar: CompiledCalendar, from: number, to: number): InstantRange[] {
  const out: InstantRange[] = [];
  // Segments come in time order and each maps wall time to real time monotonically, so the
  // ranges come out sorted; a fall-back repeat is simply visited by both segments.
  for (const segment of offsetSegments(calendar.timezone, from, to)) appendOpenRanges(calendar, segment, out);
  return out;
}

/** The open instants of a calendar within [from, to) (epoch ms), as sorted disjoint ranges. */
export function openRangesBetween(calendar: BusinessCalendar, from: number, to: number): InstantRange[] {
  return compiledOpenRanges(compileCalendar(calendar), from, to);
}

export function isOpenAt(calendar: BusinessCalendar, epochMs: number): boolean {
  return openRangesBetween(calendar, epochMs, epochMs + 1).length > 0;
}
