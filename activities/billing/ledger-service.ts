import crypto from 'node:crypto';
import type { ContractLedgerKind, Prisma } from '../../lib/db/prisma';
import { allocateMinutes, rolloverSplit, type BlockBalance } from '../../lib/billing/allocation';
import { roundMinutes } from '../../lib/billing/rounding';
import { consumptionOrderOf, minutesPerUnit, parseTerms, termsProblems, type ContractTerms } from './contract-terms';

/**
 * The consumption ledger: append-only rows (a trigger refuses UPDATE/DELETE), one per business
 * event, each with a unique businessKey, so a retried or concurrent write finds the row instead of
 * writing it twice. Balances are sums, never stored.
 *
 *   credit:<contract>:initial          the block bought with the contract        BLOCK_CREDIT  +
 *   credit:<contract>:topup:<key>      a top-up                                  BLOCK_CREDIT  +
 *   credit:<block>:rollover            unused time carried into a new block      BLOCK_CREDIT  +
 *   expire:<block>                     what was left of a block at its expiry    BLOCK_EXPIRY  -
 *   use:<entry>:<block>                a time entry's minutes drawn from a block BLOCK_CONSUMPTION -
 *   use:<entry>:<kind>                 overage, included, hourly, out-of-scope, non-billable -
 *   reverse:<row>                      cancels a row (time entry corrected)      same kind, negated
 *
 * Allocation runs under a row lock on the contract (SELECT ... FOR UPDATE), so two entries
 * allocated at once never draw the same minutes, and a second allocation of the same entry sees
 * the first one's rows and writes nothing.
 */
export type Tx = Prisma.TransactionClient;

export type LedgerRow = Prisma.ContractLedgerEntryModel;

/** Ledger transactions wait on the contract lock behind other writers: longer limits than Prisma's 2 s / 5 s. */
export const LEDGER_TX = { maxWait: 30_000, timeout: 60_000 };

/** Usage kinds: how an entry's minutes were billed (negative minutes). */
export const USAGE_KINDS: ContractLedgerKind[] = ['BLOCK_CONSUMPTION', 'OVERAGE', 'INCLUDED', 'HOURLY', 'OUT_OF_SCOPE', 'NON_BILLABLE'];
export const BILLED_KINDS: ContractLedgerKind[] = ['BLOCK_CONSUMPTION', 'OVERAGE', 'INCLUDED', 'HOURLY', 'OUT_OF_SCOPE'];

/**
 * Serialises ledger writers of one contract. NO KEY UPDATE, not UPDATE: inserting a row that
 * references the contract takes KEY SHARE, which UPDATE would conflict with (deadlocks between
 * writers that inserted a time entry first); NO KEY UPDATE still excludes other writers.
 */
export async function lockContract(tx: Tx, contractId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Contract" WHERE id = ${contractId}::uuid FOR NO KEY UPDATE`;
}

/** Terms of a contract, or null when they do not validate (entries then wait unallocated). */
export function termsOrNull(contract: { type: ContractTerms['type']; terms: unknown }): ContractTerms | null {
  return termsProblems(contract.type, contract.terms).length === 0 ? parseTerms(contract.type, contract.terms) : null;
}

/** Every block of a contract with what is left of it, as of the rows recorded so far. */
export async function blockBalances(tx: Tx | Prisma.TransactionClient, contractId: string, asOf?: Date): Promise<Array<BlockBalance & { creditedMinutes: number; priceCents: number }>> {
  const recorded = asOf ? { recordedAt: { lt: asOf } } : {};
  const credits = await tx.contractLedgerEntry.findMany({
    where: { contractId, kind: 'BLOCK_CREDIT', reversesId: null, ...recorded },
    orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
  });
  const sums = await tx.contractLedgerEntry.groupBy({
    by: ['blockId'],
    where: { contractId, blockId: { not: null }, ...recorded },
    _sum: { minutes: true },
  });
  const remaining = new Map(sums.map((s) => [s.blockId!, s._sum.minutes ?? 0]));
  return credits.map((c) => ({
    blockId: c.id,
    remaining: remaining.get(c.id) ?? 0,
    creditedAt: c.occurredAt,
    expiresOn: c.expiresOn,
    creditedMinutes: c.minutes,
    priceCents: c.priceCents ?? 0,
  }));
}

interface NewRow {
  kind: ContractLedgerKind;
  minutes: number;
  businessKey: string;
  occurredAt: Date;
  blockId?: string | null;
  timeEntryId?: string | null;
  reversesId?: string | null;
  priceCents?: number | null;
  expiresOn?: Date | null;
  note?: string;
  data?: Prisma.InputJsonValue;
}

