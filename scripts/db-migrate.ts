// `npm run db:migrate`: applies pending migrations from prisma/migrations — what
// `prisma migrate deploy` does, on the WebAssembly schema engine (no engine download).
import path from 'node:path';
import { applyMigrations } from '../lib/db/schema-engine';
import { resolveDatabaseUrl } from '../lib/db/resolve-url';

const root = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const database = await resolveDatabaseUrl();
  try {
    const { applied } = await applyMigrations({
      databaseUrl: database.url,
      migrationsDir: path.join(root, 'prisma', 'migrations'),
      schemaPath: path.join(root, 'prisma', 'schema.prisma'),
      log: (message) => console.log(message),
    });
    console.log(applied.length ? `${applied.length} migration(s) applied.` : 'Database already up to date.');
  } finally {
    await database.stop();
  }
}

main().catch((error: Error) => {
  console.error(`db:migrate failed: ${error.message}`);
  process.exitCode = 1;
});
