import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client';

export { Prisma } from '../../generated/prisma/client';
export type { PrismaClient };
export * from '../../generated/prisma/enums';

/** The Prisma client on the `pg` driver adapter: no native engine needed at run time. */
export function createPrisma(databaseUrl: string, opts: { maxConnections?: number } = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: opts.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}

/** Prisma's unique-constraint violation: the row a retry would write already exists. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'P2002';
}
