/**
 * How a contract rounds the minutes it bills. The raw minutes stay on the time entry; the ledger
 * records the rounded ones, so the rule can be shown and audited next to the work.
 *
 * - incrementMinutes: round up to the next multiple (0 or 1: no rounding), e.g. 15;
 * - minimumMinutes: bill at least this much per entry (0: no minimum), e.g. 30.
 * Rounding up first, then the minimum: 7 min with {15, 30} bills 30; 40 min bills 45.
 */
export interface RoundingRule {
  incrementMinutes: number;
  minimumMinutes: number;
}

export const NO_ROUNDING: RoundingRule = { incrementMinutes: 0, minimumMinutes: 0 };

export function roundMinutes(raw: number, rule: RoundingRule = NO_ROUNDING): number {
  if (!Number.isInteger(raw) || raw < 0) throw new RangeError(`minutes must be a non-negative integer, got ${raw}`);
  if (raw === 0) return 0;
  const step = rule.incrementMinutes > 1 ? rule.incrementMinutes : 1;
  const rounded = Math.ceil(raw / step) * step;
  return Math.max(rounded, rule.minimumMinutes);
}

/** Amount in cents for minutes at an hourly rate in cents, rounded half away from zero to the cent. */
export function amountCents(minutes: number, hourlyRateCents: number): number {
  const exact = (minutes * hourlyRateCents) / 60;
  return Math.sign(exact) * Math.round(Math.abs(exact));
}
