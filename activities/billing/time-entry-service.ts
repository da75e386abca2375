import crypto from 'node:crypto';
import { clientScope, type Actor } from '../../lib/access';
import type { Prisma, PrismaClient } from '../../lib/db/prisma';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { LEDGER_TX, allocateTimeEntryTx, reverseTimeEntryTx, termsOrNull, type AllocationOutcome, type Tx } from './ledger-service';
import { checkBlockAlerts, type BlockAlertDeps } from './block-alerts';

/**
 * Time entries, to the minute, written once per source (sourceKey unique): `#time` in an email
 * reply (the mail's ledger key), the API (the caller's idempotency key) and activities that do
 * work (their own key). Each gets the ticket's category, the contract in force that day and the
 * contract's billable default unless given, and is booked into the contract's ledger in the same
 * transaction. Entries are never edited: a correction is a new entry that names the old one.
 */
export const MAX_ENTRY_MINUTES = 24 * 60;

export interface TimeEntryInput {
  ticketId: number;
  userId: string;
  minutes: number;
  sourceKey: string;
  startedAt?: Date;
  note?: string;
  category?: string | null;
  domain?: string | null;
  billable?: boolean;
  outOfScope?: boolean;
  contractId?: string | null;
}

export type TimeEntryRow = Prisma.TimeEntryModel;

function problemsOf(input: TimeEntryInput): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(input.minutes) || input.minutes < 1 || input.minutes > MAX_ENTRY_MINUTES) problems.push(`minutes: must be a whole number from 1 to ${MAX_ENTRY_MINUTES}`);
  if (!input.sourceKey?.trim()) problems.push('sourceKey: must not be empty');
  if (input.startedAt && Number.isNaN(input.startedAt.getTime())) problems.push('startedAt: not a valid date');
  return problems;
}

/** The contract a client's work on `at` is billed under: the active one in force that day, the latest started. */
export async function contractInForce(tx: Tx | PrismaClient, clientId: string, at: Date): Promise<{ id: string; terms: unknown; type: string } | null> {
  return tx.contract.findFirst({
    where: { clientId, active: true, startsOn: { lte: at }, OR: [{ endsOn: null }, { endsOn: { gte: new Date(at.toISOString().slice(0, 10)) } }] },
    orderBy: [{ startsOn: 'desc' }, { createdAt: 'desc' }],
    select: { id: true, terms: true, type: true },
  });
}

/** Writes (once per sourceKey) and books a time entry; runs inside the caller's transaction. */
export async function recordTimeEntryTx(tx: Tx, input: TimeEntryInput): Promise<{ entry: TimeEntryRow; created: boolean; allocation: AllocationOutcome }> {
  const problems = problemsOf(input);
  if (problems.length) throw new ValidationError(`Invalid time entry: ${problems.join('; ')}`, { problems });
  const existing = await tx.timeEntry.findUnique({ where: { sourceKey: input.sourceKey } });
  if (existing) return { entry: existing, created: false, allocation: await allocateTimeEntryTx(tx, existing.id) };
  const ticket = await tx.ticket.findUnique({ where: { id: input.ticketId }, select: { clientId: true, category: true } });
  if (!ticket) throw new NotFoundError(`Ticket ${input.ticketId}`);
  const startedAt = input.startedAt ?? new Date();
  let contract: { id: string; terms: unknown; type: string } | null;
  if (input.contractId) {
    contract = await tx.contract.findFirst({ where: { id: input.contractId, clientId: ticket.clientId }, select: { id: true, terms: true, type: true } });
    if (!contract) throw new ValidationError(`contractId: ${input.contractId} is not a contract of this ticket's client`);
  } else {
    contract = await contractInForce(tx, ticket.clientId, startedAt);
  }
  const terms = contract ? termsOrNull(contract as never) : null;
  const id = crypto.randomUUID();
  await tx.timeEntry.createMany({
    data: [
      {
        id,
        ticketId: input.ticketId,
        userId: input.userId,
        minutes: input.minutes,
        startedAt,
        note: (input.note ?? '').slice(0, 4000),
        category: input.category ?? ticket.category ?? null,
        domain: input.domain ?? null,
        billable: input.billable ?? terms?.billableByDefault ?? true,
        outOfScope: input.outOfScope ?? false,
        contractId: contract?.id ?? null,
        sourceKey: input.sourceKey,
      },
    ],
    skipDuplicates: true,
  });
  const entry = await tx.timeEntry.findUniqueOrThrow({ where: { sourceKey: input.sourceKey } });
  return { entry, created: entry.id === id, allocation: await allocateTimeEntryTx(tx, entry.id) };
}

export interface TimeEntryDeps extends BlockAlertDeps {
  prisma: PrismaClient;
  log?: Logger;
}

/**
 * For activities that do work and for the API: records and books the entry, then checks the
 * block's 80/95/100 % alerts (after the commit: a notification is not part of the transaction).
 */