/** Writes rows whose keys are new; returns the rows now stored under those keys. */
async function appendRows(tx: Tx, contractId: string, rows: NewRow[]): Promise<LedgerRow[]> {
  if (rows.length === 0) return [];
  await tx.contractLedgerEntry.createMany({
    data: rows.map((r) => ({
      id: r.kind === 'BLOCK_CREDIT' && r.blockId ? r.blockId : crypto.randomUUID(),
      contractId,
      kind: r.kind,
      minutes: r.minutes,
      businessKey: r.businessKey,
      occurredAt: r.occurredAt,
      blockId: r.blockId ?? null,
      timeEntryId: r.timeEntryId ?? null,
      reversesId: r.reversesId ?? null,
      priceCents: r.priceCents ?? null,
      expiresOn: r.expiresOn ?? null,
      note: r.note ?? '',
      data: r.data ?? {},
    })),
    skipDuplicates: true,
  });
  return tx.contractLedgerEntry.findMany({ where: { businessKey: { in: rows.map((r) => r.businessKey) } }, orderBy: { businessKey: 'asc' } });
}

/** Credits a block (initial, top-up or rollover), once per business key. */
export async function creditBlockTx(
  tx: Tx,
  contractId: string,
  input: { businessKey: string; minutes: number; priceCents: number; occurredAt: Date; expiresOn: Date | null; note?: string; data?: Prisma.InputJsonValue },
): Promise<{ row: LedgerRow; created: boolean }> {
  const existing = await tx.contractLedgerEntry.findUnique({ where: { businessKey: input.businessKey } });
  if (existing) return { row: existing, created: false };
  const blockId = crypto.randomUUID();
  const [row] = await appendRows(tx, contractId, [{ kind: 'BLOCK_CREDIT', blockId, ...input }]);
  return { row, created: row.id === blockId };
}

/** The initial block of a block contract's terms, credited once. */
export async function ensureInitialBlockTx(tx: Tx, contract: { id: string; startsOn: Date; type: ContractTerms['type']; terms: unknown }): Promise<void> {
  const terms = termsOrNull(contract);
  if (terms?.type !== 'BLOCK_HOURS' || !terms.initialBlock) return;
  await creditBlockTx(tx, contract.id, {
    businessKey: `credit:${contract.id}:initial`,
    minutes: Math.round(terms.initialBlock.quantity * minutesPerUnit(terms)),
    priceCents: terms.initialBlock.priceCents,
    occurredAt: contract.startsOn,
    expiresOn: terms.initialBlock.expiresOn ? new Date(`${terms.initialBlock.expiresOn}T00:00:00Z`) : null,
    note: 'initial block',
  });
}

export type AllocationOutcome =
  | { status: 'allocated' | 'already-allocated'; rows: LedgerRow[]; billedMinutes: number }
  | { status: 'no-contract' | 'superseded' | 'terms-invalid'; rows: []; billedMinutes: 0 };

/**
 * Books a time entry into its contract's ledger: the contract's rounding, then blocks in the
 * contract's order and overage (block contracts), included time (fixed fee), hourly (T&M), or
 * out-of-scope / non-billable rows. Idempotent and safe to run concurrently (see above).
 */
