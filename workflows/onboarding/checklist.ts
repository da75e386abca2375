import type {
  ItemActionRequest,
  ItemDefinition,
  ItemEvent,
  ItemStatus,
  ItemView,
  OnboardingView,
  StepDefinition,
  TemplateDefinition,
} from './definitions';
import { permissionProblem, statusProblem } from './permissions';

export const DAY_MS = 86_400_000;

interface ItemState {
  status: ItemStatus;
  doneAt: number | null;
  doneBy: string | null;
  skipReason: string | null;
  evidenceKinds: string[];
  /** First moment its gates were open (due dates of gated items count from here). */
  readyAt: number | null;
  /** A reopened item gets a fresh due date no earlier than this. */
  dueFloor: number | null;
  reminded: boolean;
  escalated: boolean;
}

export type Refusal = { problem: string; kind: 'InvalidRequest' | 'GateClosed' | 'InvalidTransition' | 'Forbidden' };

export interface DueReminder {
  item: ItemDefinition;
  kind: 'reminder' | 'escalation';
  dueAt: number;
}

/**
 * The checklist of one onboarding as pure, deterministic state: gates, due dates (shifted when
 * a gate holds), who may do what, reminders and escalations, progress. The workflow only wires
 * it to Temporal.
 */
export class Checklist {
  readonly events: ItemEvent[] = [];
  private readonly items = new Map<string, ItemState>();
  private readonly defs = new Map<string, ItemDefinition>();
  private readonly stepOf = new Map<string, StepDefinition>();

  constructor(
    readonly template: TemplateDefinition,
    readonly startedAt: number,
  ) {
    for (const step of template.steps) {
      for (const item of step.items) {
        this.defs.set(item.key, item);
        this.stepOf.set(item.key, step);
        this.items.set(item.key, {
          status: 'OPEN',
          doneAt: null,
          doneBy: null,
          skipReason: null,
          evidenceKinds: [],
          readyAt: null,
          dueFloor: null,
          reminded: false,
          escalated: false,
        });
      }
    }
    this.refreshReadiness(startedAt);
  }

  item(key: string): ItemDefinition | undefined {
    return this.defs.get(key);
  }

  status(key: string): ItemStatus {
    return this.state(key).status;
  }

  allItems(): ItemDefinition[] {
    return [...this.defs.values()];
  }

  private state(key: string): ItemState {
    const s = this.items.get(key);
    if (!s) throw new Error(`unknown item ${key}`);
    return s;
  }

  private closed(key: string): boolean {
    return this.state(key).status !== 'OPEN';
  }

  /** Items that must be closed before this one is ready: its step's gate (required items of the gating steps) and its own `after`. */
  prerequisites(key: string): string[] {
    const step = this.stepOf.get(key)!;
    const gate = (step.after ?? []).flatMap((n) => this.template.steps.find((s) => s.number === n)?.items.filter((i) => i.required).map((i) => i.key) ?? []);
    return [...new Set([...gate, ...(this.defs.get(key)!.after ?? [])])];
  }

  /** Prerequisites still open, for error messages and "waiting for". */
  blockers(key: string): string[] {
    return this.prerequisites(key).filter((k) => !this.closed(k));
  }

  /** Moment the prerequisites were all closed (plus waitDays), or null while one is open. */
  private readyMoment(key: string): number | null {
    const pre = this.prerequisites(key);
    if (pre.some((k) => !this.closed(k))) return null;
    const last = pre.reduce((max, k) => Math.max(max, this.state(k).doneAt ?? this.startedAt), this.startedAt);
    return last + (this.defs.get(key)!.waitDays ?? 0) * DAY_MS;
  }

  isReady(key: string, now: number): boolean {
    const at = this.readyMoment(key);
    return at !== null && at <= now;
  }

  /** Records readiness for items whose gates opened (keeps the first moment: due dates count from it). */
  refreshReadiness(now: number): ItemEvent[] {
    const opened: ItemEvent[] = [];
    for (const key of this.defs.keys()) {
      const s = this.state(key);
      const at = this.readyMoment(key);
      if (s.readyAt === null && at !== null && at <= now) {
        s.readyAt = at;
        if (this.prerequisites(key).length > 0) opened.push(this.log({ at, itemKey: key, type: 'gate-opened', by: null }));
      }
    }
    return opened;
  }

  /** Planned days at which the prerequisites are due (the template's own schedule). */
  private plannedReadyDays(key: string): number {
    const pre = this.prerequisites(key);
    return pre.reduce((max, k) => Math.max(max, this.defs.get(k)!.dueDays), 0) + (this.defs.get(key)!.waitDays ?? 0);
  }

