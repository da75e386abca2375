import type { Actor } from '../../lib/access';
import { isUniqueViolation, type Prisma, type PrismaClient } from '../../lib/db/prisma';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors';
import type { TemplateDefinition } from '../../workflows/onboarding/definitions';
import { STANDARD_TEMPLATE_KEY, standardTemplate } from './default-template';
import { parseTemplateDefinition } from './template-definition';

/**
 * Checklist templates as versioned data. A version is never changed: saving writes version n+1,
 * so an onboarding that started on version n keeps running it.
 */
export interface TemplateDeps {
  prisma: PrismaClient;
}

export interface TemplateView {
  id: string;
  key: string;
  version: number;
  name: string;
  definition: TemplateDefinition;
  createdBy: string;
  createdAt: Date;
}

const KEY = /^[a-z0-9][a-z0-9-]{1,39}$/;

const present = (row: Prisma.OnboardingTemplateModel): TemplateView => ({ ...row, definition: row.definition as unknown as TemplateDefinition });

export const actorName = (actor: Actor) => (actor.kind === 'user' ? actor.userId : `system:${actor.component}`);

/** Writes the standard template as version 1 if no version of it exists yet (idempotent). */
export async function ensureStandardTemplate(deps: TemplateDeps): Promise<void> {
  await deps.prisma.onboardingTemplate.createMany({
    data: [{ key: STANDARD_TEMPLATE_KEY, version: 1, name: 'Standard MSP onboarding (10 steps)', definition: standardTemplate as unknown as Prisma.InputJsonValue, createdBy: 'system:seed' }],
    skipDuplicates: true,
  });
}

/** The latest version of every template. */
export async function listTemplates(deps: TemplateDeps): Promise<TemplateView[]> {
  await ensureStandardTemplate(deps);
  const rows = await deps.prisma.onboardingTemplate.findMany({ orderBy: [{ key: 'asc' }, { version: 'desc' }], distinct: ['key'] });
  return rows.map(present);
}

export async function getTemplate(deps: TemplateDeps, key: string, version?: number): Promise<TemplateView> {
  await ensureStandardTemplate(deps);
  const row = await deps.prisma.onboardingTemplate.findFirst({
    where: { key, ...(version ? { version } : {}) },
    orderBy: { version: 'desc' },
  });
  if (!row) throw new NotFoundError(`Onboarding template ${key}${version ? ` version ${version}` : ''}`);
  return present(row);
}

export async function listTemplateVersions(deps: TemplateDeps, key: string): Promise<Array<Omit<TemplateView, 'definition'>>> {
  await ensureStandardTemplate(deps);
  const rows = await deps.prisma.onboardingTemplate.findMany({ where: { key }, orderBy: { version: 'desc' }, omit: { definition: true } });
  if (!rows.length) throw new NotFoundError(`Onboarding template ${key}`);
  return rows;
}

/**
 * Saves a new version of a template (version 1 for a new key). `basedOnVersion`, when given,
 * must be the latest version: two managers editing at once do not silently overwrite each other.
 */
export async function saveTemplateVersion(
  deps: TemplateDeps,
  actor: Actor,
  key: string,
  input: { name: string; definition: unknown; basedOnVersion?: number },
): Promise<TemplateView> {
  if (!KEY.test(key)) throw new ValidationError('template key must be 2-40 characters: lower-case letters, digits and dashes');
  if (!input.name?.trim()) throw new ValidationError('name must not be empty');
  const definition = parseTemplateDefinition(input.definition);
  await ensureStandardTemplate(deps);
  const latest = await deps.prisma.onboardingTemplate.findFirst({ where: { key }, orderBy: { version: 'desc' }, select: { version: true } });
  const current = latest?.version ?? 0;
  if (input.basedOnVersion !== undefined && input.basedOnVersion !== current) {
    throw new ConflictError(`template ${key} is at version ${current}, not ${input.basedOnVersion}: reload it and apply your change again`);
  }
  try {
    const row = await deps.prisma.onboardingTemplate.create({
      data: { key, version: current + 1, name: input.name.trim(), definition: definition as unknown as Prisma.InputJsonValue, createdBy: actorName(actor) },
    });
    return present(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`template ${key} was changed at the same time; reload it and apply your change again`);
    throw err;
  }
}
