/**
 * Holidays from an iCalendar (.ics, RFC 5545) file, e.g. a public-holiday feed, as the local
 * dates a business calendar closes on. No dependency; pure, so it also runs in workflow code.
 *
 * Understood: VEVENTs with DTSTART as a date (VALUE=DATE) or a date-time (its local date),
 * DTEND (exclusive) or DURATION for multi-day events, RRULE:FREQ=YEARLY with INTERVAL, COUNT,
 * UNTIL and a BYMONTH/BYMONTHDAY that repeats the start's own month and day, EXDATE,
 * RECURRENCE-ID overrides, STATUS:CANCELLED, folded lines, CRLF or LF line ends.
 * Anything else that would change which dates are holidays (RDATE, BYDAY, other frequencies...)
 * is refused with an error naming the event, rather than silently giving wrong dates; with
 * `unsupported: 'skip'` those events are left out and listed in `skipped` instead.
 */
import { ValidationError } from '../../lib/errors';
import { DAY_MS, isValidTimeZone, utcOffsetAt } from './calendar';

export interface IcsHoliday {
  /** YYYY-MM-DD */
  date: string;
  /** The SUMMARY of every event on that date, in file order, without repeats. */
  names: string[];
}

export interface IcsHolidays {
  /** Sorted, unique YYYY-MM-DD dates: what BusinessCalendar.holidays takes. */
  dates: string[];
  holidays: IcsHoliday[];
  /** Events left out with `unsupported: 'skip'`, and why. */
  skipped: Array<{ event: string; reason: string }>;
}

export interface IcsParseOptions {
  /** Holidays are returned for these years (inclusive); yearly events are repeated over them. */
  fromYear: number;
  toYear: number;
  /** Zone whose local date a UTC date-time (…T100000Z) falls on; default UTC. */
  timezone?: string;
  /** 'error' (default): throw on an event this parser cannot expand exactly. 'skip': leave it out. */
  unsupported?: 'error' | 'skip';
}

export class IcsParseError extends ValidationError {
  constructor(message: string) {
    super(`Cannot read holidays from iCalendar: ${message}`);
  }
}

/** An event this parser cannot turn into exact dates. */
class UnsupportedEvent extends Error {}

// ---------------------------------------------------------------------------------------------
// Lines and properties

interface ContentLine {
  name: string;
  params: Record<string, string>;
  value: string;
  lineNumber: number;
}

/** Physical lines joined back: a line starting with a space or tab continues the previous one. */
function unfoldLines(text: string): Array<{ text: string; lineNumber: number }> {
  const lines: Array<{ text: string; lineNumber: number }> = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\n|\r/)
    .forEach((raw, i) => {
      const last = lines[lines.length - 1];
      if ((raw.startsWith(' ') || raw.startsWith('\t')) && last) last.text += raw.slice(1);
      else if (raw.trim() !== '') lines.push({ text: raw, lineNumber: i + 1 });
    });
  return lines;
}

/** NAME;PARAM=value;PARAM="quoted:value":VALUE — the first colon outside quotes ends the params. */
function parseContentLine(text: string, lineNumber: number): ContentLine {
  let i = 0;
  let inQuotes = false;
  while (i < text.length && (inQuotes || text[i] !== ':')) {
    if (text[i] === '"') inQuotes = !inQuotes;
    i++;
  }
  if (i >= text.length) throw new IcsParseError(`line ${lineNumber}: "${text.slice(0, 60)}" is not NAME:VALUE`);
  const [name, ...rawParams] = splitOutsideQuotes(text.slice(0, i), ';');
  const params: Record<string, string> = {};
  for (const param of rawParams) {
    const eq = param.indexOf('=');
    if (eq > 0) params[param.slice(0, eq).toUpperCase()] = param.slice(eq + 1).replace(/^"(.*)"$/, '$1');
  }
  return { name: name.toUpperCase(), params, value: text.slice(i + 1), lineNumber };
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let inQuotes = false;
  for (const ch of text) {
    if (ch === '"') inQuotes = !inQuotes;
    if (ch === separator && !inQuotes) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/** TEXT values escape \\ \; \, and \n. */
function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, ch: string) => (ch === 'n' || ch === 'N' ? '\n' : ch));
}

type VEvent = Map<string, ContentLine[]>;

