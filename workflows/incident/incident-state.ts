/**
 * Everything the incident workflow decides, as a plain class with no Temporal in it: status
 * changes and their effect on the SLA clocks, milestones due, auto-close and the reopen window,
 * the timeline, and what to show. Time always comes in as an argument, so it is unit-testable
 * and deterministic under replay.
 */
import type {
  SlaClockView,
  SlaTimelineEntry,
  TicketPriority,
  TicketStatus,
  TicketView,
  TicketWorkflowInput,
} from '../definitions';
import { ticketNumber } from '../definitions';
import { alwaysOpenCalendar, type SlaClock } from '../sla';
import { isFirstResponse } from './lifecycle';
import {
  addBusinessDays,
  clockFor,
  isPaused,
  newSlaState,
  pause,
  pendingMilestones,
  resume,
  slaStatus,
  type Milestone,
  type SlaPolicySnapshot,
  type SlaState,
} from './sla-tracker';

const DAY_MS = 86_400_000;
const FALLBACK_AUTO_CLOSE_DAYS = 5;
const FALLBACK_REOPEN_WINDOW_DAYS = 14;

export interface CarriedIncident {
  ticketId: number;
  createdAt: number;
  status: TicketStatus;
  priority: TicketPriority;
  assigneeId: string | null;
  sla: SlaState;
  policy: SlaPolicySnapshot | null;
  timeline: SlaTimelineEntry[];
  resolvedAt: number | null;
  closedAt: number | null;
}

export interface TicketChange {
  status?: TicketStatus;
  priority?: TicketPriority;
  assigneeId?: string | null;
  firstResponseAt?: number;
  resolvedAt?: number | null;
  closedAt?: number | null;
}

export interface Outcome {
  entries: SlaTimelineEntry[];
  change: TicketChange;
}

export interface DueMilestone {
  milestone: Milestone;
  entry: SlaTimelineEntry;
  /** Notification event name, routed per client: sla.warning, sla.breach, escalation.L1..L3. */
  event: string;
  message(input: TicketWorkflowInput): { title: string; text: string; severity: 'info' | 'warning' | 'critical'; ticket: { id: number; number: string; subject: string } };
}

const CLOCK_LABEL = { firstResponse: 'first response', resolution: 'resolution' } as const;

export class IncidentState {
  private constructor(private s: CarriedIncident) {}

  static start(input: TicketWorkflowInput, now: number): IncidentState {
    const createdAt = Math.min(input.createdAt ?? now, now);
    const state = new IncidentState({
      ticketId: input.ticketId,
      createdAt,
      status: 'NEW',
      priority: input.priority as TicketPriority,
      assigneeId: null,
      sla: newSlaState(createdAt),
      policy: null,
      timeline: [],
      resolvedAt: null,
      closedAt: null,
    });
    state.log({ at: createdAt, type: 'started', detail: `priority ${input.priority}` });
    return state;
  }

  static restore(carried: CarriedIncident): IncidentState {
    return new IncidentState(structuredCloneJson(carried));
  }

  carry(): CarriedIncident {
    return structuredCloneJson(this.s);
  }

  get status(): TicketStatus {
    return this.s.status;
  }
  get priority(): TicketPriority {
    return this.s.priority;
  }
  get assigneeId(): string | null {
    return this.s.assigneeId;
  }
  get createdAt(): number {
    return this.s.createdAt;
  }
  get timeline(): SlaTimelineEntry[] {
    return this.s.timeline;
  }

  /** A stable key for a timeline entry (its position), used to write each one to the database once. */
  eventSeq(entry: SlaTimelineEntry): string {
    return `timeline-${this.s.timeline.indexOf(entry)}`;
  }

  // -------------------------------------------------------------- changes

  setPolicy(policy: SlaPolicySnapshot | null, now: number, reason: string): SlaTimelineEntry[] {
    this.s.policy = policy;
    return [this.log({ at: now, type: 'recomputed', reason, detail: this.deadlineSummary(now) })];
  }

