import { loadConfig } from '../config';
import { embeddedDatabaseUrl } from './embedded-postgres';

/** The URL the stock Prisma CLI should use: DATABASE_URL, else the embedded server's. */
export function prismaCliDatabaseUrl(): string {
  const config = loadConfig();
  return config.database.url ?? embeddedDatabaseUrl(config) ?? 'postgresql://localhost/mspflow';
}