/** The VEVENTs of a VCALENDAR; only their own properties (not those of a nested VALARM). */
function readEvents(text: string): VEvent[] {
  const lines = unfoldLines(text);
  const first = lines[0]?.text.trim().toUpperCase();
  if (first !== 'BEGIN:VCALENDAR') {
    const found = lines[0] ? `"${lines[0].text.slice(0, 40)}"` : 'an empty text';
    throw new IcsParseError(`not an iCalendar file: it must start with BEGIN:VCALENDAR, found ${found}`);
  }
  const stack: string[] = [];
  const events: VEvent[] = [];
  for (const { text: raw, lineNumber } of lines) {
    const line = parseContentLine(raw, lineNumber);
    const component = line.value.trim().toUpperCase();
    if (line.name === 'BEGIN') {
      if (stack.length === 0 && lineNumber !== lines[0].lineNumber) {
        throw new IcsParseError(`line ${lineNumber}: content after END:VCALENDAR`);
      }
      stack.push(component);
      if (component === 'VEVENT' && stack.length === 2) events.push(new Map());
    } else if (line.name === 'END') {
      const open = stack.pop();
      if (open !== component) {
        throw new IcsParseError(`line ${lineNumber}: END:${component} does not close ${open ? `BEGIN:${open}` : 'anything'}`);
      }
    } else if (stack.length === 2 && stack[1] === 'VEVENT') {
      const event = events[events.length - 1];
      event.set(line.name, [...(event.get(line.name) ?? []), line]);
    }
  }
  if (stack.length > 0) throw new IcsParseError(`BEGIN:${stack[stack.length - 1]} is never closed (the file may be cut short)`);
  return events;
}

// ---------------------------------------------------------------------------------------------
// Dates

/** A date or date-time as local wall ms (Date.UTC of its local fields) and whether it had a time. */
interface WallTime {
  wallMs: number;
  hasTime: boolean;
}

const DATE_VALUE = /^(\d{4})(\d{2})(\d{2})$/;
const DATE_TIME_VALUE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/;

function realDate(year: number, month: number, day: number): number | null {
  const ms = Date.UTC(year, month - 1, day);
  const d = new Date(ms);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? ms : null;
}

/**
 * A DATE is its own local date. A date-time with TZID, or floating, is read as written: that is
 * its local date. A UTC date-time (…Z) is moved to `timezone`'s wall clock first.
 */
function parseDateValue(value: string, where: string, timezone: string): WallTime {
  const date = DATE_VALUE.exec(value);
  if (date) {
    const ms = realDate(Number(date[1]), Number(date[2]), Number(date[3]));
    if (ms === null) throw new IcsParseError(`${where}: ${value} is not a real date`);
    return { wallMs: ms, hasTime: false };
  }
  const dt = DATE_TIME_VALUE.exec(value);
  if (!dt) throw new IcsParseError(`${where}: "${value}" is not a DATE (YYYYMMDD) or DATE-TIME (YYYYMMDDTHHMMSS[Z])`);
  const day = realDate(Number(dt[1]), Number(dt[2]), Number(dt[3]));
  const [h, m, s] = [Number(dt[4]), Number(dt[5]), Number(dt[6])];
  if (day === null || h > 23 || m > 59 || s > 60) throw new IcsParseError(`${where}: ${value} is not a real date-time`);
  const written = day + ((h * 60 + m) * 60 + Math.min(s, 59)) * 1000;
  return { wallMs: dt[7] === 'Z' ? written + utcOffsetAt(timezone, written) : written, hasTime: true };
}

function propertyDate(line: ContentLine, timezone: string): WallTime {
  return parseDateValue(line.value.trim(), `line ${line.lineNumber} (${line.name})`, timezone);
}

/** DURATION like P1D, P2W, PT12H, P1DT2H30M, as ms (wall-clock arithmetic). */
function parseDuration(line: ContentLine): number {
  const m = /^\+?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(line.value.trim());
  if (!m || line.value.trim() === 'P' || line.value.trim().endsWith('T')) {
    throw new IcsParseError(`line ${line.lineNumber}: DURATION "${line.value}" is not a duration like P1D`);
  }
  const [w, d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0));
  return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
}

function isoDate(wallMs: number): string {
  return new Date(wallMs).toISOString().slice(0, 10);
}

function dayNumber(wallMs: number): number {
  return Math.floor(wallMs / DAY_MS);
}

// ---------------------------------------------------------------------------------------------
// Events to dates

interface YearlyRule {
  interval: number;
  count: number | null;
  /** Last day number an occurrence may start on. */
  untilDay: number | null;
}

const MAX_EVENT_DAYS = 366;
const MAX_YEARS = 1000;