export async function allocateTimeEntryTx(tx: Tx, timeEntryId: string): Promise<AllocationOutcome> {
  const entry = await tx.timeEntry.findUniqueOrThrow({ where: { id: timeEntryId }, include: { contract: true, correctedBy: { select: { id: true } } } });
  if (!entry.contract) return { status: 'no-contract', rows: [], billedMinutes: 0 };
  await lockContract(tx, entry.contract.id);
  const done = await tx.contractLedgerEntry.findMany({ where: { timeEntryId, reversesId: null }, orderBy: { businessKey: 'asc' } });
  if (done.length > 0) return { status: 'already-allocated', rows: done, billedMinutes: done.reduce((s, r) => s - r.minutes, 0) };
  if (entry.correctedBy) return { status: 'superseded', rows: [], billedMinutes: 0 };
  const terms = termsOrNull(entry.contract);
  if (!terms) return { status: 'terms-invalid', rows: [], billedMinutes: 0 };
  await ensureInitialBlockTx(tx, entry.contract);
  // Blocks whose expiry day has come by the work's date are written off (and rolled over) first,
  // so expiry needs no scheduler: the explicit expire-blocks call or the first later work does it.
  if (terms.type === 'BLOCK_HOURS') await expireBlocksTx(tx, entry.contract, entry.startedAt);

  const at = entry.startedAt;
  const base = { timeEntryId, occurredAt: at };
  const key = (suffix: string) => `use:${timeEntryId}:${suffix}`;
  const rows: NewRow[] = [];
  if (!entry.billable) {
    rows.push({ ...base, kind: 'NON_BILLABLE', minutes: -entry.minutes, businessKey: key('non-billable') });
  } else {
    const billed = roundMinutes(entry.minutes, terms.rounding);
    const data = { rawMinutes: entry.minutes, rounding: terms.rounding } as Prisma.InputJsonValue;
    if (entry.outOfScope) rows.push({ ...base, kind: 'OUT_OF_SCOPE', minutes: -billed, businessKey: key('out-of-scope'), data });
    else if (terms.type === 'TIME_AND_MATERIALS') rows.push({ ...base, kind: 'HOURLY', minutes: -billed, businessKey: key('hourly'), data });
    else if (terms.type === 'MONTHLY_FIXED') rows.push({ ...base, kind: 'INCLUDED', minutes: -billed, businessKey: key('included'), data });
    else {
      const blocks = await blockBalances(tx, entry.contract.id);
      const split = allocateMinutes(billed, blocks, consumptionOrderOf(terms), at);
      for (const part of split.parts) {
        rows.push({ ...base, kind: 'BLOCK_CONSUMPTION', blockId: part.blockId, minutes: -part.minutes, businessKey: key(part.blockId), data });
      }
      if (split.overageMinutes > 0 || billed === 0) rows.push({ ...base, kind: 'OVERAGE', minutes: -split.overageMinutes, businessKey: key('overage'), data });
    }
  }
  const written = await appendRows(tx, entry.contract.id, rows);
  return { status: 'allocated', rows: written, billedMinutes: written.reduce((s, r) => s - r.minutes, 0) };
}

/** Cancels every row of a time entry with reversing rows (its correction is then allocated anew). */
export async function reverseTimeEntryTx(tx: Tx, timeEntryId: string, reason: string): Promise<LedgerRow[]> {
  const originals = await tx.contractLedgerEntry.findMany({ where: { timeEntryId, reversesId: null } });
  if (originals.length === 0) return [];
  await lockContract(tx, originals[0].contractId);
  return appendRows(
    tx,
    originals[0].contractId,
    originals.map((r) => ({
      kind: r.kind,
      blockId: r.blockId,
      minutes: -r.minutes,
      timeEntryId,
      reversesId: r.id,
      occurredAt: r.occurredAt,
      businessKey: `reverse:${r.id}`,
      note: reason.slice(0, 500),
    })),
  );
}

/**
 * Expires the blocks whose expiry day is on or before `at`: what is left is written off
 * (BLOCK_EXPIRY) and, if the contract rolls over, up to rollover.maxMinutes becomes a new block
 * valid rollover.validMonths from the expiry day. Idempotent per block.
 */
export async function expireBlocksTx(tx: Tx, contract: { id: string; type: ContractTerms['type']; terms: unknown }, at: Date): Promise<LedgerRow[]> {
  const terms = termsOrNull(contract);
  if (terms?.type !== 'BLOCK_HOURS') return [];
  await lockContract(tx, contract.id);
  const written: LedgerRow[] = [];
  for (const block of await blockBalances(tx, contract.id)) {
    if (!block.expiresOn || block.expiresOn.getTime() > at.getTime() || block.remaining <= 0) continue;
    const { carried, expired } = rolloverSplit(block.remaining, terms.rollover ? terms.rollover.maxMinutes : 0);
    written.push(
      ...(await appendRows(tx, contract.id, [
        { kind: 'BLOCK_EXPIRY', blockId: block.blockId, minutes: -expired, occurredAt: block.expiresOn, businessKey: `expire:${block.blockId}`, note: 'unused time at expiry' },
      ])),
    );
    if (carried > 0 && terms.rollover) {
      const until = new Date(block.expiresOn);
      until.setUTCMonth(until.getUTCMonth() + terms.rollover.validMonths);
      const { row } = await creditBlockTx(tx, contract.id, {
        businessKey: `credit:${block.blockId}:rollover`,
        minutes: carried,
        priceCents: 0,
        occurredAt: block.expiresOn,
        expiresOn: until,
        note: 'rollover of unused time',
        data: { rolledOverFrom: block.blockId },
      });
      written.push(row);
    }
  }
  return written;
}