export async function recordTimeEntry(deps: TimeEntryDeps, input: TimeEntryInput) {
  const result = await deps.prisma.$transaction((tx) => recordTimeEntryTx(tx, input), LEDGER_TX);
  if (result.entry.contractId) await checkBlockAlerts(deps, result.entry.contractId);
  return result;
}

export interface CorrectionInput {
  minutes?: number;
  startedAt?: Date;
  category?: string | null;
  domain?: string | null;
  billable?: boolean;
  outOfScope?: boolean;
  note?: string;
  reason: string;
  idempotencyKey?: string;
}

/**
 * Corrects an entry: a new entry with the changes (correctsId = the old one), the old entry's
 * ledger rows reversed and the new one booked, in one transaction. Only the latest version of an
 * entry can be corrected (unique correctsId), so two concurrent corrections cannot both win.
 */
export async function correctTimeEntry(deps: TimeEntryDeps, actor: Actor, timeEntryId: string, input: CorrectionInput) {
  if (!input.reason?.trim()) throw new ValidationError('reason: a correction needs a reason');
  const original = await deps.prisma.timeEntry.findFirst({ where: { id: timeEntryId, ticket: clientScope(actor) }, include: { correctedBy: true } });
  if (!original) throw new NotFoundError(`Time entry ${timeEntryId}`);
  const sourceKey = `correction:${timeEntryId}:${input.idempotencyKey ?? crypto.randomUUID()}`;
  const replay = await deps.prisma.timeEntry.findUnique({ where: { sourceKey } });
  if (replay) return { entry: replay, created: false };
  if (original.correctedBy) throw new ConflictError(`Time entry ${timeEntryId} was already corrected by ${original.correctedBy.id}; correct that one`, { latest: original.correctedBy.id });
  const result = await deps.prisma
    .$transaction(async (tx) => {
      await reverseTimeEntryTx(tx, original.id, `corrected: ${input.reason}`);
      const problems = problemsOf({ ticketId: original.ticketId, userId: original.userId, minutes: input.minutes ?? original.minutes, startedAt: input.startedAt ?? original.startedAt, sourceKey });
      if (problems.length) throw new ValidationError(`Invalid correction: ${problems.join('; ')}`, { problems });
      const entry = await tx.timeEntry.create({
        data: {
          ticketId: original.ticketId,
          userId: original.userId,
          minutes: input.minutes ?? original.minutes,
          startedAt: input.startedAt ?? original.startedAt,
          note: (input.note ?? original.note).slice(0, 4000),
          category: input.category !== undefined ? input.category : original.category,
          domain: input.domain !== undefined ? input.domain : original.domain,
          billable: input.billable ?? original.billable,
          outOfScope: input.outOfScope ?? original.outOfScope,
          contractId: original.contractId,
          correctsId: original.id,
          sourceKey,
        },
      });
      const allocation = await allocateTimeEntryTx(tx, entry.id);
      return { entry, created: true, allocation };
    }, LEDGER_TX)
    .catch((err: unknown) => {
      if ((err as { code?: string }).code === 'P2002') throw new ConflictError(`Time entry ${timeEntryId} was corrected concurrently; reload it`);
      throw err;
    });
  if (result.entry.contractId) await checkBlockAlerts(deps, result.entry.contractId);
  return result;
}

export interface TimeEntryFilter {
  clientId?: string;
  ticketId?: number;
  userId?: string;
  from?: Date;
  to?: Date;
  /** Include entries replaced by a correction (default: only the current versions). */
  includeSuperseded?: boolean;
  limit?: number;
  offset?: number;
}

export async function listTimeEntries(deps: { prisma: PrismaClient }, actor: Actor, filter: TimeEntryFilter) {
  const scope = clientScope(actor);
  const where: Prisma.TimeEntryWhereInput = {
    ticket: { AND: [scope, filter.clientId ? { clientId: filter.clientId } : {}] },
    ...(filter.ticketId ? { ticketId: filter.ticketId } : {}),
    ...(filter.userId ? { userId: filter.userId } : {}),
    ...(filter.from || filter.to ? { startedAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } } : {}),
    ...(filter.includeSuperseded ? {} : { correctedBy: null }),
  };
  const rows = await deps.prisma.timeEntry.findMany({
    where,
    orderBy: [{ startedAt: 'asc' }, { id: 'asc' }],
    take: filter.limit ?? 200,
    skip: filter.offset ?? 0,
    include: { correctedBy: { select: { id: true } } },
  });
  const ledger = await deps.prisma.contractLedgerEntry.findMany({ where: { timeEntryId: { in: rows.map((r) => r.id) } } });
  const billed = new Map<string, number>();
  for (const r of ledger) if (r.kind !== 'BLOCK_CREDIT' && r.kind !== 'BLOCK_EXPIRY') billed.set(r.timeEntryId!, (billed.get(r.timeEntryId!) ?? 0) - r.minutes);
  return rows.map(({ correctedBy, ...r }) => ({ ...r, correctedById: correctedBy?.id ?? null, billedMinutes: billed.get(r.id) ?? null }));
}
