import { defineConfig } from 'prisma/config';
import { prismaCliDatabaseUrl } from './lib/db/prisma-cli-url';

// Used by the stock Prisma CLI (`npx prisma migrate dev`, `prisma studio`) for users who have
// the internet; mspflow's own commands (npm run db:migrate / db:migration) do not need it.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: prismaCliDatabaseUrl() },
});
