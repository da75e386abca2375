import type { PrismaClient } from '../../lib/db/prisma';
import { NotFoundError } from '../../lib/errors';
import { monthPeriod, shiftMonth, type ReportPeriod } from '../../lib/reports/period';
import { percent } from '../../lib/reports/format';
import {
  REPORT_DATA_VERSION,
  type Audience,
  type ConsumptionSection,
  type PatchSection,
  type ReportData,
  type ScorecardItem,
  type SlaBreach,
  type SlaPriorityRow,
  type TicketSection,
} from '../../lib/reports/report-data';

/**
 * Contract consumption for a period (part A's summarizeConsumption, activities/billing/): only
 * rows recorded before asOf count. Optional so the report still renders (section "no data")
 * where billing is not wired.
 */
export type ConsumptionSource = (
  prisma: PrismaClient,
  clientId: string,
  periodStart: Date,
  periodEnd: Date,
  opts: { asOf: Date },
) => Promise<Omit<ConsumptionSection, 'available' | 'lastYear'> & { revenueCents: number }>;

/** MRR of a client for a period (fixed monthly fees), for the internal version. */
export type MrrSource = (prisma: PrismaClient, clientId: string, periodStart: Date, periodEnd: Date, asOf: Date) => Promise<number>;

export interface CollectDeps {
  prisma: PrismaClient;
  consumption?: ConsumptionSource;
  mrrCents?: MrrSource;
}

const iso = (ms: number | Date) => new Date(ms).toISOString();
const byNumber = (a: number, b: number) => a - b;

/**
 * Computes a report's numbers from the rows that existed at `asOf` (tickets created before it,
 * SLA events and rollout steps recorded before it, devices added before it), so computing the
 * same month with the same asOf later gives the same numbers even after new data arrived.
 * Every list is sorted: the JSON is byte-for-byte stable.
 */
export async function collectReportData(
  deps: CollectDeps,
  input: { clientId: string; month: string; audience: Audience; asOf: Date; previous?: ReportData | null },
): Promise<ReportData> {
  const client = await deps.prisma.client.findUnique({ where: { id: input.clientId } });
  if (!client) throw new NotFoundError(`Client ${input.clientId}`);
  const period = monthPeriod(input.month, client.timezone);
  const previousMonth = shiftMonth(input.month, -1);
  const previousPeriod = monthPeriod(previousMonth, client.timezone);
  const asOf = input.asOf.getTime();

  const [tickets, prevTickets, sla, patch, prevPatch, inventory, consumption] = await Promise.all([
    ticketSection(deps.prisma, client.id, period, asOf),
    ticketCounts(deps.prisma, client.id, previousPeriod, asOf),
    slaSection(deps.prisma, client.id, period, asOf),
    patchSection(deps.prisma, client.id, period, asOf),
    patchSection(deps.prisma, client.id, previousPeriod, asOf),
    inventoryScores(deps.prisma, client.id, period, asOf),
    consumptionSection(deps, client.id, input.month, client.timezone, asOf),
  ]);
  const prevSla = input.previous ? null : await slaSection(deps.prisma, client.id, previousPeriod, asOf);
  tickets.previous = prevTickets;

  const previousOf = (key: ScorecardItem['key'], recomputed: number | null) => {
    if (input.previous) return input.previous.scorecard.find((s) => s.key === key)?.value ?? null;
    return recomputed;
  };
  const scorecard: ScorecardItem[] = [
    { ...inventory.assets, previous: previousOf('assets', null) },
    { ...inventory.antivirus, previous: previousOf('antivirus', null) },
    {
      key: 'osUpdates',
      value: patch.percent,
      previous: previousOf('osUpdates', prevPatch.percent),
      basis: patch.devices,
      source: 'rollout evidence (RolloutStep): latest verify step per device before the end of the month',
      evidence: { devices: patch.upToDateIds },
    },
    { ...inventory.thirdParty, previous: previousOf('thirdPartyUpdates', null) },
    { ...inventory.availability, previous: previousOf('availability', null) },
    {
      key: 'tickets',
      value: sla.overall,
      previous: previousOf('tickets', prevSla?.overall ?? null),
      basis: sla.perPriority.reduce((n, r) => n + r.decided, 0),
      source: 'SLA compliance of the tickets opened in the month (TicketEvent sla.breached)',
      evidence: { tickets: sla.perPriority.flatMap((r) => r.ticketIds).sort(byNumber) },
    },
  ];

  const data: ReportData = {
    version: REPORT_DATA_VERSION,
    audience: input.audience,
    client: { id: client.id, code: client.code, name: client.name, timezone: client.timezone, locale: client.locale },
    month: input.month,
    previousMonth,
    period: { start: iso(period.start), end: iso(period.end) },
    asOf: iso(asOf),
    scorecard,
    sla,
    tickets,
    patch,
    consumption: consumption.section,
    index: { tickets: [], devices: [] },
  };
  if (input.audience === 'INTERNAL') {
    data.internal = {
      revenueCents: consumption.revenueCents,
      mrrCents: deps.mrrCents ? await deps.mrrCents(deps.prisma, client.id, new Date(period.start), new Date(period.end), new Date(asOf)) : 0,
      billedMinutes: consumption.section.billableMinutes,
    };
  }
  data.index = await evidenceIndex(deps.prisma, client.id, data);
  return data;
}

