/**
 * Which prepaid blocks a time entry's minutes come from. Pure: the ledger service feeds it the
 * blocks' current balances (computed from the ledger under a lock on the contract) and writes one
 * consumption row per part it returns, plus an overage row for what no block could cover.
 */
export type ConsumptionOrder = 'oldest-first' | 'expiring-first';

export interface BlockBalance {
  blockId: string;
  /** Minutes left (credit minus consumption and expiry so far). */
  remaining: number;
  /** When the block was bought / credited. */
  creditedAt: Date;
  /** First day the block can no longer be used (UTC date); null: never expires. */
  expiresOn: Date | null;
}

export interface Allocation {
  parts: Array<{ blockId: string; minutes: number }>;
  overageMinutes: number;
}

/** A block is usable for work done at `at` while at is before its expiry day. */
export function usableAt(block: BlockBalance, at: Date): boolean {
  return block.remaining > 0 && (block.expiresOn === null || at.getTime() < block.expiresOn.getTime());
}

export function orderBlocks(blocks: BlockBalance[], order: ConsumptionOrder): BlockBalance[] {
  const byCredit = (a: BlockBalance, b: BlockBalance) => a.creditedAt.getTime() - b.creditedAt.getTime() || a.blockId.localeCompare(b.blockId);
  if (order === 'oldest-first') return [...blocks].sort(byCredit);
  return [...blocks].sort((a, b) => {
    const ea = a.expiresOn?.getTime() ?? Number.POSITIVE_INFINITY;
    const eb = b.expiresOn?.getTime() ?? Number.POSITIVE_INFINITY;
    return ea === eb ? byCredit(a, b) : ea < eb ? -1 : 1;
  });
}

/** Splits `minutes` across the usable blocks in the contract's order; the rest is overage. */
export function allocateMinutes(minutes: number, blocks: BlockBalance[], order: ConsumptionOrder, at: Date): Allocation {
  if (!Number.isInteger(minutes) || minutes < 0) throw new RangeError(`minutes must be a non-negative integer, got ${minutes}`);
  let left = minutes;
  const parts: Allocation['parts'] = [];
  for (const block of orderBlocks(blocks.filter((b) => usableAt(b, at)), order)) {
    if (left === 0) break;
    const take = Math.min(left, block.remaining);
    parts.push({ blockId: block.blockId, minutes: take });
    left -= take;
  }
  return { parts, overageMinutes: left };
}

/**
 * Rollover at the end of a period: a block with `remaining` minutes left expires, and up to
 * `maxMinutes` of it carries over as a new block (0 or no rollover: everything expires).
 */
export function rolloverSplit(remaining: number, maxMinutes: number | null): { carried: number; expired: number } {
  if (remaining <= 0) return { carried: 0, expired: 0 };
  const carried = maxMinutes === null ? remaining : Math.max(0, Math.min(remaining, maxMinutes));
  return { carried, expired: remaining };
}
