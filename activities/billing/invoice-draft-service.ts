import crypto from 'node:crypto';
import { assertClientAccess, clientScope, type Actor } from '../../lib/access';
import type { Prisma, PrismaClient } from '../../lib/db/prisma';
import { isUniqueViolation } from '../../lib/db/prisma';
import { NotFoundError, ValidationError } from '../../lib/errors';
import { toCsv } from '../../lib/billing/csv';
import { computeInvoiceLines, totalOf, type InvoiceLine } from './invoice-lines';
import { parseTerms } from './contract-terms';

/**
 * Invoice drafts per client per month. Generating computes the lines from contracts and the
 * ledger (invoice-lines.ts); if they are the same as the latest version's (same SHA-256 of the
 * canonical JSON), that version is returned; otherwise version n+1 is stored. Drafts are never
 * edited, so what was exported or pushed stays what it was.
 */
export type InvoiceDraftRow = Prisma.InvoiceDraftModel;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function monthBounds(month: string): { start: Date; end: Date } {
  const m = MONTH.exec(month);
  if (!m) throw new ValidationError(`month: ${JSON.stringify(month)} must be YYYY-MM`, { problems: ['month: must be YYYY-MM'] });
  const start = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  const end = new Date(Date.UTC(Number(m[1]), Number(m[2]), 1));
  return { start, end };
}

function hashLines(lines: InvoiceLine[], currency: string): string {
  return crypto.createHash('sha256').update(JSON.stringify({ currency, lines })).digest('hex');
}

async function currencyOf(prisma: PrismaClient, clientId: string, lines: InvoiceLine[]): Promise<string> {
  const ids = [...new Set(lines.map((l) => l.contractId))];
  const contracts = await prisma.contract.findMany({ where: { id: { in: ids } }, select: { type: true, terms: true } });
  const currencies = new Set(contracts.map((c) => parseTerms(c.type, c.terms).currency));
  if (currencies.size > 1) throw new ValidationError(`client ${clientId} has contracts in several currencies (${[...currencies].join(', ')}): one draft per currency is not supported`);
  return [...currencies][0] ?? 'EUR';
}

export async function generateInvoiceDraft(deps: { prisma: PrismaClient }, actor: Actor, clientId: string, month: string): Promise<{ draft: InvoiceDraftRow; created: boolean }> {
  assertClientAccess(actor, clientId);
  const { start, end } = monthBounds(month);
  const client = await deps.prisma.client.findUnique({ where: { id: clientId }, select: { id: true } });
  if (!client) throw new NotFoundError(`Client ${clientId}`);
  for (let attempt = 0; ; attempt++) {
    const lines = await computeInvoiceLines(deps.prisma, clientId, start, end, new Date());
    const currency = await currencyOf(deps.prisma, clientId, lines);
    const contentHash = hashLines(lines, currency);
    const latest = await deps.prisma.invoiceDraft.findFirst({ where: { clientId, period: month }, orderBy: { version: 'desc' } });
    if (latest?.contentHash === contentHash) return { draft: latest, created: false };
    try {
      const draft = await deps.prisma.invoiceDraft.create({
        data: { clientId, period: month, version: (latest?.version ?? 0) + 1, currency, lines: lines as unknown as Prisma.InputJsonValue, totalCents: totalOf(lines), contentHash },
      });
      return { draft, created: true };
    } catch (err) {
      // Two generations at once: the other wrote this version number; compare with it.
      if (!isUniqueViolation(err) || attempt >= 3) throw err;
    }
  }
}

export async function getInvoiceDraft(deps: { prisma: PrismaClient }, actor: Actor, id: string): Promise<InvoiceDraftRow> {
  const draft = await deps.prisma.invoiceDraft.findFirst({ where: { id, ...clientScope(actor) } });
  if (!draft) throw new NotFoundError(`Invoice draft ${id}`);
  return draft;
}

export async function listInvoiceDrafts(deps: { prisma: PrismaClient }, actor: Actor, filter: { clientId?: string; month?: string }) {
  if (filter.clientId) assertClientAccess(actor, filter.clientId);
  if (filter.month) monthBounds(filter.month);
  return deps.prisma.invoiceDraft.findMany({
    where: { AND: [clientScope(actor), filter.clientId ? { clientId: filter.clientId } : {}], ...(filter.month ? { period: filter.month } : {}) },
    orderBy: [{ period: 'desc' }, { clientId: 'asc' }, { version: 'desc' }],
    take: 500,
  });
}

/** Invoice number shown to people and to the external system: stable per draft version. */
export function invoiceNumber(draft: Pick<InvoiceDraftRow, 'period' | 'clientId' | 'version'>, clientCode: string): string {
  return `${clientCode.toUpperCase()}-${draft.period}-v${draft.version}`;
}

const money = (cents: number) => Math.round(cents) / 100;

export function draftAsJson(draft: InvoiceDraftRow, client: { code: string; name: string }) {
  const lines = draft.lines as unknown as InvoiceLine[];
  return {
    number: invoiceNumber(draft, client.code),
    id: draft.id,
    client: { id: draft.clientId, code: client.code, name: client.name },
    period: draft.period,
    version: draft.version,
    currency: draft.currency,
    lines: lines.map((l, i) => ({ line: i + 1, ...l, unitPrice: money(l.unitPriceCents), amount: money(l.amountCents) })),
    totalCents: draft.totalCents,
    total: money(draft.totalCents),
    contentHash: draft.contentHash,
    createdAt: draft.createdAt.toISOString(),
  };
}

/** CSV export, formula-injection safe (lib/billing/csv.ts): subjects and names are client-controlled text. */
export function draftAsCsv(draft: InvoiceDraftRow, client: { code: string; name: string }): string {
  const json = draftAsJson(draft, client);
  return toCsv(
    ['invoice', 'client', 'period', 'line', 'kind', 'contract', 'ticket', 'description', 'quantity', 'unit', 'unit_price', 'amount', 'currency'],
    json.lines.map((l) => [json.number, client.name, draft.period, l.line, l.kind, l.contractName, l.ticketId === null ? '' : `T-${l.ticketId}`, l.description, l.quantity, l.unit, l.unitPrice, l.amount, draft.currency]),
  );
}