/** Subjects and hostnames of every ticket and device the report cites. */
async function evidenceIndex(prisma: PrismaClient, clientId: string, data: ReportData): Promise<ReportData['index']> {
  const ticketIds = new Set<number>([...data.tickets.openedIds, ...data.tickets.closedIds, ...data.sla.breaches.map((b) => b.ticketId)]);
  for (const c of [data.consumption.byCategory, data.consumption.byRequester, data.consumption.bySubsidiary, data.consumption.byDomain]) {
    for (const r of c) r.ticketIds.forEach((id) => ticketIds.add(id));
  }
  const deviceIds = new Set<string>([...data.patch.deviceIds, ...data.scorecard.flatMap((s) => s.evidence.devices ?? [])]);
  const [tickets, devices] = await Promise.all([
    ticketIds.size ? prisma.ticket.findMany({ where: { clientId, id: { in: [...ticketIds] } }, select: { id: true, subject: true }, orderBy: { id: 'asc' } }) : [],
    deviceIds.size ? prisma.device.findMany({ where: { clientId, id: { in: [...deviceIds] } }, select: { id: true, hostname: true }, orderBy: { hostname: 'asc' } }) : [],
  ]);
  return { tickets, devices: [...devices].sort((a, b) => a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id)) };
}

async function ticketSection(prisma: PrismaClient, clientId: string, period: ReportPeriod, asOf: number): Promise<TicketSection> {
  const createdBefore = new Date(Math.min(period.end, asOf));
  const opened = await prisma.ticket.findMany({
    where: { clientId, createdAt: { gte: new Date(period.start), lt: createdBefore } },
    select: { id: true, kind: true, category: true },
    orderBy: { id: 'asc' },
  });
  const closed = await prisma.ticket.findMany({
    where: { clientId, createdAt: { lt: new Date(asOf) }, closedAt: { gte: new Date(period.start), lt: createdBefore } },
    select: { id: true },
    orderBy: { id: 'asc' },
  });
  const categories = new Map<string, number[]>();
  for (const t of opened) {
    const key = t.category?.trim() || '-';
    categories.set(key, [...(categories.get(key) ?? []), t.id]);
  }
  const incidentIds = opened.filter((t) => t.kind === 'INCIDENT').map((t) => t.id);
  const requestIds = opened.filter((t) => t.kind === 'REQUEST').map((t) => t.id);
  return {
    opened: opened.length,
    closed: closed.length,
    openedIds: opened.map((t) => t.id),
    closedIds: closed.map((t) => t.id),
    incidents: incidentIds.length,
    requests: requestIds.length,
    incidentIds,
    requestIds,
    byCategory: [...categories.entries()]
      .map(([key, ids]) => ({ key, count: ids.length, ticketIds: ids }))
      .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key)),
    previous: { opened: 0, closed: 0 },
  };
}

async function ticketCounts(prisma: PrismaClient, clientId: string, period: ReportPeriod, asOf: number) {
  const before = new Date(Math.min(period.end, asOf));
  const [opened, closed] = await Promise.all([
    prisma.ticket.count({ where: { clientId, createdAt: { gte: new Date(period.start), lt: before } } }),
    prisma.ticket.count({ where: { clientId, createdAt: { lt: new Date(asOf) }, closedAt: { gte: new Date(period.start), lt: before } } }),
  ]);
  return { opened, closed };
}

const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;

