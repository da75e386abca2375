import { canAccessClient, clientScope, type Actor } from '../../lib/access';
import { isUniqueViolation, type PrismaClient } from '../../lib/db/prisma';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors';

export interface ClientDeps {
  prisma: PrismaClient;
}

const CODE = /^[a-z0-9][a-z0-9-]{1,39}$/;
const DOMAIN = /^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function isTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export async function createClient(
  deps: ClientDeps,
  input: { code: string; name: string; timezone?: string; locale?: 'fr' | 'en'; domains?: string[] },
) {
  const code = input.code.trim().toLowerCase();
  if (!CODE.test(code)) throw new ValidationError('code must be 2-40 characters: lower-case letters, digits and dashes');
  if (!input.name.trim()) throw new ValidationError('name must not be empty');
  const timezone = input.timezone ?? 'Europe/Paris';
  if (!isTimezone(timezone)) throw new ValidationError(`"${timezone}" is not an IANA time zone`);
  const domains = [...new Set((input.domains ?? []).map((d) => d.trim().toLowerCase().replace(/^@/, '')))];
  const bad = domains.filter((d) => !DOMAIN.test(d));
  if (bad.length) throw new ValidationError(`not a domain name: ${bad.join(', ')}`);
  try {
    return await deps.prisma.client.create({
      data: {
        code,
        name: input.name.trim(),
        timezone,
        locale: input.locale ?? 'fr',
        domains: { create: domains.map((domain) => ({ domain })) },
      },
      include: { domains: { select: { domain: true } } },
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError('A client with this code or one of these domains already exists');
    throw err;
  }
}

export function listClients(deps: ClientDeps, actor: Actor) {
  const scope = clientScope(actor);
  return deps.prisma.client.findMany({
    where: scope.clientId ? { id: scope.clientId } : {},
    orderBy: { code: 'asc' },
    include: { domains: { select: { domain: true } } },
  });
}

export async function getClient(deps: ClientDeps, actor: Actor, id: string) {
  const client = await deps.prisma.client.findUnique({ where: { id }, include: { domains: { select: { domain: true } } } });
  // Same answer for "absent" and "not yours", so client ids do not leak across tenants.
  if (!client || !canAccessClient(actor, client.id)) throw new NotFoundError(`Client ${id}`);
  return client;
}
