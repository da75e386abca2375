import type { ContractLedgerKind, PrismaClient } from '../../lib/db/prisma';
import { computeInvoiceLines, contractsOverlapping, totalOf } from './invoice-lines';
import { termsOrNull } from './ledger-service';

/**
 * A client's contract consumption for a period, for the monthly report (part B) and the API.
 * Computed from the ledger and the time entries only; with `asOf`, only rows and entries recorded
 * before that instant count (a correction recorded later does not change the answer), so the same
 * month re-computed later with the same asOf gives the same numbers.
 *
 * Minutes are the billed (rounded) minutes of the ledger where an entry was booked, else the raw
 * minutes. Weeks start on Monday (UTC) and are clipped to the period.
 */
export interface ConsumptionSummary {
  clientId: string;
  periodStart: string /* ISO date, inclusive */;
  periodEnd: string /* exclusive */;
  contracts: Array<{
    contractId: string;
    name: string;
    type: 'MONTHLY_FIXED' | 'BLOCK_HOURS' | 'TIME_AND_MATERIALS';
    plannedMinutes: number | null;
    consumedMinutesInPeriod: number;
    consumedMinutesToDate: number;
    remainingMinutes: number | null;
    weekly: Array<{ weekStart: string; minutes: number; averageLine: number | null }>;
  }>;
  byCategory: Array<{ key: string; minutes: number; timeEntryIds: string[]; ticketIds: number[] }>;
  byRequester: Array<{ key: string; minutes: number; ticketIds: number[] }>;
  bySubsidiary: Array<{ key: string; minutes: number; ticketIds: number[] }>;
  byDomain: Array<{ key: string; minutes: number; ticketIds: number[] }>;
  billableMinutes: number;
  nonBillableMinutes: number;
  outOfScopeMinutes: number;
  revenueCents: number;
}

/** Keys used when a breakdown's value is missing. */
export const UNSPECIFIED = {
  category: 'uncategorised',
  requester: 'unknown requester',
  subsidiary: 'head office',
  domain: 'unspecified',
} as const;

/** What counts as consumed from a contract (out-of-scope and non-billable work do not). */
const CONSUMED: ContractLedgerKind[] = ['BLOCK_CONSUMPTION', 'OVERAGE', 'INCLUDED', 'HOURLY'];
const DAY = 86_400_000;
const WEEK = 7 * DAY;

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

function mondayOnOrBefore(d: Date): Date {
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const shift = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - shift * DAY);
}

/** Monthly periods of a contract begun before `to` (started 10 Jan: 2 begun before 1 Mar, 10 Feb being one). */
export function monthsBegun(from: Date, to: Date): number {
  let n = 0;
  for (let k = 0; k < 1200; k++) {
    const begin = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + k, from.getUTCDate()));
    if (begin >= to) break;
    n++;
  }
  return n;
}