async function slaSection(prisma: PrismaClient, clientId: string, period: ReportPeriod, asOf: number) {
  const tickets = await prisma.ticket.findMany({
    where: { clientId, createdAt: { gte: new Date(period.start), lt: new Date(Math.min(period.end, asOf)) } },
    select: { id: true, subject: true, priority: true, resolvedAt: true, closedAt: true },
    orderBy: { id: 'asc' },
  });
  const ids = tickets.map((t) => t.id);
  const events = ids.length
    ? await prisma.ticketEvent.findMany({
        where: { ticketId: { in: ids }, type: { startsWith: 'sla.' }, at: { lt: new Date(asOf) } },
        select: { id: true, ticketId: true, type: true, at: true, data: true },
        orderBy: [{ at: 'asc' }, { id: 'asc' }],
      })
    : [];
  const breachedAt = new Map<number, { at: Date; clock: string | null }>();
  for (const e of events) {
    if (e.type === 'sla.breached' && !breachedAt.has(e.ticketId)) {
      const clock = (e.data as { clock?: unknown } | null)?.clock;
      breachedAt.set(e.ticketId, { at: e.at, clock: typeof clock === 'string' ? clock : null });
    }
  }
  const perPriority: SlaPriorityRow[] = PRIORITIES.map((priority) => {
    const rows = tickets.filter((t) => t.priority === priority);
    const breached = rows.filter((t) => breachedAt.has(t.id));
    const resolved = rows.filter((t) => !breachedAt.has(t.id) && (t.resolvedAt ?? t.closedAt) && (t.resolvedAt ?? t.closedAt)!.getTime() < asOf);
    const decided = breached.length + resolved.length;
    return {
      priority,
      tickets: rows.length,
      decided,
      met: resolved.length,
      breached: breached.length,
      open: rows.length - decided,
      compliance: percent(resolved.length, decided),
      ticketIds: rows.map((t) => t.id),
      breachedTicketIds: breached.map((t) => t.id),
    };
  });
  const breaches: SlaBreach[] = tickets
    .filter((t) => breachedAt.has(t.id))
    .map((t) => ({
      ticketId: t.id,
      subject: t.subject,
      priority: t.priority,
      clock: breachedAt.get(t.id)!.clock,
      breachedAt: iso(breachedAt.get(t.id)!.at),
      timeline: events
        .filter((e) => e.ticketId === t.id)
        .map((e) => ({ eventId: e.id, at: iso(e.at), type: e.type.slice(4), detail: describeEvent(e.data) })),
    }));
  const decided = perPriority.reduce((n, r) => n + r.decided, 0);
  const met = perPriority.reduce((n, r) => n + r.met, 0);
  return { overall: percent(met, decided), perPriority, breaches };
}

function describeEvent(data: unknown): string | null {
  if (!data || typeof data !== 'object') return null;
  const d = data as Record<string, unknown>;
  const parts = [d.clock, d.level, d.fraction !== undefined ? `${Math.round(Number(d.fraction) * 100)}%` : undefined, d.reason, d.detail]
    .filter((v) => v !== undefined && v !== null && v !== '')
    .map((v) => String(v).slice(0, 120));
  return parts.length ? parts.join(' · ') : null;
}

async function activeDevices(prisma: PrismaClient, clientId: string, period: ReportPeriod, asOf: number) {
  const cutoff = new Date(Math.min(period.end, asOf));
  return prisma.device.findMany({
    where: { clientId, createdAt: { lt: cutoff }, OR: [{ removedAt: null }, { removedAt: { gte: cutoff } }] },
    select: { id: true, hostname: true, inventory: true },
    orderBy: { id: 'asc' },
  });
}

async function patchSection(prisma: PrismaClient, clientId: string, period: ReportPeriod, asOf: number): Promise<PatchSection> {
  const devices = await activeDevices(prisma, clientId, period, asOf);
  const cutoff = new Date(Math.min(period.end, asOf));
  const steps = devices.length
    ? await prisma.rolloutStep.findMany({
        where: { deviceId: { in: devices.map((d) => d.id) }, finishedAt: { lt: cutoff }, status: { in: ['DONE', 'FAILED'] } },
        select: { deviceId: true, rolloutId: true, step: true, status: true, error: true, finishedAt: true },
        orderBy: [{ finishedAt: 'asc' }, { id: 'asc' }],
      })
    : [];
  const latest = new Map<string, (typeof steps)[number]>();
  for (const s of steps) latest.set(s.deviceId, s); // ordered by finishedAt: the last one wins
  const upToDateIds = devices.filter((d) => latest.get(d.id)?.step === 'verify' && latest.get(d.id)?.status === 'DONE').map((d) => d.id);
  const hostnames = new Map(devices.map((d) => [d.id, d.hostname]));
  const failures = [...latest.values()]
    .filter((s) => s.status === 'FAILED' && s.finishedAt!.getTime() >= period.start)
    .map((s) => ({ deviceId: s.deviceId, hostname: hostnames.get(s.deviceId) ?? s.deviceId, rolloutId: s.rolloutId, step: s.step, reason: (s.error ?? '').slice(0, 300), at: iso(s.finishedAt!) }))
    .sort((a, b) => a.hostname.localeCompare(b.hostname) || a.deviceId.localeCompare(b.deviceId));
  return {
    devices: devices.length,
    upToDate: upToDateIds.length,
    percent: percent(upToDateIds.length, devices.length),
    deviceIds: devices.map((d) => d.id),
    upToDateIds,
    failures,
  };
}