  changeStatus(to: TicketStatus, now: number, by: string, reason?: string): Outcome {
    const from = this.s.status;
    const entries: SlaTimelineEntry[] = [];
    const change: TicketChange = { status: to };
    if (isFirstResponse(from, to) && this.s.sla.firstResponseAt === null) {
      this.s.sla.firstResponseAt = now;
      change.firstResponseAt = now;
      entries.push(this.log({ at: now, type: 'first-response', clock: 'firstResponse', detail: `by ${by}` }));
    }
    this.s.status = to;
    entries.push(this.log({ at: now, type: 'status', reason, detail: `${from} → ${to} by ${by}` }));

    const wasPaused = isPaused(this.s.sla);
    if (to === 'WAITING_ON_CLIENT' || to === 'RESOLVED' || to === 'CLOSED') {
      if (!wasPaused) {
        const why = to === 'WAITING_ON_CLIENT' ? 'waiting on client' : 'resolved';
        pause(this.s.sla, now, why);
        entries.push(this.log({ at: now, type: 'paused', clock: 'resolution', reason: why }));
      }
    } else if (wasPaused) {
      resume(this.s.sla, now);
      entries.push(this.log({ at: now, type: 'resumed', clock: 'resolution', detail: this.deadlineSummary(now) }));
    }
    if (to === 'RESOLVED') {
      this.s.resolvedAt = now;
      change.resolvedAt = now;
    } else if (from === 'RESOLVED' || from === 'CLOSED') {
      this.s.resolvedAt = null;
      change.resolvedAt = null;
    }
    if (to === 'CLOSED') {
      this.s.closedAt = now;
      change.closedAt = now;
    } else if (from === 'CLOSED') {
      this.s.closedAt = null;
      change.closedAt = null;
    }
    return { entries, change };
  }

  changePriority(priority: TicketPriority, now: number, by: string, reason?: string): Outcome {
    const from = this.s.priority;
    this.s.priority = priority;
    const entries = [
      this.log({ at: now, type: 'priority', reason, detail: `${from} → ${priority} by ${by}` }),
      this.log({ at: now, type: 'recomputed', reason: `priority ${priority}`, detail: this.deadlineSummary(now) }),
    ];
    return { entries, change: { priority } };
  }

  assign(assigneeId: string | null, now: number, by: string): Outcome {
    this.s.assigneeId = assigneeId;
    return {
      entries: [this.log({ at: now, type: 'assigned', detail: `${assigneeId ?? 'nobody'} by ${by}` })],
      change: { assigneeId },
    };
  }

  /** The client wrote: resumes a clock paused on them, reopens a resolved (or recently closed) ticket. */
  clientReplied(at: number, now: number): Outcome | null {
    if (this.s.status === 'WAITING_ON_CLIENT' || this.s.status === 'RESOLVED' || (this.s.status === 'CLOSED' && this.canReopen(now))) {
      return this.changeStatus('IN_PROGRESS', Math.min(at, now), 'client reply', 'the client replied');
    }
    return null;
  }

  technicianReplied(at: number, by: string): Outcome | null {
    if (this.s.status === 'NEW') return this.changeStatus('ACKNOWLEDGED', at, by, 'technician replied');
    return null;
  }

