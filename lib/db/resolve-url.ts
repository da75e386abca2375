import { loadConfig, type Config } from '../config';
import { createLogger, type Logger } from '../logger';
import { startEmbeddedPostgres } from './embedded-postgres';

/**
 * The database the project commands (db:migrate, db:migration, admin:create) work on:
 * DATABASE_URL when set, else the embedded server under DATA_DIR: the running one when
 * `npm start` is up, otherwise started for the command and stopped afterwards.
 */
export async function resolveDatabaseUrl(
  config: Config = loadConfig(),
  log: Logger = createLogger({ log: { ...config.log, level: 'warn' } }, 'mspflow-cli'),
): Promise<{ url: string; stop(): Promise<void> }> {
  if (config.database.url) return { url: config.database.url, stop: async () => undefined };
  const pg = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort, log, ifRunning: 'reuse' });
  return { url: pg.url, stop: () => pg.stop() };
}