/**
 * Scorecard items whose source is the device inventory the RMM sync writes (Device.inventory):
 * - assets: `hardware` reported (the device is inventoried: vendor/model/serial known);
 * - antivirus: `security.antivirus` = "ok" | "outdated" | "missing";
 * - third-party updates: `security.thirdPartyPending` = number of pending updates (0 = up to date);
 * - availability: `availability` = [{ month: "YYYY-MM", percent }].
 * No adapter reports security or availability yet: those items show "no data" until one does.
 */
async function inventoryScores(prisma: PrismaClient, clientId: string, period: ReportPeriod, asOf: number) {
  const devices = await activeDevices(prisma, clientId, period, asOf);
  const inv = devices.map((d) => ({ id: d.id, inv: (d.inventory ?? {}) as Record<string, any> }));
  const inventoried = inv.filter((d) => d.inv.hardware && typeof d.inv.hardware === 'object');
  const av = inv.filter((d) => typeof d.inv.security?.antivirus === 'string');
  const avOk = av.filter((d) => d.inv.security.antivirus === 'ok');
  const tp = inv.filter((d) => typeof d.inv.security?.thirdPartyPending === 'number');
  const tpOk = tp.filter((d) => d.inv.security.thirdPartyPending === 0);
  const avail = inv
    .map((d) => ({ id: d.id, v: Array.isArray(d.inv.availability) ? d.inv.availability.find((a: any) => a?.month === period.month)?.percent : undefined }))
    .filter((d): d is { id: string; v: number } => typeof d.v === 'number' && d.v >= 0 && d.v <= 100);
  const mean = avail.length ? Math.round((avail.reduce((n, d) => n + d.v, 0) / avail.length) * 10) / 10 : null;
  const item = (key: ScorecardItem['key'], value: number | null, basis: number, source: string, ids: string[]): Omit<ScorecardItem, 'previous'> => ({
    key,
    value,
    basis,
    source,
    evidence: { devices: ids },
  });
  return {
    assets: item('assets', percent(inventoried.length, devices.length), devices.length, 'Device.inventory.hardware (RMM device sync)', inventoried.map((d) => d.id)),
    antivirus: item('antivirus', percent(avOk.length, av.length), av.length, 'Device.inventory.security.antivirus (RMM device sync)', avOk.map((d) => d.id)),
    thirdParty: item('thirdPartyUpdates', percent(tpOk.length, tp.length), tp.length, 'Device.inventory.security.thirdPartyPending (RMM device sync)', tpOk.map((d) => d.id)),
    availability: item('availability', mean, avail.length, 'Device.inventory.availability[month] (RMM device sync)', avail.map((d) => d.id)),
  };
}

async function consumptionSection(deps: CollectDeps, clientId: string, month: string, timezone: string, asOf: number) {
  const empty: ConsumptionSection = {
    available: false,
    contracts: [],
    byCategory: [],
    byRequester: [],
    bySubsidiary: [],
    byDomain: [],
    billableMinutes: 0,
    nonBillableMinutes: 0,
    outOfScopeMinutes: 0,
    lastYear: null,
  };
  if (!deps.consumption) return { section: empty, revenueCents: 0 };
  const period = monthPeriod(month, timezone);
  const s = await deps.consumption(deps.prisma, clientId, new Date(period.start), new Date(period.end), { asOf: new Date(asOf) });
  const lastYearMonth = shiftMonth(month, -12);
  const ly = monthPeriod(lastYearMonth, timezone);
  const last = await deps.consumption(deps.prisma, clientId, new Date(ly.start), new Date(ly.end), { asOf: new Date(asOf) });
  const lastMinutes = last.billableMinutes + last.nonBillableMinutes;
  const section: ConsumptionSection = {
    available: true,
    contracts: s.contracts.map((c) => ({ ...c, weekly: c.weekly.map((w) => ({ ...w })) })),
    byCategory: s.byCategory.map((r) => ({ key: r.key, minutes: r.minutes, ticketIds: [...r.ticketIds].sort(byNumber) })),
    byRequester: s.byRequester.map((r) => ({ key: r.key, minutes: r.minutes, ticketIds: [...r.ticketIds].sort(byNumber) })),
    bySubsidiary: s.bySubsidiary.map((r) => ({ key: r.key, minutes: r.minutes, ticketIds: [...r.ticketIds].sort(byNumber) })),
    byDomain: s.byDomain.map((r) => ({ key: r.key, minutes: r.minutes, ticketIds: [...r.ticketIds].sort(byNumber) })),
    billableMinutes: s.billableMinutes,
    nonBillableMinutes: s.nonBillableMinutes,
    outOfScopeMinutes: s.outOfScopeMinutes,
    lastYear: lastMinutes > 0 ? { month: lastYearMonth, consumedMinutes: lastMinutes } : null,
  };
  return { section, revenueCents: s.revenueCents };
}