  /** Marks every milestone reached by `now` as fired (once, ever) and says what to announce. */
  takeDueMilestones(now: number): DueMilestone[] {
    if (!this.s.policy || this.s.status === 'CLOSED') return [];
    const due = pendingMilestones(this.s.sla, this.s.policy, this.s.priority).filter((m) => m.at <= now);
    return due.map((m) => {
      this.s.sla.fired.push(m.key);
      const type = m.kind === 'warning' ? 'warned' : m.kind === 'breach' ? 'breached' : 'escalated';
      // `at` is when the milestone was reached by the SLA clock; `detail` records when it fired.
      const entry = this.log({ at: m.at, type, clock: m.clock, fraction: m.fraction, level: m.level, detail: `fired at ${new Date(now).toISOString()}` });
      const event = m.kind === 'warning' ? 'sla.warning' : m.kind === 'breach' ? 'sla.breach' : `escalation.${m.level}`;
      return {
        milestone: m,
        entry,
        event,
        message: (input: TicketWorkflowInput) => {
          const what =
            m.kind === 'warning'
              ? `${Math.round(m.fraction * 100)}% of the ${CLOCK_LABEL[m.clock]} time used`
              : m.kind === 'breach'
                ? `${CLOCK_LABEL[m.clock]} SLA breached`
                : `escalation ${m.level}: ${CLOCK_LABEL[m.clock]} at ${Math.round(m.fraction * 100)}% of target`;
          return {
            title: `${ticketNumber(input.ticketId)} ${this.s.priority}: ${what}`,
            text: `${input.clientName}: ${input.subject} (${this.s.status}). ${what}.`,
            severity: m.kind === 'warning' ? 'warning' : 'critical',
            ticket: { id: input.ticketId, number: ticketNumber(input.ticketId), subject: input.subject },
          };
        },
      };
    });
  }

  autoCloseDue(now: number): Outcome | null {
    const at = this.autoCloseAt();
    if (at === null || now < at) return null;
    const outcome = this.changeStatus('CLOSED', now, 'system:auto-close', 'no client reply after resolution');
    outcome.entries.push(this.log({ at: now, type: 'auto-closed' }));
    return outcome;
  }

  canReopen(now: number): boolean {
    return this.s.status === 'CLOSED' && this.s.closedAt !== null && now < this.reopenUntil();
  }

  finished(now: number): boolean {
    return this.s.status === 'CLOSED' && !this.canReopen(now);
  }

  nextWakeAt(): number | null {
    const candidates: number[] = [];
    if (this.s.policy && this.s.status !== 'CLOSED') {
      const next = pendingMilestones(this.s.sla, this.s.policy, this.s.priority)[0];
      if (next) candidates.push(next.at);
    }
    const autoClose = this.autoCloseAt();
    if (autoClose !== null) candidates.push(autoClose);
    if (this.s.status === 'CLOSED') candidates.push(this.reopenUntil());
    return candidates.length ? Math.min(...candidates) : null;
  }

  // -------------------------------------------------------------- views

  view(now: number): TicketView {
    const policy = this.s.policy;
    const next = policy && this.s.status !== 'CLOSED' ? pendingMilestones(this.s.sla, policy, this.s.priority)[0] : undefined;
    return {
      ticketId: this.s.ticketId,
      status: this.s.status,
      priority: this.s.priority,
      assigneeId: this.s.assigneeId,
      sla: {
        status: slaStatus(this.s.sla, policy, this.s.priority, this.s.resolvedAt !== null || this.s.status === 'CLOSED'),
        policy: policy?.name ?? null,
        paused: isPaused(this.s.sla),
        firstResponse: this.clockView('firstResponse', now),
        resolution: this.clockView('resolution', now),
        nextMilestone: next ? { key: next.key, at: next.at } : null,
      },
    };
  }

