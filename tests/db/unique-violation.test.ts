import { createPrisma, isUniqueViolation, type PrismaClient } from '../../lib/db/prisma';
import { createTestDatabase } from '../support/context';

/**
 * isUniqueViolation decides "this already exists, return the first one" for idempotent creates;
 * Prisma reports the same PostgreSQL error differently from its own queries (P2002) and from raw
 * SQL (P2010), and both must be recognised, and nothing else.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { maxConnections: 2 });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

test('a duplicate key is recognised from the ORM and from raw SQL; other failures are not', async () => {
  await prisma.client.create({ data: { code: 'dup', name: 'First' } });
  const orm = await errorOf(() => prisma.client.create({ data: { code: 'dup', name: 'Second' } }));
  expect(isUniqueViolation(orm)).toBe(true);
  const raw = await errorOf(() => prisma.$executeRaw`INSERT INTO "Client" (id, code, name, "createdAt", "updatedAt") VALUES (gen_random_uuid(), 'dup', 'Raw', now(), now())`);
  expect((raw as { code?: string }).code).toBe('P2010');
  expect(isUniqueViolation(raw)).toBe(true);

  const foreignKey = await errorOf(() => prisma.$executeRaw`INSERT INTO "ClientDomain" (id, "clientId", domain) VALUES (gen_random_uuid(), gen_random_uuid(), 'x.test')`);
  expect(isUniqueViolation(foreignKey)).toBe(false);
  const syntax = await errorOf(() => prisma.$executeRawUnsafe('INSERT INTO nowhere VALUES (1)'));
  expect(isUniqueViolation(syntax)).toBe(false);
  expect(isUniqueViolation(new Error('P2002'))).toBe(false);
});
