/**
 * The SLA clock: how much business time a ticket has used, and when it reaches its target.
 *
 * Business time is real elapsed time inside the calendar's open instants (see calendar.ts) and
 * outside every pause, counted from `startAt`. Internally everything is whole milliseconds, so
 * sums are exact; the API speaks business minutes (targets are rounded to the millisecond).
 *
 * The clock walks the calendar one open range at a time (a week of calendar per step), never
 * minute by minute, and keeps what it walked so later questions are binary searches.
 *
 * Pure and deterministic (no I/O, no clock, no randomness): safe inside Temporal workflow code.
 */
import { UserError, ValidationError } from '../../lib/errors';
import {
  DAY_MS,
  MINUTE_MS,
  appendMerged,
  compileCalendar,
  compiledOpenRanges,
  type BusinessCalendar,
  type CompiledCalendar,
  type InstantRange,
} from './calendar';

export interface SlaPause {
  /** Epoch ms the clock stopped (e.g. "waiting for the customer"). */
  from: number;
  /** Epoch ms it restarted; null while still paused. */
  to: number | null;
  reason: string;
}

export interface SlaClockInput {
  calendar: BusinessCalendar;
  /** Epoch ms the clock starts (the ticket's creation, or its priority change). */
  startAt: number;
  /** Business minutes allowed, e.g. 240 for a 4-hour resolution target. */
  targetMinutes: number;
  pauses?: readonly SlaPause[];
  /** How far the clock may look for the target, in days after the start or the last resume. Default 366. */
  horizonDays?: number;
}

export interface ThresholdInstant {
  /** The fraction of the target, e.g. 0.75. */
  fraction: number;
  /** Epoch ms it is reached; null while an open pause keeps it from being reached. */
  at: number | null;
}

export interface SlaClock {
  readonly startAt: number;
  readonly targetMinutes: number;
  /**
   * Epoch ms the target is reached. null when a pause that has not ended (to: null) began before
   * the target was reached: the clock is stopped for an unknown time, so no deadline exists yet;
   * it is computed again when the pause ends (pass the pause with its `to`).
   */
  readonly deadlineAt: number | null;
  /** Business minutes used between startAt and `at` (0 before the start; keeps growing after the deadline). */
  businessMinutesElapsed(at: number): number;
  /** targetMinutes minus businessMinutesElapsed(at): negative once the target is exceeded. */
  remaining(at: number): number;
  /**
   * The instant each fraction of the target is reached, in the order given. Never inside a
   * pause: a threshold reached exactly when a pause begins (or at the start, for 0, while paused)
   * is reached at the first business instant after the resume, since paused time does not count.
   */
  thresholdInstants(fractions?: readonly number[]): ThresholdInstant[];
}

/** The thresholds an SLA usually warns at: half, three quarters, 90 % and breach. */
export const DEFAULT_THRESHOLDS: readonly number[] = [0.5, 0.75, 0.9, 1.0];
export const DEFAULT_HORIZON_DAYS = 366;

export class SlaInputError extends ValidationError {
  constructor(readonly problems: string[]) {
    super(`Invalid SLA clock input: ${problems.join('; ')}`, { problems });
  }
}

/** The target lies beyond the horizon: the calendar never opens, or the target is absurdly large. */
export class SlaHorizonError extends UserError {
  constructor(message: string) {
    super(message, 'SLA_HORIZON_EXCEEDED');
  }
}

// Years 1900 to 9999: Intl and Date.UTC are exact there; anything else is a unit mistake.
const EARLIEST_INSTANT = Date.UTC(1900, 0, 1);
const LATEST_INSTANT = Date.UTC(9999, 0, 1);
/** How much calendar the clock walks per step: big enough to be cheap, small enough not to overshoot much. */
const SCAN_STEP_MS = 7 * DAY_MS;