/** RRULE:FREQ=YEARLY[;INTERVAL][;COUNT|UNTIL][;BYMONTH;BYMONTHDAY repeating DTSTART's]. */
function parseYearlyRule(line: ContentLine, start: WallTime, timezone: string): YearlyRule {
  const parts = new Map<string, string>();
  for (const part of line.value.trim().split(';')) {
    const eq = part.indexOf('=');
    parts.set(part.slice(0, eq).toUpperCase(), part.slice(eq + 1).toUpperCase());
  }
  if (parts.get('FREQ') !== 'YEARLY') throw new UnsupportedEvent(`RRULE "${line.value}": only FREQ=YEARLY is supported`);
  const startDate = new Date(start.wallMs);
  const sameAsStart = { BYMONTH: String(startDate.getUTCMonth() + 1), BYMONTHDAY: String(startDate.getUTCDate()) };
  for (const [key, value] of parts) {
    if (key === 'BYMONTH' || key === 'BYMONTHDAY') {
      if (String(Number(value)) !== sameAsStart[key]) throw new UnsupportedEvent(`RRULE ${key}=${value} differs from DTSTART`);
    } else if (!['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'WKST'].includes(key)) {
      throw new UnsupportedEvent(`RRULE part ${key} is not supported (only FREQ=YEARLY, INTERVAL, COUNT, UNTIL)`);
    }
  }
  const interval = Number(parts.get('INTERVAL') ?? '1');
  const count = parts.has('COUNT') ? Number(parts.get('COUNT')) : null;
  if (!Number.isInteger(interval) || interval < 1) {
    throw new IcsParseError(`line ${line.lineNumber}: RRULE INTERVAL must be a positive integer`);
  }
  if (count !== null && (!Number.isInteger(count) || count < 1)) {
    throw new IcsParseError(`line ${line.lineNumber}: RRULE COUNT must be a positive integer`);
  }
  const until = parts.get('UNTIL');
  const untilDay = until === undefined ? null : dayNumber(parseDateValue(until, `line ${line.lineNumber} (RRULE UNTIL)`, timezone).wallMs);
  return { interval, count, untilDay };
}

/**
 * Start wall times of a yearly event's occurrences up to `toYear`. A February 29 start occurs
 * only in leap years, and those skipped years do not count toward COUNT (RFC 5545 3.3.10).
 */
function yearlyOccurrences(start: WallTime, rule: YearlyRule, toYear: number): number[] {
  const first = new Date(start.wallMs);
  const timeOfDay = start.wallMs - Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate());
  const starts: number[] = [];
  for (let year = first.getUTCFullYear(); year <= toYear; year += rule.interval) {
    const day = realDate(year, first.getUTCMonth() + 1, first.getUTCDate());
    if (day === null) continue;
    if (rule.untilDay !== null && dayNumber(day) > rule.untilDay) break;
    starts.push(day + timeOfDay);
    if (rule.count !== null && starts.length >= rule.count) break;
  }
  return starts;
}

/** How long each occurrence lasts in wall ms: from DTEND (exclusive) or DURATION; 0 = its start day only. */
function eventLength(event: VEvent, start: WallTime, timezone: string): number {
  const end = event.get('DTEND')?.[0];
  const duration = event.get('DURATION')?.[0];
  if (end) return Math.max(0, propertyDate(end, timezone).wallMs - start.wallMs);
  if (duration) return parseDuration(duration);
  return 0;
}

/** The local dates an occurrence covers: its start date to the date just before its end. */
function occurrenceDays(startWall: number, lengthMs: number): number[] {
  const firstDay = dayNumber(startWall);
  const lastDay = lengthMs > 0 ? dayNumber(startWall + lengthMs - 1) : firstDay;
  const days: number[] = [];
  for (let day = firstDay; day <= lastDay; day++) days.push(day);
  return days;
}

function eventLabel(event: VEvent): string {
  const summary = event.get('SUMMARY')?.[0];
  const start = event.get('DTSTART')?.[0];
  return summary ? `"${unescapeText(summary.value)}"` : `the event at line ${start?.lineNumber ?? '?'}`;
}

interface ExpandedEvent {
  uid: string | null;
  name: string;
  /** Occurrence start days, each with the days it covers. */
  occurrences: Array<{ startDay: number; days: number[] }>;
  /** Occurrence start days this event removes from its master (RECURRENCE-ID). */
  replaces: number | null;
  cancelled: boolean;
}

