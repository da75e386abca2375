/**
 * SLA bookkeeping for one ticket, pure and deterministic (runs inside the workflow). The state
 * is small and explicit: when the clock started, its pauses, when the first response happened
 * and which milestones already fired. Deadlines are never stored: they are recomputed from that
 * state and the current policy, so a priority, policy or calendar change moves them without
 * losing elapsed time or pauses, and a milestone that already fired never fires again.
 */
import {
  WEEKDAYS,
  alwaysOpenCalendar,
  createSlaClock,
  localToUtc,
  toLocalDateTime,
  type BusinessCalendar,
  type SlaClock,
  type SlaPause,
} from '../sla';

export type Priority = 'P1' | 'P2' | 'P3' | 'P4';
export type ClockName = 'firstResponse' | 'resolution';
export type EscalationLevelName = 'L1' | 'L2' | 'L3';

export interface SlaTargets {
  firstResponseMinutes: number;
  resolutionMinutes: number;
  /** The clock ignores the calendar and runs around the clock (P1, often). */
  twentyFourSeven: boolean;
}

export interface EscalationLevel {
  level: EscalationLevelName;
  /** Fraction of the target at which this level is alerted (1 = at breach, 1.5 = half the target later). */
  atFraction: number;
}

export interface SlaPolicySnapshot {
  policyId: string | null;
  name: string;
  calendar: BusinessCalendar;
  targets: Partial<Record<Priority, SlaTargets>>;
  warnAt: number[];
  escalation: EscalationLevel[];
  autoCloseBusinessDays: number;
  reopenWindowDays: number;
}

export const DEFAULT_WARN_AT = [0.5, 0.75, 0.9];
export const DEFAULT_ESCALATION: EscalationLevel[] = [
  { level: 'L1', atFraction: 0.75 },
  { level: 'L2', atFraction: 1 },
  { level: 'L3', atFraction: 1.5 },
];

export interface SlaState {
  startAt: number;
  /** Pauses of the resolution clock: waiting on the client, and resolved-then-reopened spans. */
  pauses: SlaPause[];
  firstResponseAt: number | null;
  /** Keys of milestones already fired (see milestoneKey). */
  fired: string[];
}

export type MilestoneKind = 'warning' | 'breach' | 'escalation';

export interface Milestone {
  key: string;
  clock: ClockName;
  kind: MilestoneKind;
  fraction: number;
  level?: EscalationLevelName;
  at: number;
}

export function milestoneKey(clock: ClockName, kind: MilestoneKind, fraction: number, level?: string): string {
  return `${clock}:${kind}:${level ?? Math.round(fraction * 100)}`;
}

export function newSlaState(startAt: number): SlaState {
  return { startAt, pauses: [], firstResponseAt: null, fired: [] };
}

export function isPaused(state: SlaState): boolean {
  const last = state.pauses[state.pauses.length - 1];
  return Boolean(last && last.to === null);
}

export function pause(state: SlaState, at: number, reason: string): void {
  if (!isPaused(state)) state.pauses.push({ from: Math.max(at, state.startAt), to: null, reason });
}

export function resume(state: SlaState, at: number): void {
  const last = state.pauses[state.pauses.length - 1];
  if (last && last.to === null) last.to = Math.max(at, last.from);
}

export function clockFor(state: SlaState, policy: SlaPolicySnapshot, priority: Priority, clock: ClockName): SlaClock | null {
  const targets = policy.targets[priority];
  if (!targets) return null;
  if (clock === 'firstResponse' && state.firstResponseAt !== null) return null;
  const calendar = targets.twentyFourSeven ? alwaysOpenCalendar(policy.calendar.timezone) : policy.calendar;
  return createSlaClock({
    calendar,
    startAt: state.startAt,
    targetMinutes: clock === 'firstResponse' ? targets.firstResponseMinutes : targets.resolutionMinutes,
    pauses: clock === 'resolution' ? state.pauses : [],
  });
}

/** Milestones not yet fired, with the instant each is reached, soonest first. */
export function pendingMilestones(state: SlaState, policy: SlaPolicySnapshot, priority: Priority): Milestone[] {
  const fired = new Set(state.fired);
  const out: Milestone[] = [];
  for (const clockName of ['firstResponse', 'resolution'] as const) {
    const clock = clockFor(state, policy, priority, clockName);
    if (!clock) continue;
    const wanted: Array<Omit<Milestone, 'key' | 'at' | 'clock'>> = [
      ...policy.warnAt.map((fraction) => ({ kind: 'warning' as const, fraction })),
      { kind: 'breach' as const, fraction: 1 },
      ...policy.escalation.map((e) => ({ kind: 'escalation' as const, fraction: e.atFraction, level: e.level })),
    ];
    const instants = clock.thresholdInstants(wanted.map((w) => w.fraction));
    wanted.forEach((w, i) => {
      const at = instants[i].at;
      const key = milestoneKey(clockName, w.kind, w.fraction, w.level);
      if (at !== null && !fired.has(key)) out.push({ ...w, key, clock: clockName, at });
    });
  }
  return out.sort((a, b) => a.at - b.at || a.fraction - b.fraction);
}

export function dueMilestones(state: SlaState, policy: SlaPolicySnapshot, priority: Priority, now: number): Milestone[] {
  return pendingMilestones(state, policy, priority).filter((m) => m.at <= now);
}

export type SlaStatus = 'none' | 'ok' | 'warning' | 'breached' | 'paused' | 'met';

export function slaStatus(state: SlaState, policy: SlaPolicySnapshot | null, priority: Priority, resolved: boolean): SlaStatus {
  if (!policy || !policy.targets[priority]) return 'none';
  if (state.fired.some((k) => k.includes(':breach:'))) return 'breached';
  if (resolved) return 'met';
  if (isPaused(state)) return 'paused';
  if (state.fired.some((k) => k.includes(':warning:') || k.includes(':escalation:'))) return 'warning';
  return 'ok';
}

/** The same local time of day, `days` business days (open days, not holidays) after `from`. */
export function addBusinessDays(calendar: BusinessCalendar, from: number, days: number): number {
  const local = toLocalDateTime(calendar.timezone, from);
  let date = local.date;
  let counted = 0;
  for (let i = 0; i < 3660 && counted < days; i++) {
    date = nextDate(date);
    if (isBusinessDay(calendar, date)) counted++;
  }
  if (counted < days) throw new Error('the calendar has no business day in ten years');
  return localToUtc(calendar.timezone, date, local.time.slice(0, 5));
}

function nextDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

function isBusinessDay(calendar: BusinessCalendar, date: string): boolean {
  const [y, m, d] = date.split('-').map(Number);
  const weekday = WEEKDAYS[(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7];
  return calendar.weekly[weekday].length > 0 && !calendar.holidays.includes(date);
}