  /**
   * Due date: start + dueDays; for a gated item, no earlier than (moment its gate opened, or now
   * while the gate still holds) + the lead time the template planned between the gate and the
   * item. So a late gate shifts its step's due dates instead of making them overdue at once.
   */
  dueAt(key: string, now: number): number {
    const def = this.defs.get(key)!;
    const s = this.state(key);
    const planned = this.startedAt + def.dueDays * DAY_MS;
    const lead = Math.max(0, def.dueDays - this.plannedReadyDays(key)) * DAY_MS;
    const from = this.prerequisites(key).length === 0 && !def.waitDays ? null : (s.readyAt ?? Math.max(now, this.readyMoment(key) ?? now));
    const shifted = from === null ? planned : Math.max(planned, from + lead);
    return Math.max(shifted, s.dueFloor ?? 0);
  }

  /** Why this action is refused, or null. */
  refusal(req: ItemActionRequest, now: number): Refusal | null {
    const def = this.defs.get(req.itemKey);
    if (!def) return { problem: `no item "${req.itemKey}" in this checklist`, kind: 'InvalidRequest' };
    const perm = permissionProblem(req, def);
    if (perm) return { problem: perm, kind: 'Forbidden' };
    const st = statusProblem(req, def, this.state(def.key).status);
    if (st) return { problem: st, kind: 'InvalidTransition' };
    if (req.action === 'complete') {
      const gate = this.gateProblem(def.key, now);
      if (gate) return { problem: gate, kind: 'GateClosed' };
      const ev = this.evidenceProblem(def, req);
      if (ev) return { problem: ev, kind: 'InvalidRequest' };
    }
    return null;
  }

  gateProblem(key: string, now: number): string | null {
    if (this.isReady(key, now)) return null;
    const def = this.defs.get(key)!;
    const step = this.stepOf.get(key)!;
    const blockers = this.blockers(key);
    if (blockers.length === 0) return `"${def.title}" is not due to start yet`;
    const gatingSteps = (step.after ?? []).filter((n) =>
      this.template.steps.find((s) => s.number === n)!.items.some((i) => i.required && blockers.includes(i.key)),
    );
    const names = blockers.map((k) => `"${this.defs.get(k)!.title}"`).join(', ');
    const where = gatingSteps.length ? ` before step${gatingSteps.length > 1 ? 's' : ''} ${gatingSteps.join(' and ')} ${gatingSteps.length > 1 ? 'are' : 'is'} complete` : ' yet';
    return `"${def.title}" (step ${step.number}) cannot be completed${where}: still open: ${names}`;
  }

  private evidenceProblem(def: ItemDefinition, req: ItemActionRequest): string | null {
    const kinds = new Set([...this.state(def.key).evidenceKinds, ...(req.evidenceKinds ?? [])]);
    switch (def.evidence) {
      case 'none':
        return null;
      case 'field': {
        const missing = (def.fields ?? []).filter((f) => {
          const v = req.fields?.[f];
          return v === undefined || v === null || (typeof v === 'string' && !v.trim()) || (Array.isArray(v) && v.length === 0);
        });
        return missing.length ? `"${def.title}" needs these fields: ${missing.join(', ')}` : null;
      }
      default: {
        const wanted = def.evidence.toUpperCase();
        // A client's email reply (text and attachments) stands for a note or a file.
        if (kinds.has(wanted) || (kinds.has('EMAIL') && (wanted === 'NOTE' || wanted === 'FILE'))) return null;
        return `"${def.title}" needs evidence of type ${def.evidence}; attach it first`;
      }
    }
  }

  addEvidence(key: string, kind: string): void {
    const s = this.items.get(key);
    if (s && !s.evidenceKinds.includes(kind)) s.evidenceKinds.push(kind);
  }

  /** Applies an accepted action; returns the event to record. */
  apply(req: ItemActionRequest, now: number): ItemEvent {
    const s = this.state(req.itemKey);
    for (const k of req.evidenceKinds ?? []) this.addEvidence(req.itemKey, k);
    if (req.action === 'complete') {
      Object.assign(s, { status: 'DONE', doneAt: now, doneBy: req.by, skipReason: null });
    } else if (req.action === 'skip') {
      Object.assign(s, { status: 'SKIPPED', doneAt: now, doneBy: req.by, skipReason: req.reason!.trim() });
    } else {
      const lead = Math.max(DAY_MS, (this.defs.get(req.itemKey)!.dueDays - this.plannedReadyDays(req.itemKey)) * DAY_MS);
      Object.assign(s, { status: 'OPEN', doneAt: null, doneBy: null, skipReason: null, reminded: false, escalated: false, dueFloor: now + lead });
    }
    const type = req.action === 'complete' ? 'completed' : req.action === 'skip' ? 'skipped' : 'reopened';
    const event = this.log({ at: now, itemKey: req.itemKey, type, by: req.by, detail: req.reason });
    this.refreshReadiness(now);
    return event;
  }