function expandEvent(event: VEvent, options: Required<Omit<IcsParseOptions, 'unsupported'>>): ExpandedEvent {
  const startLine = event.get('DTSTART')?.[0];
  if (!startLine) throw new IcsParseError(`${eventLabel(event)} has no DTSTART`);
  if (event.has('RDATE')) throw new UnsupportedEvent('RDATE is not supported');
  const start = propertyDate(startLine, options.timezone);
  const length = eventLength(event, start, options.timezone);
  if (length > MAX_EVENT_DAYS * DAY_MS) throw new IcsParseError(`${eventLabel(event)} lasts more than ${MAX_EVENT_DAYS} days`);
  const ruleLine = event.get('RRULE')?.[0];
  const starts = ruleLine
    ? yearlyOccurrences(start, parseYearlyRule(ruleLine, start, options.timezone), options.toYear)
    : [start.wallMs];
  const excluded = new Set(
    (event.get('EXDATE') ?? []).flatMap((line) =>
      line.value.split(',').map((v) => dayNumber(parseDateValue(v.trim(), `line ${line.lineNumber} (EXDATE)`, options.timezone).wallMs)),
    ),
  );
  const recurrenceId = event.get('RECURRENCE-ID')?.[0];
  return {
    uid: event.get('UID')?.[0]?.value.trim() ?? null,
    name: event.has('SUMMARY') ? unescapeText(event.get('SUMMARY')![0].value).trim() : '(untitled)',
    occurrences: starts
      .map((wallMs) => ({ startDay: dayNumber(wallMs), days: occurrenceDays(wallMs, length) }))
      .filter((o) => !excluded.has(o.startDay)),
    replaces: recurrenceId ? dayNumber(propertyDate(recurrenceId, options.timezone).wallMs) : null,
    cancelled: event.get('STATUS')?.[0]?.value.trim().toUpperCase() === 'CANCELLED',
  };
}

/** Removes each overridden occurrence (RECURRENCE-ID) from the master event with the same UID. */
function applyOverrides(events: ExpandedEvent[]): ExpandedEvent[] {
  const replaced = new Map<string, Set<number>>();
  for (const e of events) {
    if (e.uid !== null && e.replaces !== null) replaced.set(e.uid, (replaced.get(e.uid) ?? new Set()).add(e.replaces));
  }
  return events.map((e) => {
    const gone = e.uid !== null && e.replaces === null ? replaced.get(e.uid) : undefined;
    return gone ? { ...e, occurrences: e.occurrences.filter((o) => !gone.has(o.startDay)) } : e;
  });
}

function checkOptions(options: IcsParseOptions): void {
  const { fromYear, toYear, timezone } = options;
  if (!Number.isInteger(fromYear) || !Number.isInteger(toYear) || fromYear > toYear || fromYear < 1900 || toYear > 9999) {
    throw new IcsParseError(`the year range ${fromYear}..${toYear} must be whole years, from <= to, within 1900..9999`);
  }
  if (toYear - fromYear >= MAX_YEARS) throw new IcsParseError(`the year range ${fromYear}..${toYear} spans more than ${MAX_YEARS} years`);
  if (timezone !== undefined && !isValidTimeZone(timezone)) {
    throw new IcsParseError(`timezone ${JSON.stringify(timezone)} is not a time zone Intl knows`);
  }
}

/** The holidays of an iCalendar text within options.fromYear..toYear: sorted unique dates and their names. */
export function parseIcsHolidays(text: string, options: IcsParseOptions): IcsHolidays {
  if (typeof text !== 'string') throw new IcsParseError('the input must be the text of an .ics file');
  checkOptions(options);
  const settings = { fromYear: options.fromYear, toYear: options.toYear, timezone: options.timezone ?? 'UTC' };
  const skipped: IcsHolidays['skipped'] = [];
  const expanded: ExpandedEvent[] = [];
  for (const event of readEvents(text)) {
    try {
      expanded.push(expandEvent(event, settings));
    } catch (err) {
      if (!(err instanceof UnsupportedEvent)) throw err;
      if (options.unsupported !== 'skip') throw new IcsParseError(`${eventLabel(event)}: ${err.message}`);
      skipped.push({ event: eventLabel(event), reason: err.message });
    }
  }
  const namesByDay = new Map<number, string[]>();
  const firstDay = Date.UTC(settings.fromYear, 0, 1) / DAY_MS;
  const lastDay = Date.UTC(settings.toYear, 11, 31) / DAY_MS;
  for (const event of applyOverrides(expanded)) {
    if (event.cancelled) continue;
    for (const day of event.occurrences.flatMap((o) => o.days)) {
      if (day < firstDay || day > lastDay) continue;
      const names = namesByDay.get(day) ?? [];
      if (!names.includes(event.name)) names.push(event.name);
      namesByDay.set(day, names);
    }
  }
  const holidays = [...namesByDay.keys()]
    .sort((a, b) => a - b)
    .map((day) => ({ date: isoDate(day * DAY_MS), names: namesByDay.get(day)! }));
  return { dates: holidays.map((h) => h.date), holidays, skipped };
}
