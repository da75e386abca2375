// `npm run db:migration -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql for
// the changes in prisma/schema.prisma — what `prisma migrate dev --create-only` does, on the
// WebAssembly schema engine. Review the SQL, then apply it with `npm run db:migrate`.
// The migration history is replayed in SHADOW_DATABASE_URL if set (it gets wiped), else in a
// temporary database created on the main server (embedded when DATABASE_URL is unset).
import path from 'node:path';
import { loadConfig } from '../lib/config';
import { createMigration } from '../lib/db/schema-engine';
import { resolveDatabaseUrl } from '../lib/db/resolve-url';

const root = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || process.argv.length > 3) {
    console.error('Usage: npm run db:migration -- <name>   (letters, digits and underscores, e.g. add_ticket_tags)');
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  const database = await resolveDatabaseUrl(config);
  try {
    const { directory } = await createMigration({
      name,
      databaseUrl: database.url,
      shadowDatabaseUrl: config.database.shadowUrl,
      migrationsDir: path.join(root, 'prisma', 'migrations'),
      schemaPath: path.join(root, 'prisma', 'schema.prisma'),
      log: (message) => console.log(message),
    });
    console.log(
      directory
        ? `Review ${path.relative(root, path.join(directory, 'migration.sql'))}, then run npm run db:migrate.`
        : 'No schema changes; nothing written.',
    );
  } finally {
    await database.stop();
  }
}

main().catch((error: Error) => {
  console.error(`db:migration failed: ${error.message}`);
  process.exitCode = 1;
});
