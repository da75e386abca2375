import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { canAccessClient, type Actor } from '../../lib/access';
import { Prisma, type ContractType, type PrismaClient } from '../../lib/db/prisma';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { slaPolicyChangedSignal } from '../../workflows/definitions';
import { DEFAULT_ESCALATION, DEFAULT_WARN_AT, type EscalationLevel, type Priority } from '../../workflows/incident/sla-tracker';
import {
  DEFAULT_HORIZON_DAYS,
  SlaHorizonError,
  WEEKDAYS,
  alwaysOpenCalendar,
  assertValidCalendar,
  createSlaClock,
  parseIcsHolidays,
  type BusinessCalendar,
  type OpenInterval,
  type Weekday,
} from '../../workflows/sla';
import type { EscalationSettings } from './sla-policy-service';

/**
 * SLA setup as business actions: business-hours calendars (with iCal holiday import), SLA
 * policies and client contracts. Written once; the API calls these with the caller's Actor.
 *
 * Who may touch what:
 * - a calendar belongs to its client, or is MSP-wide (clientId null);
 * - a policy belongs to whoever owns its calendar (a policy on an MSP-wide calendar is MSP-wide
 *   and any client's contract may use it; one on a client's calendar serves that client only);
 * - a contract always belongs to a client.
 * A user restricted to some clients sees and changes only those clients' objects; another
 * client's object answers 404, the same as one that does not exist. MSP-wide objects can be
 * read by every role allowed here (an onboarding manager picks a standard policy for a contract)
 * but created and changed only by an administrator (403 otherwise).
 *
 * A change that moves running tickets' deadlines (a calendar's hours or holidays, a policy's
 * targets or escalation, a new contract) is committed first and then signalled to the running
 * ticket workflows of the clients it affects (`slaPolicyChangedSignal`); each workflow reloads
 * its policy and recomputes its deadlines, keeping elapsed time, pauses and fired milestones.
 */

export interface SlaAdminDeps {
  prisma: PrismaClient;
  temporal: { client: Client };
  log: Logger;
}

/** What a signalled change reached: workflows signalled, and signals that failed (logged). */
export interface SignalResult {
  signalled: number;
  /** Signals Temporal refused or could not take (it was unreachable): those tickets keep their old deadlines until the next change. */
  signalFailed: number;
}

const SIGNAL_CONCURRENCY = 20;
/** Business minutes in a year: no target can sensibly exceed it (and the clock looks at most a year ahead). */
export const MAX_TARGET_MINUTES = 525_600;
const PRIORITIES: readonly Priority[] = ['P1', 'P2', 'P3', 'P4'];
const LEVELS: readonly EscalationLevel['level'][] = ['L1', 'L2', 'L3'];

function isAdmin(actor: Actor): boolean {
  return actor.kind === 'system' || actor.role === 'ADMIN';
}

function assertMayChange(actor: Actor, clientId: string | null, what: string): void {
  if (clientId === null && !isAdmin(actor)) throw new ForbiddenError(`Only an administrator can create or change MSP-wide ${what}`);
}

async function assertClientVisible(deps: Pick<SlaAdminDeps, 'prisma'>, actor: Actor, clientId: string): Promise<void> {
  const client = await deps.prisma.client.findUnique({ where: { id: clientId }, select: { id: true } });
  // Same answer for "absent" and "not yours", so client ids do not leak across tenants.
  if (!client || !canAccessClient(actor, clientId)) throw new NotFoundError(`Client ${clientId}`);
}

const visibleTo = (actor: Actor, clientId: string | null) => clientId === null || canAccessClient(actor, clientId);

/** The row if the caller may see it (MSP-wide, or one of its clients'); else 404, as if it did not exist. */
function visibleOrNotFound<Row>(actor: Actor, row: Row | null, ownerOf: (row: Row) => string | null, what: string): Row {
  if (!row || !visibleTo(actor, ownerOf(row))) throw new NotFoundError(what);
  return row;
}

