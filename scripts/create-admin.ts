/**
 * Creates an administrator and prints its API token once:
 *   npm run admin:create -- --email you@msp.example --name "Your Name"
 * There is no default password or token: this command is the only way in on a fresh install.
 */
import { parseArgs } from 'node:util';
import { createUser, issueToken } from '../lib/auth/users';
import { loadConfig } from '../lib/config';
import { createPrisma } from '../lib/db/prisma';
import { resolveDatabaseUrl } from '../lib/db/resolve-url';
import { applyMigrations } from '../lib/db/schema-engine';
import { createLogger } from '../lib/logger';
import { MIGRATIONS_DIR, SCHEMA_PATH } from '../workers/stack';

async function main() {
  const { values } = parseArgs({
    options: { email: { type: 'string' }, name: { type: 'string' }, 'token-name': { type: 'string', default: 'cli' } },
  });
  if (!values.email || !values.name) {
    console.error('usage: npm run admin:create -- --email <address> --name "<full name>" [--token-name <label>]');
    process.exit(2);
  }
  const config = loadConfig();
  const log = createLogger({ log: { ...config.log, level: 'warn' } }, 'admin-create');
  const db = await resolveDatabaseUrl(config, log);
  const prisma = createPrisma(db.url);
  try {
    await applyMigrations({ databaseUrl: db.url, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
    const user = await createUser(prisma, { email: values.email, name: values.name, role: 'ADMIN' });
    const { token } = await issueToken(prisma, user.id, values['token-name']!);
    console.error(`Created admin ${user.email} (${user.id}). Its API token, shown only now:`);
    console.log(token);
  } catch (err) {
    console.error(`admin:create failed: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    await prisma.$disconnect();
    await db.stop();
  }
}

void main();
