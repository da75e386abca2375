import { z } from 'zod';
import { ValidationError } from '../../lib/errors';
import { AUTOMATIONS, EVIDENCE_TYPES, OWNER_ROLES, type TemplateDefinition } from '../../workflows/onboarding/definitions';

const KEY = /^[a-z0-9][a-z0-9-]{1,59}$/;

const item = z
  .object({
    key: z.string().regex(KEY, 'lower-case letters, digits and dashes'),
    title: z.string().trim().min(1).max(200),
    owner: z.enum(OWNER_ROLES as [string, ...string[]]),
    dueDays: z.number().min(0).max(365),
    required: z.boolean(),
    evidence: z.enum(EVIDENCE_TYPES as [string, ...string[]]),
    fields: z.array(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,39}$/)).max(30).optional(),
    automation: z.enum(AUTOMATIONS as [string, ...string[]]).optional(),
    after: z.array(z.string()).max(30).optional(),
    waitDays: z.number().min(0).max(365).optional(),
    requestByEmail: z.boolean().optional(),
  })
  .strict();

const definition = z
  .object({
    escalateAfterDays: z.number().min(0).max(60),
    steps: z
      .array(
        z
          .object({
            number: z.number().int().min(1).max(10),
            title: z.string().trim().min(1).max(200),
            after: z.array(z.number().int().min(1).max(10)).optional(),
            items: z.array(item).min(1).max(50),
          })
          .strict(),
      )
      .length(10),
  })
  .strict();

/**
 * Checks a checklist definition: its shape, then the rules the workflow relies on: steps 1-10
 * once each, unique item keys, `after` naming existing items, gates pointing to earlier steps,
 * no cycle, "field" items listing their fields, email requests only for client items. Every
 * problem is reported at once.
 */
export function parseTemplateDefinition(input: unknown): TemplateDefinition {
  const parsed = definition.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(definition)'}: ${i.message}`);
    throw new ValidationError(`Invalid checklist template: ${problems.join('; ')}`, { problems });
  }
  const def = parsed.data as TemplateDefinition;
  const problems: string[] = [];
  const numbers = def.steps.map((s) => s.number).sort((a, b) => a - b);
  if (numbers.join(',') !== '1,2,3,4,5,6,7,8,9,10') problems.push('steps: must be numbered 1 to 10, once each');
  const keys = new Map<string, number>();
  for (const step of def.steps) {
    for (const g of step.after ?? []) if (g >= step.number) problems.push(`step ${step.number}: its gate may only wait for earlier steps (not ${g})`);
    for (const it of step.items) {
      if (keys.has(it.key)) problems.push(`item "${it.key}" appears twice`);
      keys.set(it.key, step.number);
      if (it.evidence === 'field' && !it.fields?.length) problems.push(`item "${it.key}": evidence "field" needs a list of fields`);
      if (it.requestByEmail && it.owner !== 'client') problems.push(`item "${it.key}": only client items can be requested by email`);
      if (it.automation && it.requestByEmail) problems.push(`item "${it.key}": an automated item cannot also be requested by email`);
    }
  }
  const afters = new Map(def.steps.flatMap((s) => s.items.map((i) => [i.key, i.after ?? []] as const)));
  for (const [key, after] of afters) for (const a of after) if (!keys.has(a)) problems.push(`item "${key}": after names unknown item "${a}"`);
  // Cycles through item-level `after` (step gates only point backwards, checked above).
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, path: string[]): void => {
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') {
      problems.push(`items wait for each other in a cycle: ${[...path, key].join(' -> ')}`);
      return;
    }
    state.set(key, 'visiting');
    for (const a of afters.get(key) ?? []) if (keys.has(a)) visit(a, [...path, key]);
    state.set(key, 'done');
  };
  for (const key of afters.keys()) visit(key, []);
  if (problems.length) throw new ValidationError(`Invalid checklist template: ${problems.join('; ')}`, { problems });
  return def;
}
