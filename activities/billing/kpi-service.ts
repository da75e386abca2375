import type { PrismaClient } from '../../lib/db/prisma';
import { amountCents } from '../../lib/billing/rounding';
import { computeInvoiceLines, totalOf } from './invoice-lines';
import { monthBounds } from './invoice-draft-service';
import { outOfScopeRate } from './contract-terms';
import { BILLED_KINDS, termsOrNull } from './ledger-service';

/**
 * The MSP's own figures for a month (admins only):
 * - MRR: monthly fixed fees of the contracts in force that month (active); ARR = 12 x MRR;
 * - revenue per client: the total of its invoice lines for the month (fees, blocks bought,
 *   overage, T&M, out of scope: invoice-lines.ts);
 * - revenue per technician: the time they billed at a rate (overage, T&M, out of scope) in cents;
 *   time drawn from prepaid blocks or included in a fixed fee is counted in billedMinutes, not in cents;
 * - tickets opened per day, per ISO week (Monday, UTC) and in the month;
 * - billed hours per client: rounded minutes of the ledger, non-billable excluded;
 * - tasks per technician: distinct tickets they logged time on, and their entries.
 */
export async function mspKpis(prisma: PrismaClient, month: string, asOf: Date = new Date()) {
  const { start, end } = monthBounds(month);
  const clients = await prisma.client.findMany({ select: { id: true, code: true, name: true }, orderBy: { code: 'asc' } });

  const fixed = await prisma.contract.findMany({ where: { type: 'MONTHLY_FIXED', active: true, startsOn: { lt: end }, OR: [{ endsOn: null }, { endsOn: { gte: start } }] } });
  const mrrCents = fixed.reduce((s, c) => {
    const terms = termsOrNull(c);
    return s + (terms?.type === 'MONTHLY_FIXED' ? terms.monthlyPriceCents : 0);
  }, 0);

  const revenuePerClient: Array<{ clientId: string; code: string; name: string; revenueCents: number }> = [];
  for (const c of clients) {
    const total = totalOf(await computeInvoiceLines(prisma, c.id, start, end, asOf));
    if (total !== 0) revenuePerClient.push({ clientId: c.id, code: c.code, name: c.name, revenueCents: total });
  }

  const rows = await prisma.contractLedgerEntry.findMany({
    where: { occurredAt: { gte: start, lt: end }, recordedAt: { lt: asOf }, kind: { in: BILLED_KINDS }, timeEntryId: { not: null } },
    select: { kind: true, minutes: true, timeEntryId: true, contract: { select: { id: true, clientId: true, type: true, terms: true } } },
  });
  const entries = await prisma.timeEntry.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.timeEntryId!))] } }, select: { id: true, userId: true } });
  const userOf = new Map(entries.map((e) => [e.id, e.userId]));
  const perTech = new Map<string, { billedMinutes: number; revenueCents: number }>();
  const hoursPerClient = new Map<string, number>();
  for (const r of rows) {
    const minutes = -r.minutes;
    const terms = termsOrNull(r.contract);
    const rate = !terms ? 0 : r.kind === 'OUT_OF_SCOPE' ? outOfScopeRate(terms) : r.kind === 'OVERAGE' && terms.type === 'BLOCK_HOURS' ? terms.overageRateCents : r.kind === 'HOURLY' && terms.type === 'TIME_AND_MATERIALS' ? terms.hourlyRateCents : 0;
    const tech = perTech.get(userOf.get(r.timeEntryId!)!) ?? { billedMinutes: 0, revenueCents: 0 };
    tech.billedMinutes += minutes;
    tech.revenueCents += amountCents(minutes, rate);
    perTech.set(userOf.get(r.timeEntryId!)!, tech);
    hoursPerClient.set(r.contract.clientId, (hoursPerClient.get(r.contract.clientId) ?? 0) + minutes);
  }
  const users = await prisma.user.findMany({ select: { id: true, name: true, email: true } });
  const userById = new Map(users.map((u) => [u.id, u]));

  const monthEntries = await prisma.timeEntry.findMany({ where: { startedAt: { gte: start, lt: end }, createdAt: { lt: asOf }, correctedBy: null }, select: { userId: true, ticketId: true } });
  const tasks = new Map<string, { tickets: Set<number>; entries: number }>();
  for (const e of monthEntries) {
    const t = tasks.get(e.userId) ?? { tickets: new Set<number>(), entries: 0 };
    t.tickets.add(e.ticketId);
    t.entries++;
    tasks.set(e.userId, t);
  }

  const tickets = await prisma.ticket.findMany({ where: { createdAt: { gte: start, lt: end } }, select: { createdAt: true } });
  const perDay = new Map<string, number>();
  const perWeek = new Map<string, number>();
  for (const t of tickets) {
    const day = t.createdAt.toISOString().slice(0, 10);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
    const d = new Date(`${day}T00:00:00Z`);
    const monday = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
    perWeek.set(monday, (perWeek.get(monday) ?? 0) + 1);
  }
  const sortedEntries = (m: Map<string, number>, key: string) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, count]) => ({ [key]: k, count }));
  const clientById = new Map(clients.map((c) => [c.id, c]));

  return {
    month,
    mrrCents,
    arrCents: mrrCents * 12,
    revenuePerClient,
    revenuePerTechnician: [...perTech.entries()]
      .map(([userId, v]) => ({ userId, name: userById.get(userId)?.name ?? null, ...v }))
      .sort((a, b) => b.revenueCents - a.revenueCents || a.userId.localeCompare(b.userId)),
    tickets: { month: tickets.length, perDay: sortedEntries(perDay, 'day'), perWeek: sortedEntries(perWeek, 'weekStart') },
    billedHoursPerClient: [...hoursPerClient.entries()]
      .map(([clientId, minutes]) => ({ clientId, code: clientById.get(clientId)?.code ?? null, minutes, hours: Math.round((minutes / 60) * 100) / 100 }))
      .sort((a, b) => b.minutes - a.minutes || a.clientId.localeCompare(b.clientId)),
    tasksPerTechnician: [...tasks.entries()]
      .map(([userId, t]) => ({ userId, name: userById.get(userId)?.name ?? null, tickets: t.tickets.size, entries: t.entries }))
      .sort((a, b) => b.tickets - a.tickets || a.userId.localeCompare(b.userId)),
  };
}