export async function summarizeConsumption(prisma: PrismaClient, clientId: string, periodStart: Date, periodEnd: Date, opts: { asOf?: Date } = {}): Promise<ConsumptionSummary> {
  const asOf = opts.asOf ?? new Date();
  const recorded = { recordedAt: { lt: asOf } };
  const contracts = (await contractsOverlapping(prisma, clientId, periodStart, periodEnd)).filter((c) => c.createdAt < asOf);

  const contractViews: ConsumptionSummary['contracts'] = [];
  for (const contract of contracts) {
    const terms = termsOrNull(contract);
    const rows = await prisma.contractLedgerEntry.findMany({
      where: { contractId: contract.id, occurredAt: { lt: periodEnd }, ...recorded },
      select: { kind: true, minutes: true, occurredAt: true, blockId: true },
    });
    const consumed = (from: Date | null, to: Date) =>
      rows.filter((r) => CONSUMED.includes(r.kind) && (!from || r.occurredAt >= from) && r.occurredAt < to).reduce((s, r) => s - r.minutes, 0);
    let planned: number | null = null;
    let remaining: number | null = null;
    let averageLine: number | null = null;
    const consumedToDate = consumed(null, periodEnd);
    if (contract.type === 'BLOCK_HOURS') {
      planned = rows.filter((r) => r.kind === 'BLOCK_CREDIT' || r.kind === 'BLOCK_EXPIRY').reduce((s, r) => s + r.minutes, 0);
      remaining = rows.filter((r) => r.blockId !== null).reduce((s, r) => s + r.minutes, 0);
      const endsOn = contract.endsOn ?? new Date(contract.startsOn.getTime() + 52 * WEEK);
      const weeks = Math.max(1, (endsOn.getTime() - contract.startsOn.getTime()) / WEEK);
      averageLine = Math.round((planned / weeks) * 100) / 100;
    } else if (contract.type === 'MONTHLY_FIXED' && terms?.type === 'MONTHLY_FIXED' && terms.includedMinutesPerMonth !== null) {
      planned = terms.includedMinutesPerMonth * monthsBegun(contract.startsOn, periodEnd);
      remaining = planned - consumedToDate;
      averageLine = Math.round(((terms.includedMinutesPerMonth * 12) / 52) * 100) / 100;
    }
    const weekly: ConsumptionSummary['contracts'][number]['weekly'] = [];
    for (let week = mondayOnOrBefore(periodStart); week < periodEnd; week = new Date(week.getTime() + WEEK)) {
      const from = week < periodStart ? periodStart : week;
      const next = new Date(week.getTime() + WEEK);
      weekly.push({ weekStart: isoDate(week), minutes: consumed(from, next < periodEnd ? next : periodEnd), averageLine });
    }
    contractViews.push({
      contractId: contract.id,
      name: contract.name,
      type: contract.type,
      plannedMinutes: planned,
      consumedMinutesInPeriod: consumed(periodStart, periodEnd),
      consumedMinutesToDate: consumedToDate,
      remainingMinutes: remaining,
      weekly,
    });
  }

  // Entries of the period as they stood at asOf: recorded before it, not yet replaced by a correction recorded before it.
  const entries = await prisma.timeEntry.findMany({
    where: {
      ticket: { clientId },
      startedAt: { gte: periodStart, lt: periodEnd },
      createdAt: { lt: asOf },
      OR: [{ correctedBy: null }, { correctedBy: { createdAt: { gte: asOf } } }],
    },
    include: { ticket: { select: { id: true, contact: { select: { email: true, name: true, subsidiary: true } } } } },
    orderBy: [{ startedAt: 'asc' }, { id: 'asc' }],
  });
  const usage = await prisma.contractLedgerEntry.findMany({
    where: { timeEntryId: { in: entries.map((e) => e.id) }, kind: { notIn: ['BLOCK_CREDIT', 'BLOCK_EXPIRY'] }, ...recorded },
    select: { timeEntryId: true, minutes: true },
  });
  const booked = new Map<string, number>();
  for (const u of usage) booked.set(u.timeEntryId!, (booked.get(u.timeEntryId!) ?? 0) - u.minutes);

  type Bucket = { key: string; minutes: number; timeEntryIds: string[]; ticketIds: Set<number> };
  const groups = { category: new Map<string, Bucket>(), requester: new Map<string, Bucket>(), subsidiary: new Map<string, Bucket>(), domain: new Map<string, Bucket>() };
  const add = (map: Map<string, Bucket>, key: string, minutes: number, entryId: string, ticketId: number) => {
    const b = map.get(key) ?? { key, minutes: 0, timeEntryIds: [], ticketIds: new Set<number>() };
    b.minutes += minutes;
    b.timeEntryIds.push(entryId);
    b.ticketIds.add(ticketId);
    map.set(key, b);
  };
  let billableMinutes = 0;
  let nonBillableMinutes = 0;
  let outOfScopeMinutes = 0;
  for (const e of entries) {
    const minutes = booked.has(e.id) ? booked.get(e.id)! : e.minutes;
    if (!e.billable) nonBillableMinutes += minutes;
    else {
      billableMinutes += minutes;
      if (e.outOfScope) outOfScopeMinutes += minutes;
    }
    const contact = e.ticket.contact;
    add(groups.category, e.category?.trim() || UNSPECIFIED.category, minutes, e.id, e.ticketId);
    add(groups.requester, contact ? (contact.name ? `${contact.name} <${contact.email}>` : contact.email) : UNSPECIFIED.requester, minutes, e.id, e.ticketId);
    add(groups.subsidiary, contact?.subsidiary?.trim() || UNSPECIFIED.subsidiary, minutes, e.id, e.ticketId);
    add(groups.domain, e.domain?.trim() || UNSPECIFIED.domain, minutes, e.id, e.ticketId);
  }
  const sorted = (map: Map<string, Bucket>) =>
    [...map.values()].sort((a, b) => b.minutes - a.minutes || a.key.localeCompare(b.key)).map((b) => ({ key: b.key, minutes: b.minutes, timeEntryIds: b.timeEntryIds, ticketIds: [...b.ticketIds].sort((x, y) => x - y) }));
  const withoutEntries = (list: ReturnType<typeof sorted>) => list.map(({ timeEntryIds: _ids, ...rest }) => rest);

  return {
    clientId,
    periodStart: isoDate(periodStart),
    periodEnd: isoDate(periodEnd),
    contracts: contractViews,
    byCategory: sorted(groups.category),
    byRequester: withoutEntries(sorted(groups.requester)),
    bySubsidiary: withoutEntries(sorted(groups.subsidiary)),
    byDomain: withoutEntries(sorted(groups.domain)),
    billableMinutes,
    nonBillableMinutes,
    outOfScopeMinutes,
    revenueCents: totalOf(await computeInvoiceLines(prisma, clientId, periodStart, periodEnd, asOf)),
  };
}