function instantProblem(name: string, value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${name}: must be epoch milliseconds (a finite number)`;
  if (value < EARLIEST_INSTANT || value > LATEST_INSTANT) return `${name}: ${value} is not an epoch-ms instant between 1900 and 9999`;
  return null;
}

function pauseProblems(pause: unknown, i: number): string[] {
  const where = `pauses[${i}]`;
  if (typeof pause !== 'object' || pause === null) return [`${where}: must be { from, to, reason }`];
  const p = pause as Record<string, unknown>;
  const problems = [instantProblem(`${where}.from`, p.from)];
  if (p.to !== null) problems.push(instantProblem(`${where}.to`, p.to));
  if (typeof p.reason !== 'string') problems.push(`${where}.reason: must be a string`);
  if (typeof p.from === 'number' && typeof p.to === 'number' && p.to < p.from) problems.push(`${where}: ends before it starts`);
  return problems.filter((x): x is string => x !== null);
}

/** Every problem with the clock's input other than the calendar's (see validateCalendar). */
export function validateSlaClockInput(input: SlaClockInput): string[] {
  const problems: string[] = [];
  const start = instantProblem('startAt', input.startAt);
  if (start) problems.push(start);
  if (typeof input.targetMinutes !== 'number' || !Number.isFinite(input.targetMinutes) || input.targetMinutes < 0) {
    problems.push('targetMinutes: must be a finite number of business minutes >= 0');
  }
  if (input.pauses !== undefined && !Array.isArray(input.pauses)) problems.push('pauses: must be an array');
  else (input.pauses ?? []).forEach((pause, i) => problems.push(...pauseProblems(pause, i)));
  const horizon = input.horizonDays;
  if (horizon !== undefined && (typeof horizon !== 'number' || !(horizon > 0) || horizon > 100 * 366)) {
    problems.push('horizonDays: must be a number of days > 0 (and at most a century)');
  }
  return problems;
}

function businessMs(minutes: number): number {
  return Math.round(minutes * MINUTE_MS);
}

/** Pauses as sorted, merged [from, to) ranges; an open pause runs to +Infinity. */
function mergePauses(pauses: readonly SlaPause[]): InstantRange[] {
  const ranges = pauses
    .map((p): InstantRange => [p.from, p.to ?? Infinity])
    .filter(([from, to]) => from < to)
    .sort((a, b) => a[0] - b[0]);
  const merged: InstantRange[] = [];
  for (const [from, to] of ranges) appendMerged(merged, from, to);
  return merged;
}

/** `ranges` minus `holes`, both sorted and disjoint. */
function subtractRanges(ranges: readonly InstantRange[], holes: readonly InstantRange[]): InstantRange[] {
  const out: InstantRange[] = [];
  for (const [from, to] of ranges) {
    let cursor = from;
    for (const [holeFrom, holeTo] of holes) {
      if (holeTo <= cursor) continue;
      if (holeFrom >= to) break;
      if (holeFrom > cursor) out.push([cursor, holeFrom]);
      cursor = Math.max(cursor, holeTo);
      if (cursor >= to) break;
    }
    if (cursor < to) out.push([cursor, to]);
  }
  return out;
}

/** A stretch of counted (open, unpaused) time and the business ms counted before it. */
interface CountedRange {
  from: number;
  to: number;
  countedBefore: number;
}

/**
 * The counted time from startAt onwards, walked lazily a step at a time and remembered.
 * It stops at the start of an open pause: nothing after it counts until the pause has an end.
 */
class CountedTimeline {
  private readonly ranges: CountedRange[] = [];
  private walkedTo: number;
  private counted = 0;
  /** Open calendar time seen so far, paused or not: 0 means the calendar itself never opened. */
  private openSeen = 0;
  /** Where counting ends for now: the start of an open pause, or +Infinity. */
  readonly stopsAt: number;
  readonly horizonEnd: number;

  constructor(
    private readonly calendar: CompiledCalendar,
    readonly startAt: number,
    private readonly pauses: readonly InstantRange[],
    private readonly horizonDays: number,
  ) {
    this.walkedTo = startAt;
    const openPause = pauses.find(([, to]) => to === Infinity);
    this.stopsAt = openPause ? Math.max(openPause[0], startAt) : Infinity;
    // Measured from the last resume, so a ticket paused for months still gets a full horizon.
    const lastResume = Math.max(startAt, ...pauses.map(([, to]) => (to === Infinity ? -Infinity : to)));
    this.horizonEnd = lastResume + horizonDays * DAY_MS;
  }

  isPaused(at: number): boolean {
    return this.pauses.some(([from, to]) => from <= at && at < to);
  }

  /** Walks the calendar up to `until` (never past an open pause). */
  walkTo(until: number): void {
    while (this.walkedTo < Math.min(until, this.stopsAt)) this.walkStep(Math.min(this.walkedTo + SCAN_STEP_MS, until, this.stopsAt));
  }

  private walkStep(to: number): void {
    const open = compiledOpenRanges(this.calendar, this.walkedTo, to);
    for (const [from, end] of open) this.openSeen += end - from;
    for (const [from, end] of subtractRanges(open, this.pauses)) this.appendCounted(from, end);
    this.walkedTo = to;
  }

  private appendCounted(from: number, to: number): void {
    const last = this.ranges[this.ranges.length - 1];
    // Ranges split only by the walk's step boundary are one range.
    if (last && last.to === from) last.to = to;
    else this.ranges.push({ from, to, countedBefore: this.counted });
    this.counted += to - from;
  }

  /**
   * Walks one more step toward the horizon. false when counting has stopped at an open pause;
   * throws when the horizon is reached first.
   */
  private walkFurther(lookingFor: string): boolean {
    if (this.walkedTo >= this.stopsAt) return false;
    if (this.walkedTo >= this.horizonEnd) throw this.horizonError(lookingFor);
    this.walkStep(Math.min(this.walkedTo + SCAN_STEP_MS, this.stopsAt, this.horizonEnd));
    return true;
  }

  private horizonError(lookingFor: string): SlaHorizonError {
    const until = new Date(this.horizonEnd).toISOString();
    const since = new Date(this.startAt).toISOString();
    if (this.openSeen === 0) {
      return new SlaHorizonError(
        `The business calendar has no open time at all between ${since} and ${until} (${this.calendar.timezone}): ` +
          'check its weekly hours and holidays',
      );
    }
    return new SlaHorizonError(
      `${lookingFor} is not reached within the ${this.horizonDays}-day horizon (until ${until}); ` +
        `only ${this.counted / MINUTE_MS} business minutes count by then`,
    );
  }

  /** Costs one walk of the calendar up to `at` (a few ms per year), then a binary search. */
  elapsedMsAt(at: number): number {
    const problem = instantProblem('at', at);
    if (problem) throw new SlaInputError([problem]);
    if (at <= this.startAt) return 0;
    this.walkTo(at);
    const i = this.lastRangeStartingBefore(at);
    if (i < 0) return 0;
    const range = this.ranges[i];
    return range.countedBefore + Math.min(at, range.to) - range.from;
  }

  /** Index of the last range with from < at, or -1. */
  private lastRangeStartingBefore(at: number): number {
    let lo = 0;
    let hi = this.ranges.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.ranges[mid].from < at) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Index of the first range whose end reaches `ms` counted, walking as needed; null if paused. */
  private rangeReaching(ms: number, lookingFor: string): number | null {
    while (this.counted < ms) if (!this.walkFurther(lookingFor)) return null;
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const range = this.ranges[mid];
      if (range.countedBefore + (range.to - range.from) >= ms) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Start of the first counted range at index >= i, walking as needed; null if paused. */
  private countedStartFrom(i: number, lookingFor: string): number | null {
    while (this.ranges.length <= i) if (!this.walkFurther(lookingFor)) return null;
    return this.ranges[i].from;
  }

  /**
   * The first instant at which `ms` business ms have counted, moved out of any pause: the
   * reaching instant can only be in a pause when the pause starts right then (or for ms = 0,
   * when the clock starts paused), and then it is the first counted instant after the resume.
   */
  reachedAt(ms: number, lookingFor: string): number | null {
    if (ms <= 0) return this.isPaused(this.startAt) ? this.countedStartFrom(0, lookingFor) : this.startAt;
    const i = this.rangeReaching(ms, lookingFor);
    if (i === null) return null;
    const range = this.ranges[i];
    const at = range.from + (ms - range.countedBefore);
    return this.isPaused(at) ? this.countedStartFrom(i + 1, lookingFor) : at;
  }
}

function timelineFor(input: SlaClockInput): CountedTimeline {
  const calendar = compileCalendar(input.calendar);
  const problems = validateSlaClockInput(input);
  if (problems.length > 0) throw new SlaInputError(problems);
  return new CountedTimeline(calendar, input.startAt, mergePauses(input.pauses ?? []), input.horizonDays ?? DEFAULT_HORIZON_DAYS);
}

/**
 * Builds the clock and computes its deadline; throws CalendarValidationError, SlaInputError, or
 * SlaHorizonError when the target is not reached within the horizon.
 */
export function createSlaClock(input: SlaClockInput): SlaClock {
  const timeline = timelineFor(input);
  const { startAt, targetMinutes } = input;
  const targetMs = businessMs(targetMinutes);
  const deadlineAt = timeline.reachedAt(targetMs, `The target of ${targetMinutes} business minutes`);

  return {
    startAt,
    targetMinutes,
    deadlineAt,
    businessMinutesElapsed: (at) => timeline.elapsedMsAt(at) / MINUTE_MS,
    remaining: (at) => (targetMs - timeline.elapsedMsAt(at)) / MINUTE_MS,
    thresholdInstants(fractions = DEFAULT_THRESHOLDS) {
      return fractions.map((fraction) => {
        if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0) {
          throw new SlaInputError([`thresholds: ${String(fraction)} is not a fraction >= 0`]);
        }
        const at = timeline.reachedAt(businessMs(fraction * targetMinutes), `${fraction * 100} % of the target`);
        return { fraction, at };
      });
    },
  };
}

/** The instant `minutes` business minutes after `from`; null only when an open pause stops the clock first. */
export function addBusinessMinutes(
  calendar: BusinessCalendar,
  from: number,
  minutes: number,
  pauses: readonly SlaPause[] = [],
): number | null {
  return createSlaClock({ calendar, startAt: from, targetMinutes: minutes, pauses }).deadlineAt;
}

/** Business minutes between two instants, minus pauses (0 if `to` is not after `from`). */
export function businessMinutesBetween(calendar: BusinessCalendar, from: number, to: number, pauses: readonly SlaPause[] = []): number {
  return timelineFor({ calendar, startAt: from, targetMinutes: 0, pauses }).elapsedMsAt(to) / MINUTE_MS;
}