  /** One paragraph for the Temporal UI's current details: where the ticket stands and what it waits for. */
  describe(now: number): string {
    const v = this.view(now);
    const lines = [`${ticketNumber(this.s.ticketId)} · ${v.status} · ${v.priority} · SLA ${v.sla.status}${v.sla.policy ? ` (${v.sla.policy})` : ''}`];
    if (v.sla.firstResponse && !v.sla.firstResponse.met) lines.push(`First response due ${iso(v.sla.firstResponse.deadlineAt)} (${v.sla.firstResponse.remainingMinutes} business min left)`);
    if (v.sla.resolution) {
      lines.push(
        v.sla.paused
          ? `Resolution clock paused (${this.s.sla.pauses[this.s.sla.pauses.length - 1]?.reason}); ${v.sla.resolution.remainingMinutes} business min left`
          : `Resolution due ${iso(v.sla.resolution.deadlineAt)} (${v.sla.resolution.remainingMinutes} business min left)`,
      );
    }
    const waits: string[] = [];
    if (v.sla.nextMilestone) waits.push(`next milestone ${v.sla.nextMilestone.key} at ${iso(v.sla.nextMilestone.at)}`);
    const autoClose = this.autoCloseAt();
    if (autoClose !== null) waits.push(`auto-close at ${iso(autoClose)} unless the client replies`);
    if (this.s.status === 'CLOSED') waits.push(`reopen possible until ${iso(this.reopenUntil())}`);
    if (this.s.status === 'WAITING_ON_CLIENT') waits.push('a reply from the client');
    lines.push(`Waiting for: ${waits.length ? waits.join('; ') : 'a technician'}`);
    return lines.join('\n');
  }

  // -------------------------------------------------------------- internals

  private clockView(name: 'firstResponse' | 'resolution', now: number): SlaClockView | null {
    const policy = this.s.policy;
    if (!policy || !policy.targets[this.s.priority]) return null;
    const targets = policy.targets[this.s.priority]!;
    const target = name === 'firstResponse' ? targets.firstResponseMinutes : targets.resolutionMinutes;
    if (name === 'firstResponse' && this.s.sla.firstResponseAt !== null) {
      const elapsed = clockWithoutStop(this.s, policy, 'firstResponse')!.businessMinutesElapsed(this.s.sla.firstResponseAt);
      return { targetMinutes: target, deadlineAt: null, elapsedMinutes: round(elapsed), remainingMinutes: round(target - elapsed), met: elapsed <= target };
    }
    const clock = clockFor(this.s.sla, policy, this.s.priority, name)!;
    const elapsed = clock.businessMinutesElapsed(now);
    const met = name === 'resolution' && this.s.resolvedAt !== null && elapsed <= target;
    return { targetMinutes: target, deadlineAt: clock.deadlineAt, elapsedMinutes: round(elapsed), remainingMinutes: round(target - elapsed), met };
  }

  private autoCloseAt(): number | null {
    if (this.s.status !== 'RESOLVED' || this.s.resolvedAt === null) return null;
    const calendar = this.s.policy?.calendar ?? alwaysOpenCalendar('UTC');
    return addBusinessDays(calendar, this.s.resolvedAt, this.s.policy?.autoCloseBusinessDays ?? FALLBACK_AUTO_CLOSE_DAYS);
  }

  private reopenUntil(): number {
    return (this.s.closedAt ?? 0) + (this.s.policy?.reopenWindowDays ?? FALLBACK_REOPEN_WINDOW_DAYS) * DAY_MS;
  }

  private deadlineSummary(now: number): string {
    const v = this.view(now);
    if (v.sla.status === 'none') return 'no SLA applies';
    const parts: string[] = [];
    if (v.sla.firstResponse && !v.sla.firstResponse.met) parts.push(`first response due ${iso(v.sla.firstResponse.deadlineAt)}`);
    if (v.sla.resolution) parts.push(`resolution due ${v.sla.resolution.deadlineAt === null ? '(paused)' : iso(v.sla.resolution.deadlineAt)}`);
    return parts.join(', ');
  }

  private log(entry: SlaTimelineEntry): SlaTimelineEntry {
    this.s.timeline.push(entry);
    return entry;
  }
}

/** The first-response clock as it ran, even after it stopped (for reporting how long it took). */
function clockWithoutStop(s: CarriedIncident, policy: SlaPolicySnapshot, name: 'firstResponse'): SlaClock | null {
  return clockFor({ ...s.sla, firstResponseAt: null }, policy, s.priority, name);
}

function iso(ms: number | null): string {
  return ms === null ? '(not scheduled while paused)' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function round(minutes: number): number {
  return Math.round(minutes * 10) / 10;
}

function structuredCloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