/**
 * Minutes per technician for a client and period (same rules as summarizeConsumption: billed
 * minutes where booked, entries as they stood at asOf). Kept out of ConsumptionSummary, whose
 * shape the reports depend on; the API adds it to a contract's consumption.
 */
export async function consumptionByTechnician(prisma: PrismaClient, clientId: string, periodStart: Date, periodEnd: Date, opts: { asOf?: Date } = {}) {
  const asOf = opts.asOf ?? new Date();
  const entries = await prisma.timeEntry.findMany({
    where: { ticket: { clientId }, startedAt: { gte: periodStart, lt: periodEnd }, createdAt: { lt: asOf }, OR: [{ correctedBy: null }, { correctedBy: { createdAt: { gte: asOf } } }] },
    select: { id: true, minutes: true, ticketId: true, user: { select: { id: true, name: true } } },
  });
  const usage = await prisma.contractLedgerEntry.findMany({
    where: { timeEntryId: { in: entries.map((e) => e.id) }, kind: { notIn: ['BLOCK_CREDIT', 'BLOCK_EXPIRY'] }, recordedAt: { lt: asOf } },
    select: { timeEntryId: true, minutes: true },
  });
  const booked = new Map<string, number>();
  for (const u of usage) booked.set(u.timeEntryId!, (booked.get(u.timeEntryId!) ?? 0) - u.minutes);
  const byUser = new Map<string, { userId: string; name: string; minutes: number; ticketIds: Set<number> }>();
  for (const e of entries) {
    const b = byUser.get(e.user.id) ?? { userId: e.user.id, name: e.user.name, minutes: 0, ticketIds: new Set<number>() };
    b.minutes += booked.has(e.id) ? booked.get(e.id)! : e.minutes;
    b.ticketIds.add(e.ticketId);
    byUser.set(e.user.id, b);
  }
  return [...byUser.values()]
    .sort((a, b) => b.minutes - a.minutes || a.userId.localeCompare(b.userId))
    .map((b) => ({ userId: b.userId, name: b.name, minutes: b.minutes, ticketIds: [...b.ticketIds].sort((x, y) => x - y) }));
}
