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

/**
 * A unique-constraint violation: the row a retry would write already exists. Prisma reports it
 * as P2002 from its own queries and as P2010 ("raw query failed") from $queryRaw/$executeRaw.
 */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } } };
  if (e.code === 'P2002') return true;
  const cause = e.code === 'P2010' ? e.meta?.driverAdapterError?.cause : undefined;
  return cause?.kind === 'UniqueConstraintViolation' || cause?.originalCode === '23505';
}