type OwnedBy = { OR: [{ clientId: string }, { clientId: null }] };
const oldestFirst = [{ createdAt: 'asc' as const }, { id: 'asc' as const }];

/**
 * The objects the caller can see, oldest first; with a clientId (which must be visible), only
 * that client's own and the MSP-wide ones: `query` applies `ownedBy` where its model keeps the owner.
 */
async function listVisible<Row>(
  deps: Pick<SlaAdminDeps, 'prisma'>,
  actor: Actor,
  clientId: string | undefined,
  query: (ownedBy: OwnedBy | undefined) => Promise<Row[]>,
  ownerOf: (row: Row) => string | null,
): Promise<Row[]> {
  if (clientId) await assertClientVisible(deps, actor, clientId);
  const rows = await query(clientId ? { OR: [{ clientId }, { clientId: null }] } : undefined);
  return rows.filter((r) => visibleTo(actor, ownerOf(r)));
}

function dateOnly(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** A real YYYY-MM-DD date as the UTC midnight Prisma stores in a DATE column, or null. */
function parseDate(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return dateOnly(date) === value ? date : null;
}

// ================================================================== signalling running tickets

/**
 * Tells the running ticket workflows of these clients (open tickets: not CLOSED, with a
 * workflow) that their SLA policy or calendar changed. A workflow that does not exist (not
 * started yet: it loads the current policy when it starts; or already ended) is skipped.
 */
export async function signalSlaChange(deps: SlaAdminDeps, clientIds: Iterable<string>, reason: string): Promise<SignalResult> {
  const ids = [...new Set(clientIds)];
  if (ids.length === 0) return { signalled: 0, signalFailed: 0 };
  const tickets = await deps.prisma.ticket.findMany({
    where: { clientId: { in: ids }, status: { not: 'CLOSED' }, workflowId: { not: null } },
    select: { id: true, workflowId: true },
    orderBy: { id: 'asc' },
  });
  const result: SignalResult = { signalled: 0, signalFailed: 0 };
  for (let i = 0; i < tickets.length; i += SIGNAL_CONCURRENCY) {
    const batch = tickets.slice(i, i + SIGNAL_CONCURRENCY);
    const settled = await Promise.allSettled(
      batch.map((t) => deps.temporal.client.workflow.getHandle(t.workflowId!).signal(slaPolicyChangedSignal, { reason })),
    );
    settled.forEach((s, j) => {
      if (s.status === 'fulfilled') result.signalled++;
      else if (!(s.reason instanceof WorkflowNotFoundError)) {
        result.signalFailed++;
        deps.log.warn({ err: s.reason, ticketId: batch[j].id, reason }, 'could not signal an SLA change to a ticket workflow');
      }
    });
  }
  return result;
}

/** Signals the running tickets of every client whose active contract uses one of these policies. */
async function signalPolicyUsers(deps: SlaAdminDeps, where: Prisma.SlaPolicyWhereInput, reason: string): Promise<SignalResult> {
  const contracts = await deps.prisma.contract.findMany({
    where: { active: true, slaPolicy: { is: where } },
    select: { clientId: true },
    distinct: ['clientId'],
  });
  return signalSlaChange(deps, contracts.map((c) => c.clientId), reason);
}

/** A name with its surrounding blanks trimmed; 400 when nothing is left. */
function requiredName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new ValidationError('name must not be empty');
  return trimmed;
}

// ================================================================== calendars

export type WeeklyHours = Record<Weekday, Array<[string, string]>>;

export interface CalendarInput {
  clientId?: string | null;
  name: string;
  timezone: string;
  weekly: unknown;
  holidays?: string[];
}

export interface CalendarView {
  id: string;
  clientId: string | null;
  name: string;
  timezone: string;
  weekly: WeeklyHours;
  holidays: Array<{ date: string; name: string }>;
  createdAt: Date;
  updatedAt: Date;
}

const calendarInclude = { holidays: { orderBy: { date: 'asc' } } } satisfies Prisma.BusinessCalendarInclude;
type CalendarRow = Prisma.BusinessCalendarGetPayload<{ include: typeof calendarInclude }>;

