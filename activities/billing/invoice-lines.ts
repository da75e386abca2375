import type { ContractLedgerKind, PrismaClient } from '../../lib/db/prisma';
import { amountCents } from '../../lib/billing/rounding';
import { outOfScopeRate, type ContractTerms } from './contract-terms';
import { termsOrNull } from './ledger-service';

/**
 * The billable lines of a client for a period, computed from contracts and the ledger only (no
 * stored balance), so the same period and `asOf` always give the same lines:
 *
 *   FIXED_FEE       each monthly fixed-fee contract in force during the period: its monthly price
 *   BLOCK_PURCHASE  blocks bought (initial or top-up) during the period: their price
 *   BLOCK_USAGE     time drawn from prepaid blocks during the period (0: already paid, shown)
 *   INCLUDED_TIME   time worked under a fixed fee (0: included, shown)
 *   OVERAGE         time beyond the blocks, per ticket, at the overage rate
 *   HOURLY          time and materials, per ticket, at the hourly rate
 *   OUT_OF_SCOPE    work flagged out of scope, per ticket, at the out-of-scope rate
 *
 * Quantities of time are hours with 2 decimals; amounts are computed from the exact minutes,
 * rounded to the cent per line. Ticket subjects end up in lines: exports must treat them as hostile.
 */
export type InvoiceLineKind = 'FIXED_FEE' | 'BLOCK_PURCHASE' | 'BLOCK_USAGE' | 'INCLUDED_TIME' | 'OVERAGE' | 'HOURLY' | 'OUT_OF_SCOPE';

export interface InvoiceLine {
  kind: InvoiceLineKind;
  contractId: string;
  contractName: string;
  description: string;
  ticketId: number | null;
  minutes: number | null;
  quantity: number;
  unit: 'month' | 'block' | 'hour';
  unitPriceCents: number;
  amountCents: number;
}

const KIND_ORDER: InvoiceLineKind[] = ['FIXED_FEE', 'BLOCK_PURCHASE', 'BLOCK_USAGE', 'INCLUDED_TIME', 'OVERAGE', 'HOURLY', 'OUT_OF_SCOPE'];
const PER_TICKET: Partial<Record<ContractLedgerKind, InvoiceLineKind>> = { OVERAGE: 'OVERAGE', HOURLY: 'HOURLY', OUT_OF_SCOPE: 'OUT_OF_SCOPE' };
const hours = (minutes: number) => Math.round((minutes / 60) * 100) / 100;

export function contractsOverlapping(prisma: PrismaClient, clientId: string, start: Date, end: Date) {
  return prisma.contract.findMany({
    where: { clientId, startsOn: { lt: end }, OR: [{ endsOn: null }, { endsOn: { gte: start } }] },
    orderBy: [{ startsOn: 'asc' }, { id: 'asc' }],
  });
}

function rateFor(kind: InvoiceLineKind, terms: ContractTerms): number {
  if (kind === 'OUT_OF_SCOPE') return outOfScopeRate(terms);
  if (kind === 'OVERAGE' && terms.type === 'BLOCK_HOURS') return terms.overageRateCents;
  if (kind === 'HOURLY' && terms.type === 'TIME_AND_MATERIALS') return terms.hourlyRateCents;
  return 0;
}

export async function computeInvoiceLines(prisma: PrismaClient, clientId: string, start: Date, end: Date, asOf: Date): Promise<InvoiceLine[]> {
  const contracts = (await contractsOverlapping(prisma, clientId, start, end)).filter((c) => c.createdAt < asOf);
  const lines: InvoiceLine[] = [];
  for (const contract of contracts) {
    const terms = termsOrNull(contract);
    if (!terms) continue;
    const base = { contractId: contract.id, contractName: contract.name };
    if (terms.type === 'MONTHLY_FIXED' && contract.active) {
      const services = terms.includedServices.length ? ` (${terms.includedServices.join(', ')})` : '';
      lines.push({ ...base, kind: 'FIXED_FEE', description: `${contract.name}: ${terms.plan} plan, ${terms.deviceCount} devices${services}`, ticketId: null, minutes: null, quantity: 1, unit: 'month', unitPriceCents: terms.monthlyPriceCents, amountCents: terms.monthlyPriceCents });
    }
    const rows = await prisma.contractLedgerEntry.findMany({
      where: { contractId: contract.id, occurredAt: { gte: start, lt: end }, recordedAt: { lt: asOf } },
      orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
    });
    for (const credit of rows.filter((r) => r.kind === 'BLOCK_CREDIT' && (r.priceCents ?? 0) > 0)) {
      lines.push({ ...base, kind: 'BLOCK_PURCHASE', description: `${contract.name}: prepaid block of ${hours(credit.minutes)} h${credit.note ? ` (${credit.note})` : ''}`, ticketId: null, minutes: credit.minutes, quantity: 1, unit: 'block', unitPriceCents: credit.priceCents!, amountCents: credit.priceCents! });
    }
    const blockUsed = rows.filter((r) => r.kind === 'BLOCK_CONSUMPTION').reduce((s, r) => s - r.minutes, 0);
    if (blockUsed !== 0) lines.push({ ...base, kind: 'BLOCK_USAGE', description: `${contract.name}: time drawn from prepaid blocks`, ticketId: null, minutes: blockUsed, quantity: hours(blockUsed), unit: 'hour', unitPriceCents: 0, amountCents: 0 });
    const included = rows.filter((r) => r.kind === 'INCLUDED').reduce((s, r) => s - r.minutes, 0);
    if (included !== 0) lines.push({ ...base, kind: 'INCLUDED_TIME', description: `${contract.name}: time included in the fixed fee`, ticketId: null, minutes: included, quantity: hours(included), unit: 'hour', unitPriceCents: 0, amountCents: 0 });

    const perTicketRows = rows.filter((r) => PER_TICKET[r.kind] && r.timeEntryId);
    const entries = await prisma.timeEntry.findMany({ where: { id: { in: perTicketRows.map((r) => r.timeEntryId!) } }, select: { id: true, ticketId: true, ticket: { select: { subject: true } } } });
    const entryById = new Map(entries.map((e) => [e.id, e]));
    const sums = new Map<string, { kind: InvoiceLineKind; ticketId: number; subject: string; minutes: number }>();
    for (const row of perTicketRows) {
      const entry = entryById.get(row.timeEntryId!)!;
      const kind = PER_TICKET[row.kind]!;
      const key = `${kind}:${entry.ticketId}`;
      const sum = sums.get(key) ?? { kind, ticketId: entry.ticketId, subject: entry.ticket.subject, minutes: 0 };
      sum.minutes -= row.minutes;
      sums.set(key, sum);
    }
    for (const sum of sums.values()) {
      if (sum.minutes === 0) continue;
      const rate = rateFor(sum.kind, terms);
      lines.push({ ...base, kind: sum.kind, description: sum.subject, ticketId: sum.ticketId, minutes: sum.minutes, quantity: hours(sum.minutes), unit: 'hour', unitPriceCents: rate, amountCents: amountCents(sum.minutes, rate) });
    }
  }
  return lines.sort(
    (a, b) =>
      a.contractName.localeCompare(b.contractName) ||
      a.contractId.localeCompare(b.contractId) ||
      KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
      (a.ticketId ?? 0) - (b.ticketId ?? 0) ||
      a.description.localeCompare(b.description),
  );
}

export function totalOf(lines: InvoiceLine[]): number {
  return lines.reduce((s, l) => s + l.amountCents, 0);
}
