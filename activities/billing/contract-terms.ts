import { z } from 'zod';
import type { ContractType } from '../../lib/db/prisma';
import { ValidationError } from '../../lib/errors';
import type { RoundingRule } from '../../lib/billing/rounding';
import type { ConsumptionOrder } from '../../lib/billing/allocation';

/**
 * Contract terms per contract type, validated with zod. `Contract.terms` is JSON in the database;
 * everything that bills reads it through parseTerms, so a contract with bad terms is refused with
 * every problem listed (HTTP 400) instead of billing wrongly.
 *
 * Money is in cents of the contract's currency; rates are per hour.
 */
const cents = z.number().int().min(0);
const minutes = z.number().int().min(0);
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

const rounding = z
  .object({
    incrementMinutes: z.number().int().min(0).max(480).default(0).describe('round each entry up to a multiple of this (0: none)'),
    minimumMinutes: z.number().int().min(0).max(480).default(0).describe('bill at least this per entry (0: none)'),
  })
  .strict()
  .default({ incrementMinutes: 0, minimumMinutes: 0 });

const common = {
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like EUR').default('EUR'),
  rounding,
  /** Rate for out-of-scope work; defaults to the T&M rate where there is one. */
  outOfScopeRateCents: cents.optional(),
  /** Whether entries under this contract are billable unless said otherwise. */
  billableByDefault: z.boolean().default(true),
};

export const monthlyFixedTerms = z
  .object({
    plan: z.enum(['good', 'better', 'best']),
    includedServices: z.array(z.string().min(1).max(200)).max(100).default([]),
    deviceCount: z.number().int().min(0),
    monthlyPriceCents: cents,
    /** Time included per month, for the planned line of reports; null: unlimited / not tracked. */
    includedMinutesPerMonth: minutes.nullable().default(null),
    ...common,
  })
  .strict();

export const blockTerms = z
  .object({
    unit: z.enum(['hours', 'days']).default('hours'),
    /** Length of a day for day blocks. */
    minutesPerDay: z.number().int().min(60).max(1440).default(480),
    consumptionOrder: z.enum(['oldest-first', 'expiring-first']).default('oldest-first'),
    overageRateCents: cents,
    /** The block bought with the contract (written to the ledger as its first credit). */
    initialBlock: z
      .object({ quantity: z.number().positive().max(100_000), priceCents: cents, expiresOn: date.nullable().default(null) })
      .strict()
      .optional(),
    /** Unused time at a block's expiry carries over (up to maxMinutes) as a new block valid validMonths. */
    rollover: z.object({ maxMinutes: minutes, validMonths: z.number().int().min(1).max(60) }).strict().optional(),
    ...common,
  })
  .strict();

export const timeAndMaterialsTerms = z
  .object({
    hourlyRateCents: cents,
    ...common,
  })
  .strict();

export type MonthlyFixedTerms = z.infer<typeof monthlyFixedTerms>;
export type BlockTerms = z.infer<typeof blockTerms>;
export type TimeAndMaterialsTerms = z.infer<typeof timeAndMaterialsTerms>;

export type ContractTerms =
  | ({ type: 'MONTHLY_FIXED' } & MonthlyFixedTerms)
  | ({ type: 'BLOCK_HOURS' } & BlockTerms)
  | ({ type: 'TIME_AND_MATERIALS' } & TimeAndMaterialsTerms);

const schemas = { MONTHLY_FIXED: monthlyFixedTerms, BLOCK_HOURS: blockTerms, TIME_AND_MATERIALS: timeAndMaterialsTerms } as const;

/** Every problem of `terms` for a contract of `type`, as "terms.path: message" lines; [] when valid. */
export function termsProblems(type: ContractType, terms: unknown): string[] {
  const schema = schemas[type];
  if (!schema) return [`type: ${JSON.stringify(type)} is not one of ${Object.keys(schemas).join(', ')}`];
  const parsed = schema.safeParse(terms ?? {});
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => `terms${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${issue.message}`);
}

/** Parsed terms with defaults filled in; throws ValidationError listing every problem. */
export function parseTerms(type: ContractType, terms: unknown): ContractTerms {
  const problems = termsProblems(type, terms);
  if (problems.length > 0) throw new ValidationError(`Invalid contract terms: ${problems.join('; ')}`, { problems });
  return { type, ...schemas[type].parse(terms ?? {}) } as ContractTerms;
}

export function roundingOf(terms: ContractTerms): RoundingRule {
  return terms.rounding;
}

export function consumptionOrderOf(terms: ContractTerms): ConsumptionOrder {
  return terms.type === 'BLOCK_HOURS' ? terms.consumptionOrder : 'oldest-first';
}

/** Minutes in one unit of a block contract (an hour, or a day of minutesPerDay). */
export function minutesPerUnit(terms: BlockTerms): number {
  return terms.unit === 'days' ? terms.minutesPerDay : 60;
}

/** Hourly rate for out-of-scope work: its own rate, else the T&M rate, else the overage rate. */
export function outOfScopeRate(terms: ContractTerms): number {
  if (terms.outOfScopeRateCents !== undefined) return terms.outOfScopeRateCents;
  if (terms.type === 'TIME_AND_MATERIALS') return terms.hourlyRateCents;
  if (terms.type === 'BLOCK_HOURS') return terms.overageRateCents;
  return 0;
}