function presentCalendar(row: CalendarRow): CalendarView {
  return {
    id: row.id,
    clientId: row.clientId,
    name: row.name,
    timezone: row.timezone,
    weekly: row.weeklyHours as unknown as WeeklyHours,
    holidays: row.holidays.map((h) => ({ date: dateOnly(h.date), name: h.name })),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The calendar in the clock's form (the one loadSlaPolicyForTicket builds). */
function clockCalendar(timezone: string, weekly: unknown, holidays: string[]): BusinessCalendar {
  return { timezone, weekly: weekly as BusinessCalendar['weekly'], holidays: [...new Set(holidays)].sort() };
}

/** Weekly hours as stored: every day, in order, intervals as plain pairs (after validation). */
function normalizeWeekly(weekly: BusinessCalendar['weekly']): WeeklyHours {
  return Object.fromEntries(WEEKDAYS.map((day) => [day, weekly[day].map((i: OpenInterval) => [i[0], i[1]])])) as WeeklyHours;
}

async function findCalendar(deps: Pick<SlaAdminDeps, 'prisma'>, actor: Actor, id: string): Promise<CalendarRow> {
  const row = await deps.prisma.businessCalendar.findUnique({ where: { id }, include: calendarInclude });
  return visibleOrNotFound(actor, row, (r) => r.clientId, `Calendar ${id}`);
}

export async function createCalendar(deps: Pick<SlaAdminDeps, 'prisma'>, actor: Actor, input: CalendarInput): Promise<CalendarView> {
  const clientId = input.clientId ?? null;
  const name = requiredName(input.name);
  assertMayChange(actor, clientId, 'calendars');
  if (clientId) await assertClientVisible(deps, actor, clientId);
  const calendar = { timezone: input.timezone, weekly: input.weekly, holidays: input.holidays ?? [] };
  assertValidCalendar(calendar); // 400 listing every problem
  const row = await deps.prisma.businessCalendar.create({
    data: {
      clientId,
      name,
      timezone: calendar.timezone,
      weeklyHours: normalizeWeekly(calendar.weekly) as unknown as Prisma.InputJsonValue,
      holidays: { create: [...new Set(calendar.holidays)].map((date) => ({ date: parseDate(date)!, name: 'Holiday' })) },
    },
    include: calendarInclude,
  });
  return presentCalendar(row);
}

export async function getCalendar(deps: Pick<SlaAdminDeps, 'prisma'>, actor: Actor, id: string): Promise<CalendarView> {
  return presentCalendar(await findCalendar(deps, actor, id));
}

/** Calendars the caller can see: MSP-wide ones and those of its clients. */
export async function listCalendars(deps: Pick<SlaAdminDeps, 'prisma'>, actor: Actor, filter: { clientId?: string } = {}): Promise<CalendarView[]> {
  const rows = await listVisible(
    deps,
    actor,
    filter.clientId,
    (ownedBy) => deps.prisma.businessCalendar.findMany({ where: ownedBy ?? {}, include: calendarInclude, orderBy: oldestFirst }),
    (r) => r.clientId,
  );
  return rows.map(presentCalendar);
}

/** Replaces the weekly hours; running tickets of the clients whose contracts use the calendar are recomputed. */
export async function updateCalendarWeekly(
  deps: SlaAdminDeps,
  actor: Actor,
  id: string,
  weekly: unknown,
): Promise<{ calendar: CalendarView } & SignalResult> {
  const row = await findCalendar(deps, actor, id);
  assertMayChange(actor, row.clientId, 'calendars');
  const calendar = clockCalendar(row.timezone, weekly, row.holidays.map((h) => dateOnly(h.date)));
  assertValidCalendar(calendar);
  await assertPoliciesStillReachable(deps, id, calendar);
  const updated = await deps.prisma.businessCalendar.update({
    where: { id },
    data: { weeklyHours: normalizeWeekly(calendar.weekly) as unknown as Prisma.InputJsonValue },
    include: calendarInclude,
  });
  const signals = await signalPolicyUsers(deps, { calendarId: id }, `calendar "${row.name}": weekly hours changed`);
  return { calendar: presentCalendar(updated), ...signals };
}

export interface IcalImportInput {
  ics: string;
  fromYear: number;
  toYear: number;
  /** 'error' (default): an event the parser cannot expand exactly refuses the whole file. 'skip': it is left out and listed. */
  unsupported?: 'error' | 'skip';
}

export interface IcalImportResult extends SignalResult {
  added: Array<{ date: string; name: string }>;
  /** Dates the calendar already closes on: left as they are. */
  skipped: Array<{ date: string; name: string; reason: string }>;
  /** Events of the file left out with unsupported: 'skip', and why. */
  ignoredEvents: Array<{ event: string; reason: string }>;
  calendar: CalendarView;
}

/** Imports holidays from an iCalendar file; dates the calendar already has are kept (upsert by date). */
export async function importIcalHolidays(deps: SlaAdminDeps, actor: Actor, id: string, input: IcalImportInput): Promise<IcalImportResult> {
  const row = await findCalendar(deps, actor, id);
  assertMayChange(actor, row.clientId, 'calendars');
  // A UTC date-time event falls on its local date in the calendar's own zone.
  const parsed = parseIcsHolidays(input.ics, {
    fromYear: input.fromYear,
    toYear: input.toYear,
    timezone: row.timezone,
    unsupported: input.unsupported ?? 'error',
  });
  const existing = new Map(row.holidays.map((h) => [dateOnly(h.date), h.name]));
  const fresh = parsed.holidays
    .filter((h) => !existing.has(h.date))
    .map((h) => ({ date: h.date, name: (h.names.filter(Boolean).join(' / ') || 'Holiday').slice(0, 200) }));
  const skipped = parsed.holidays
    .filter((h) => existing.has(h.date))
    .map((h) => ({ date: h.date, name: existing.get(h.date)!, reason: 'the calendar already closes on this date' }));

  if (fresh.length > 0) {
    const calendar = clockCalendar(row.timezone, row.weeklyHours, [...existing.keys(), ...fresh.map((h) => h.date)]);
    await assertPoliciesStillReachable(deps, id, calendar);
    // skipDuplicates: a concurrent import of the same dates cannot fail this one.
    await deps.prisma.holiday.createMany({
      data: fresh.map((h) => ({ calendarId: id, date: parseDate(h.date)!, name: h.name })),
      skipDuplicates: true,
    });
  }
  const signals =
    fresh.length > 0
      ? await signalPolicyUsers(deps, { calendarId: id }, `calendar "${row.name}": ${fresh.length} holidays imported`)
      : { signalled: 0, signalFailed: 0 };
  return {
    added: fresh,
    skipped,
    ignoredEvents: parsed.skipped,
    calendar: presentCalendar(await findCalendar(deps, actor, id)),
    ...signals,
  };
}

// ================================================================== SLA policies

export interface TargetInput {
  priority: Priority;
  firstResponseMinutes: number;
  resolutionMinutes: number;
  twentyFourSeven?: boolean;
}

export interface PolicyInput {
  name: string;
  calendarId: string;
  targets: TargetInput[];
  escalation?: EscalationSettings;
}

export interface PolicyView {
  id: string;
  name: string;
  calendarId: string;
  /** The owner of the policy's calendar; null: an MSP-wide policy any client's contract may use. */
  clientId: string | null;
  calendar: { id: string; name: string; timezone: string };
  targets: Array<Required<TargetInput>>;
  escalation: EscalationSettings;
  createdAt: Date;
  updatedAt: Date;
}

const policyInclude = {
  targets: true,
  calendar: { include: calendarInclude },
} satisfies Prisma.SlaPolicyInclude;
type PolicyRow = Prisma.SlaPolicyGetPayload<{ include: typeof policyInclude }>;

function presentPolicy(row: PolicyRow): PolicyView {
  return {
    id: row.id,
    name: row.name,
    calendarId: row.calendarId,
    clientId: row.calendar.clientId,
    calendar: { id: row.calendar.id, name: row.calendar.name, timezone: row.calendar.timezone },
    targets: [...row.targets].sort((a, b) => PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority)).map(targetFields),
    escalation: (row.escalation ?? {}) as EscalationSettings,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const isPositiveInt = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;
const isFraction = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

function ascendingProblems(where: string, values: number[]): string[] {
  const problems: string[] = [];
  values.forEach((v, i) => {
    if (!isFraction(v)) problems.push(`${where}[${i}]: ${JSON.stringify(v)} is not a fraction > 0`);
    else if (i > 0 && isFraction(values[i - 1]) && v <= values[i - 1]) {
      problems.push(`${where}[${i}]: ${v} must be greater than the previous ${values[i - 1]} (strictly ascending)`);
    }
  });
  return problems;
}

/** Every problem with a policy's targets and escalation settings, each naming where it is; [] when valid. */
export function validatePolicyRules(targets: readonly TargetInput[], escalation: EscalationSettings | undefined): string[] {
  const problems: string[] = [];
  if (!Array.isArray(targets) || targets.length === 0) problems.push('targets: at least one priority needs a target');
  const seen = new Set<string>();
  (targets ?? []).forEach((t, i) => {
    const where = `targets[${i}]`;
    if (!PRIORITIES.includes(t.priority)) problems.push(`${where}.priority: ${JSON.stringify(t.priority)} is not one of ${PRIORITIES.join(', ')}`);
    else if (seen.has(t.priority)) problems.push(`${where}.priority: ${t.priority} appears more than once; one target per priority`);
    seen.add(t.priority);
    for (const key of ['firstResponseMinutes', 'resolutionMinutes'] as const) {
      const v = t[key];
      if (!isPositiveInt(v)) problems.push(`${where}.${key}: ${JSON.stringify(v)} is not a positive whole number of minutes`);
      else if (v > MAX_TARGET_MINUTES) problems.push(`${where}.${key}: ${v} exceeds ${MAX_TARGET_MINUTES} minutes (a year)`);
    }
    if (isPositiveInt(t.firstResponseMinutes) && isPositiveInt(t.resolutionMinutes) && t.firstResponseMinutes > t.resolutionMinutes) {
      problems.push(`${where}: the first response (${t.firstResponseMinutes} min) cannot be due after the resolution (${t.resolutionMinutes} min)`);
    }
  });

  const e = escalation ?? {};
  if (e.warnAt !== undefined) {
    if (!Array.isArray(e.warnAt)) problems.push('escalation.warnAt: must be an array of fractions');
    else problems.push(...ascendingProblems('escalation.warnAt', e.warnAt));
  }
  if (e.levels !== undefined) {
    if (!Array.isArray(e.levels)) problems.push('escalation.levels: must be an array of { level, atFraction }');
    else {
      const levelsSeen = new Set<string>();
      e.levels.forEach((l, i) => {
        if (!LEVELS.includes(l.level)) problems.push(`escalation.levels[${i}].level: ${JSON.stringify(l.level)} is not one of ${LEVELS.join(', ')}`);
        else if (levelsSeen.has(l.level)) problems.push(`escalation.levels[${i}].level: ${l.level} appears more than once`);
        levelsSeen.add(l.level);
      });
      problems.push(...ascendingProblems('escalation.levels[].atFraction', e.levels.map((l) => l.atFraction)));
      const order = e.levels.map((l) => LEVELS.indexOf(l.level));
      if (order.some((o, i) => i > 0 && o >= 0 && order[i - 1] >= 0 && o < order[i - 1])) {
        problems.push(`escalation.levels: list the levels in order (${LEVELS.join(', ')}), each at a higher fraction than the one before`);
      }
    }
  }
  if (e.autoCloseBusinessDays !== undefined && !(isPositiveInt(e.autoCloseBusinessDays) && e.autoCloseBusinessDays <= 365)) {
    problems.push(`escalation.autoCloseBusinessDays: ${JSON.stringify(e.autoCloseBusinessDays)} is not a whole number of days from 1 to 365`);
  }
  if (
    e.reopenWindowDays !== undefined &&
    !(typeof e.reopenWindowDays === 'number' && Number.isInteger(e.reopenWindowDays) && e.reopenWindowDays >= 0 && e.reopenWindowDays <= 365)
  ) {
    problems.push(`escalation.reopenWindowDays: ${JSON.stringify(e.reopenWindowDays)} is not a whole number of days from 0 to 365`);
  }
  return problems;
}

/**
 * Problems with targets the clock could not reach on this calendar: the workflow's clock looks
 * at most DEFAULT_HORIZON_DAYS ahead, so a target (times its last milestone fraction) that needs
 * more calendar time than that would make every ticket's workflow fail. Checked from `now`.
 */
export function reachabilityProblems(
  calendar: BusinessCalendar,
  targets: readonly TargetInput[],
  escalation: EscalationSettings,
  now: number,
): string[] {
  const fractions = [1, ...(escalation.warnAt ?? DEFAULT_WARN_AT), ...(escalation.levels ?? DEFAULT_ESCALATION).map((l) => l.atFraction)];
  const last = Math.max(...fractions.filter(isFraction));
  const problems: string[] = [];
  for (const t of targets) {
    const onCalendar = t.twentyFourSeven ? alwaysOpenCalendar(calendar.timezone) : calendar;
    for (const [clock, minutes] of [
      ['first response', t.firstResponseMinutes],
      ['resolution', t.resolutionMinutes],
    ] as const) {
      try {
        createSlaClock({ calendar: onCalendar, startAt: now, targetMinutes: minutes * last });
      } catch (err) {
        if (!(err instanceof SlaHorizonError)) throw err;
        problems.push(
          `${t.priority}: the ${clock} target of ${minutes} business minutes (its last milestone at ${last * 100} %) is not reached ` +
            `within ${DEFAULT_HORIZON_DAYS} days on this calendar; lower it, widen the hours or mark it twentyFourSeven`,
        );
      }
    }
  }
  return problems;
}

function assertValidPolicy(calendar: BusinessCalendar, targets: TargetInput[], escalation: EscalationSettings | undefined): void {
  const problems = validatePolicyRules(targets, escalation);
  if (problems.length === 0) problems.push(...reachabilityProblems(calendar, targets, escalation ?? {}, Date.now()));
  if (problems.length > 0) throw new ValidationError(`Invalid SLA policy: ${problems.join('; ')}`, { problems });
}

/** Every policy on this calendar must still be reachable with the calendar as it is about to become. */
async function assertPoliciesStillReachable(deps: Pick<SlaAdminDeps, 'prisma'>, calendarId: string, calendar: BusinessCalendar): Promise<void> {
  const policies = await deps.prisma.slaPolicy.findMany({ where: { calendarId }, include: { targets: true } });
  const now = Date.now();
  const problems = policies.flatMap((p) =>
    reachabilityProblems(calendar, p.targets, (p.escalation ?? {}) as EscalationSettings, now).map((x) => `policy "${p.name}": ${x}`),
  );
  if (problems.length > 0) throw new ValidationError(`This change would leave SLA targets unreachable: ${problems.join('; ')}`, { problems });
}

function calendarOf(row: CalendarRow): BusinessCalendar {
  return clockCalendar(row.timezone, row.weeklyHours, row.holidays.map((h) => dateOnly(h.date)));
}

/** Only the keys the policy loader reads, so stray input never lands in the stored JSON. */
function cleanEscalation(e: EscalationSettings | undefined): EscalationSettings {
  if (!e) return {};
  const out: EscalationSettings = {};
  if (e.warnAt !== undefined) out.warnAt = [...e.warnAt];
  if (e.levels !== undefined) out.levels = e.levels.map((l) => ({ level: l.level, atFraction: l.atFraction }));
  if (e.autoCloseBusinessDays !== undefined) out.autoCloseBusinessDays = e.autoCloseBusinessDays;
  if (e.reopenWindowDays !== undefined) out.reopenWindowDays = e.reopenWindowDays;
  return out;
}

/** Only a target's own fields (input or stored row), twentyFourSeven false unless set. */
function targetFields(t: TargetInput): Required<TargetInput> {
  return {
    priority: t.priority,
    firstResponseMinutes: t.firstResponseMinutes,
    resolutionMinutes: t.resolutionMinutes,
    twentyFourSeven: t.twentyFourSeven ?? false,
  };
}

async function findPolicy(deps: Pick<SlaAdminDeps, 'prisma'>, actor: Actor, id: string): Promise<PolicyRow> {
  const row = await deps.prisma.slaPolicy.findUnique({ where: { id }, include: policyInclude });
  return visibleOrNotFound(actor, row, (r) => r.calendar.clientId, `SLA policy ${id}`);
}

export async function createSlaPolicy(deps: Pick<SlaAdminDeps, 'prisma'>, actor: Actor, input: PolicyInput): Promise<PolicyView> {
  const name = requiredName(input.name);
  const calendar = await findCalendar(deps, actor, input.calendarId);
  assertMayChange(actor, calendar.clientId, 'SLA policies (on an MSP-wide calendar)');
  assertValidPolicy(calendarOf(calendar), input.targets, input.escalation);
  const row = await deps.prisma.slaPolicy.create({
    data: {
      name,
      calendarId: calendar.id,
      escalation: cleanEscalation(input.escalation) as Prisma.InputJsonValue,
      targets: { create: input.targets.map(targetFields) },
    },
    include: policyInclude,
  });
  return presentPolicy(row);
}

export async function getSlaPolicy(deps: Pick<SlaAdminDeps, 'prisma'>, actor: Actor, id: string): Promise<PolicyView> {
  return presentPolicy(await findPolicy(deps, actor, id));
}

/** Policies the caller can see; with clientId, those that client's contracts may use (its own and MSP-wide). */
export async function listSlaPolicies(deps: Pick<SlaAdminDeps, 'prisma'>, actor: Actor, filter: { clientId?: string } = {}): Promise<PolicyView[]> {
  const rows = await listVisible(
    deps,
    actor,
    filter.clientId,
    (ownedBy) => deps.prisma.slaPolicy.findMany({ where: ownedBy ? { calendar: ownedBy } : {}, include: policyInclude, orderBy: oldestFirst }),
    (r) => r.calendar.clientId,
  );
  return rows.map(presentPolicy);
}

/**
 * Replaces the policy's targets (and its escalation settings when given); running tickets of
 * every client whose active contract uses the policy are recomputed.
 */
export async function updateSlaPolicyTargets(
  deps: SlaAdminDeps,
  actor: Actor,
  id: string,
  input: { targets: TargetInput[]; escalation?: EscalationSettings },
): Promise<{ policy: PolicyView } & SignalResult> {
  const row = await findPolicy(deps, actor, id);
  assertMayChange(actor, row.calendar.clientId, 'SLA policies');
  const escalation = input.escalation ?? ((row.escalation ?? {}) as EscalationSettings);
  assertValidPolicy(calendarOf(row.calendar), input.targets, escalation);
  const updated = await deps.prisma.$transaction(async (tx) => {
    // The policy row first: its row lock makes concurrent replacements of the targets take turns
    // (otherwise two delete-then-insert passes could collide on the unique (policy, priority)).
    await tx.slaPolicy.update({ where: { id }, data: { escalation: cleanEscalation(escalation) as Prisma.InputJsonValue } });
    await tx.slaTarget.deleteMany({ where: { policyId: id } });
    await tx.slaTarget.createMany({ data: input.targets.map(targetFields).map((t) => ({ ...t, policyId: id })) });
    return tx.slaPolicy.findUniqueOrThrow({ where: { id }, include: policyInclude });
  });
  const signals = await signalPolicyUsers(deps, { id }, `SLA policy "${row.name}": targets changed`);
  return { policy: presentPolicy(updated), ...signals };
}

// ================================================================== contracts

export interface ContractInput {
  name: string;
  type: ContractType;
  slaPolicyId?: string | null;
  /** YYYY-MM-DD */
  startsOn: string;
  endsOn?: string | null;
  terms?: Record<string, unknown>;
}

export interface ContractView {
  id: string;
  clientId: string;
  name: string;
  type: ContractType;
  slaPolicyId: string | null;
  slaPolicy: { id: string; name: string } | null;
  startsOn: string;
  endsOn: string | null;
  terms: Record<string, unknown>;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const contractInclude = { slaPolicy: { select: { id: true, name: true } } } satisfies Prisma.ContractInclude;
type ContractRow = Prisma.ContractGetPayload<{ include: typeof contractInclude }>;

function presentContract(row: ContractRow): ContractView {
  return {
    id: row.id,
    clientId: row.clientId,
    name: row.name,
    type: row.type,
    slaPolicyId: row.slaPolicyId,
    slaPolicy: row.slaPolicy,
    startsOn: dateOnly(row.startsOn),
    endsOn: row.endsOn ? dateOnly(row.endsOn) : null,
    terms: (row.terms ?? {}) as Record<string, unknown>,
    active: row.active,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Creates a client's contract; when it carries an SLA policy, the client's running tickets are recomputed. */
export async function createContract(
  deps: SlaAdminDeps,
  actor: Actor,
  clientId: string,
  input: ContractInput,
): Promise<{ contract: ContractView } & SignalResult> {
  await assertClientVisible(deps, actor, clientId);
  const problems: string[] = [];
  const name = input.name.trim();
  if (!name) problems.push('name: must not be empty');
  const startsOn = parseDate(input.startsOn);
  if (!startsOn) problems.push(`startsOn: ${JSON.stringify(input.startsOn)} is not a real date YYYY-MM-DD`);
  const endsOn = input.endsOn ? parseDate(input.endsOn) : null;
  if (input.endsOn && !endsOn) problems.push(`endsOn: ${JSON.stringify(input.endsOn)} is not a real date YYYY-MM-DD`);
  if (startsOn && endsOn && endsOn < startsOn) problems.push(`endsOn: ${input.endsOn} is before startsOn ${input.startsOn}`);
  if (input.slaPolicyId) {
    const policy = await deps.prisma.slaPolicy.findUnique({ where: { id: input.slaPolicyId }, select: { calendar: { select: { clientId: true } } } });
    // A client's contract may use an MSP-wide policy or one of its own, never another client's.
    const owner = policy?.calendar.clientId;
    if (!policy || (owner !== null && owner !== clientId)) {
      problems.push(`slaPolicyId: ${input.slaPolicyId} is not an SLA policy of this client or an MSP-wide one`);
    }
  }
  if (problems.length > 0) throw new ValidationError(`Invalid contract: ${problems.join('; ')}`, { problems });
  const row = await deps.prisma.contract.create({
    data: {
      clientId,
      name,
      type: input.type,
      slaPolicyId: input.slaPolicyId ?? null,
      startsOn: startsOn!,
      endsOn,
      terms: (input.terms ?? {}) as Prisma.InputJsonValue,
    },
    include: contractInclude,
  });
  const signals = row.slaPolicyId
    ? await signalSlaChange(deps, [clientId], `contract "${row.name}" created`)
    : { signalled: 0, signalFailed: 0 };
  return { contract: presentContract(row), ...signals };
}

export async function listContracts(deps: Pick<SlaAdminDeps, 'prisma'>, actor: Actor, clientId: string): Promise<ContractView[]> {
  await assertClientVisible(deps, actor, clientId);
  const rows = await deps.prisma.contract.findMany({
    where: { clientId },
    include: contractInclude,
    orderBy: [{ startsOn: 'desc' }, { createdAt: 'desc' }],
  });
  return rows.map(presentContract);
}
