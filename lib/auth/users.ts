import type { Actor, Role } from '../access';
import { isUniqueViolation, type PrismaClient } from '../db/prisma';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { generateToken, hashToken, looksLikeToken } from './tokens';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function createUser(
  prisma: PrismaClient,
  input: { email: string; name: string; role: Role; clientIds?: string[] },
) {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email)) throw new ValidationError(`"${input.email}" is not an email address`);
  if (!input.name.trim()) throw new ValidationError('name must not be empty');
  try {
    return await prisma.user.create({
      data: {
        email,
        name: input.name.trim(),
        role: input.role,
        allClients: !input.clientIds,
        clientAccess: input.clientIds?.length ? { create: input.clientIds.map((clientId) => ({ clientId })) } : undefined,
      },
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`A user with email ${email} already exists`);
    throw err;
  }
}

/** Issues a token for a user; the returned plain token is never stored or shown again. */
export async function issueToken(prisma: PrismaClient, userId: string, name: string, expiresAt?: Date) {
  const user = await prisma.user.findUnique({ where: { id: userId }, select: { id: true } });
  if (!user) throw new NotFoundError(`User ${userId}`);
  const { token, prefix, hash } = generateToken();
  const row = await prisma.apiToken.create({ data: { userId, name, prefix, tokenHash: hash, expiresAt } });
  return { id: row.id, token, prefix };
}

/** The Actor behind a bearer token, or null when the token is unknown, revoked or expired. */
export async function actorForToken(prisma: PrismaClient, token: string): Promise<Actor | null> {
  if (!looksLikeToken(token)) return null;
  const row = await prisma.apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { user: { include: { clientAccess: { select: { clientId: true } } } } },
  });
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= new Date()) || !row.user.active) return null;
  // Best effort: a failed timestamp update must not fail the request.
  prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
  const clientIds = row.user.allClients ? 'all' : row.user.clientAccess.map((a) => a.clientId);
  return { kind: 'user', userId: row.user.id, role: row.user.role, clientIds };
}