  /** The workflow did an automated item. */
  automated(key: string, now: number, detail?: string): ItemEvent {
    Object.assign(this.state(key), { status: 'DONE', doneAt: now, doneBy: 'system:onboarding' });
    const event = this.log({ at: now, itemKey: key, type: 'automated', by: 'system:onboarding', detail });
    this.refreshReadiness(now);
    return event;
  }

  /** Automated items whose gates are open and that are not done. */
  automationsDue(now: number): ItemDefinition[] {
    return this.allItems().filter((d) => d.automation && this.status(d.key) === 'OPEN' && this.isReady(d.key, now));
  }

  /** Overdue reminders and escalations due now (each once per opening of the item). */
  takeDueReminders(now: number): DueReminder[] {
    const out: DueReminder[] = [];
    for (const def of this.allItems()) {
      const s = this.state(def.key);
      if (s.status !== 'OPEN' || !this.isReady(def.key, now) || !remindable(def)) continue;
      const due = this.dueAt(def.key, now);
      if (!s.reminded && now >= due) {
        s.reminded = true;
        out.push({ item: def, kind: 'reminder', dueAt: due });
        this.log({ at: now, itemKey: def.key, type: 'reminded', by: null, detail: def.owner });
      }
      if (!s.escalated && now >= due + this.template.escalateAfterDays * DAY_MS) {
        s.escalated = true;
        out.push({ item: def, kind: 'escalation', dueAt: due });
        this.log({ at: now, itemKey: def.key, type: 'escalated', by: null, detail: 'onboarding-manager' });
      }
    }
    return out;
  }

  /** When something next becomes due: a reminder, an escalation or a waiting item turning ready. */
  nextWakeAt(now: number): number | null {
    let next: number | null = null;
    const consider = (t: number) => {
      if (t > now && (next === null || t < next)) next = t;
    };
    for (const def of this.allItems()) {
      const s = this.state(def.key);
      if (s.status !== 'OPEN') continue;
      const readyAt = this.readyMoment(def.key);
      if (readyAt === null) continue;
      if (readyAt > now) {
        consider(readyAt);
        continue;
      }
      if (!remindable(def)) continue;
      const due = this.dueAt(def.key, now);
      if (!s.reminded) consider(due);
      if (!s.escalated) consider(due + this.template.escalateAfterDays * DAY_MS);
    }
    return next;
  }

  stepDone(n: number): boolean {
    const step = this.template.steps.find((s) => s.number === n);
    return !!step && step.items.every((i) => this.closed(i.key));
  }

  allClosed(): boolean {
    return this.allItems().every((d) => this.closed(d.key));
  }

  view(now: number, meta: { clientCode: string; clientId: string | null; phase: OnboardingView['phase'] }): OnboardingView {
    const items: ItemView[] = this.allItems().map((def) => {
      const s = this.state(def.key);
      return {
        key: def.key,
        step: this.stepOf.get(def.key)!.number,
        title: def.title,
        owner: def.owner,
        required: def.required,
        evidence: def.evidence,
        automation: def.automation ?? null,
        status: s.status,
        ready: this.isReady(def.key, now),
        dueAt: s.status === 'OPEN' ? this.dueAt(def.key, now) : null,
        doneAt: s.doneAt,
        doneBy: s.doneBy,
        skipReason: s.skipReason,
        reminded: s.reminded,
        escalated: s.escalated,
      };
    });
    const done = items.filter((i) => i.status !== 'OPEN').length;
    const openSteps = this.template.steps.filter((s) => s.items.some((i) => i.required && !this.closed(i.key))).map((s) => s.number);
    return {
      clientCode: meta.clientCode,
      phase: meta.phase,
      currentStep: openSteps.length ? Math.min(...openSteps) : null,
      done,
      total: items.length,
      percent: items.length ? Math.round((100 * done) / items.length) : 100,
      items,
      waitingFor: this.waitingFor(now),
      clientId: meta.clientId,
    };
  }

  /** What the onboarding waits for, in words (Temporal UI details and the API). */
  waitingFor(now: number): string[] {
    const out: string[] = [];
    for (const def of this.allItems()) {
      if (this.closed(def.key)) continue;
      if (this.isReady(def.key, now)) {
        const by = def.automation ? (def.automation === 'agents-installed' ? 'RMM agents to report in' : 'automation') : def.owner;
        out.push(`${def.title} (${by}, due ${new Date(this.dueAt(def.key, now)).toISOString().slice(0, 16).replace('T', ' ')} UTC)`);
      } else if (def.required || def.automation) {
        const readyAt = this.readyMoment(def.key);
        if (readyAt !== null) out.push(`${def.title} (starts ${new Date(readyAt).toISOString().slice(0, 10)})`);
      }
    }
    return out;
  }

  log(event: ItemEvent): ItemEvent {
    this.events.push(event);
    return event;
  }
}

/** People's items, and RMM agents (people install them): machine items are not "overdue", they run. */
function remindable(def: ItemDefinition): boolean {
  return !def.automation || def.automation === 'agents-installed';
}
