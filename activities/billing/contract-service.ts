import crypto from 'node:crypto';
import { assertClientAccess, clientScope, type Actor } from '../../lib/access';
import type { ContractType, Prisma, PrismaClient } from '../../lib/db/prisma';
import { NotFoundError, ValidationError } from '../../lib/errors';
import { minutesPerUnit, parseTerms, termsProblems } from './contract-terms';
import { LEDGER_TX, allocateTimeEntryTx, creditBlockTx, ensureInitialBlockTx, expireBlocksTx, lockContract } from './ledger-service';
import { checkBlockAlerts, type BlockAlertDeps } from './block-alerts';

/**
 * Contracts as billing sees them: create / read / update / deactivate with terms validated per
 * type, top-ups of block contracts and block expiry with rollover. Every problem of an input is
 * reported at once (ValidationError with `problems`, HTTP 400).
 */
export interface ContractDeps extends BlockAlertDeps {
  prisma: PrismaClient;
}

export interface BillingContractInput {
  clientId: string;
  name: string;
  type: ContractType;
  startsOn: string;
  endsOn?: string | null;
  slaPolicyId?: string | null;
  terms: unknown;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
function parseDay(value: string | null | undefined, field: string, problems: string[]): Date | null {
  if (value === undefined || value === null) return null;
  const d = new Date(`${value}T00:00:00Z`);
  if (!DATE.test(value) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) {
    problems.push(`${field}: ${JSON.stringify(value)} is not a real date YYYY-MM-DD`);
    return null;
  }
  return d;
}

export function presentBillingContract(row: Prisma.ContractModel) {
  return { ...row, startsOn: row.startsOn.toISOString().slice(0, 10), endsOn: row.endsOn ? row.endsOn.toISOString().slice(0, 10) : null };
}

export async function createBillingContract(deps: ContractDeps, actor: Actor, input: BillingContractInput) {
  assertClientAccess(actor, input.clientId);
  const problems: string[] = [];
  if (!input.name?.trim()) problems.push('name: must not be empty');
  const startsOn = parseDay(input.startsOn, 'startsOn', problems);
  const endsOn = parseDay(input.endsOn, 'endsOn', problems);
  if (startsOn && endsOn && endsOn < startsOn) problems.push('endsOn: is before startsOn');
  problems.push(...termsProblems(input.type, input.terms));
  const client = await deps.prisma.client.findUnique({ where: { id: input.clientId }, select: { id: true } });
  if (!client) throw new NotFoundError(`Client ${input.clientId}`);
  if (input.slaPolicyId) {
    const policy = await deps.prisma.slaPolicy.findUnique({ where: { id: input.slaPolicyId }, select: { calendar: { select: { clientId: true } } } });
    const owner = policy?.calendar.clientId;
    if (!policy || (owner !== null && owner !== input.clientId)) problems.push(`slaPolicyId: ${input.slaPolicyId} is not an SLA policy of this client or an MSP-wide one`);
  }
  if (problems.length) throw new ValidationError(`Invalid contract: ${problems.join('; ')}`, { problems });
  const terms = parseTerms(input.type, input.terms);
  const { type: _type, ...storedTerms } = terms;
  return deps.prisma.$transaction(async (tx) => {
    const row = await tx.contract.create({
      data: { clientId: input.clientId, name: input.name.trim(), type: input.type, startsOn: startsOn!, endsOn, slaPolicyId: input.slaPolicyId ?? null, terms: storedTerms as Prisma.InputJsonValue },
    });
    await ensureInitialBlockTx(tx, row);
    return presentBillingContract(row);
  }, LEDGER_TX);
}

async function findContract(deps: { prisma: PrismaClient }, actor: Actor, id: string) {
  const row = await deps.prisma.contract.findFirst({ where: { id, ...clientScope(actor) } });
  if (!row) throw new NotFoundError(`Contract ${id}`);
  return row;
}

export async function getBillingContract(deps: { prisma: PrismaClient }, actor: Actor, id: string) {
  return presentBillingContract(await findContract(deps, actor, id));
}

export async function listBillingContracts(deps: { prisma: PrismaClient }, actor: Actor, filter: { clientId?: string; active?: boolean }) {
  if (filter.clientId) assertClientAccess(actor, filter.clientId);
  const rows = await deps.prisma.contract.findMany({
    where: { AND: [clientScope(actor), filter.clientId ? { clientId: filter.clientId } : {}], ...(filter.active !== undefined ? { active: filter.active } : {}) },
    orderBy: [{ startsOn: 'desc' }, { createdAt: 'desc' }],
  });
  return rows.map(presentBillingContract);
}

/**
 * Changes name, end date, active flag or terms (validated as a whole for the contract's type).
 * New terms apply to entries booked from now on; entries left unbooked because the old terms did
 * not validate are booked now.
 */
export async function updateBillingContract(deps: ContractDeps, actor: Actor, id: string, input: { name?: string; endsOn?: string | null; active?: boolean; terms?: unknown }) {
  const current = await findContract(deps, actor, id);
  const problems: string[] = [];
  if (input.name !== undefined && !input.name.trim()) problems.push('name: must not be empty');
  const endsOn = input.endsOn === undefined ? current.endsOn : parseDay(input.endsOn, 'endsOn', problems);
  if (endsOn && endsOn < current.startsOn) problems.push('endsOn: is before startsOn');
  if (input.terms !== undefined) problems.push(...termsProblems(current.type, input.terms));
  if (problems.length) throw new ValidationError(`Invalid contract: ${problems.join('; ')}`, { problems });
  const storedTerms = input.terms !== undefined ? (({ type: _t, ...rest }) => rest)(parseTerms(current.type, input.terms)) : undefined;
  const row = await deps.prisma.$transaction(async (tx) => {
    await lockContract(tx, id);
    const updated = await tx.contract.update({
      where: { id },
      data: { ...(input.name !== undefined ? { name: input.name.trim() } : {}), endsOn, ...(input.active !== undefined ? { active: input.active } : {}), ...(storedTerms ? { terms: storedTerms as Prisma.InputJsonValue } : {}) },
    });
    await ensureInitialBlockTx(tx, updated);
    const unbooked = await tx.timeEntry.findMany({ where: { contractId: id, correctedBy: null, NOT: { id: { in: (await tx.contractLedgerEntry.findMany({ where: { contractId: id, timeEntryId: { not: null } }, select: { timeEntryId: true }, distinct: ['timeEntryId'] })).map((r) => r.timeEntryId!) } } }, select: { id: true } });
    for (const e of unbooked) await allocateTimeEntryTx(tx, e.id);
    return updated;
  }, LEDGER_TX);
  await checkBlockAlerts(deps, id);
  return presentBillingContract(row);
}

/** Contracts are never deleted (their ledger is history): deactivating stops new entries using them. */
export async function deactivateBillingContract(deps: ContractDeps, actor: Actor, id: string) {
  return updateBillingContract(deps, actor, id, { active: false });
}

export interface TopUpInput {
  /** In the contract's unit (hours or days). */
  quantity: number;
  priceCents: number;
  /** YYYY-MM-DD; default today. */
  purchasedOn?: string;
  expiresOn?: string | null;
  idempotencyKey?: string;
  note?: string;
}

/** Adds a prepaid block to a block contract, once per idempotency key; re-arms the usage alerts for the new total. */
export async function addTopUp(deps: ContractDeps, actor: Actor, contractId: string, input: TopUpInput) {
  const contract = await findContract(deps, actor, contractId);
  const problems: string[] = [];
  if (contract.type !== 'BLOCK_HOURS') problems.push(`contract: ${contract.type} contracts have no prepaid blocks`);
  if (!(input.quantity > 0) || input.quantity > 100_000) problems.push('quantity: must be more than 0 (at most 100000)');
  if (!Number.isInteger(input.priceCents) || input.priceCents < 0) problems.push('priceCents: must be a whole number of cents, 0 or more');
  const purchasedOn = parseDay(input.purchasedOn ?? new Date().toISOString().slice(0, 10), 'purchasedOn', problems);
  const expiresOn = parseDay(input.expiresOn ?? null, 'expiresOn', problems);
  if (purchasedOn && expiresOn && expiresOn <= purchasedOn) problems.push('expiresOn: must be after purchasedOn');
  const terms = problems.length === 0 ? parseTerms(contract.type, contract.terms) : null;
  if (problems.length || terms?.type !== 'BLOCK_HOURS') throw new ValidationError(`Invalid top-up: ${problems.join('; ')}`, { problems });
  const minutes = Math.round(input.quantity * minutesPerUnit(terms));
  const result = await deps.prisma.$transaction(async (tx) => {
    await lockContract(tx, contractId);
    return creditBlockTx(tx, contractId, {
      businessKey: `credit:${contractId}:topup:${input.idempotencyKey ?? crypto.randomUUID()}`,
      minutes,
      priceCents: input.priceCents,
      occurredAt: purchasedOn!,
      expiresOn,
      note: input.note?.slice(0, 500) || 'top-up',
    });
  }, LEDGER_TX);
  await checkBlockAlerts(deps, contractId);
  return result;
}

/** Expires the contract's blocks due by `at` (default now), rolling over what the terms allow. */
export async function expireBlocks(deps: ContractDeps, actor: Actor, contractId: string, at: Date = new Date()) {
  const contract = await findContract(deps, actor, contractId);
  return deps.prisma.$transaction((tx) => expireBlocksTx(tx, contract, at), LEDGER_TX);
}
