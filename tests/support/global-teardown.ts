import fs from 'node:fs';
import { Client as PgClient } from 'pg';
import { harnessFile, type HarnessInfo } from './paths';

export default async function globalTeardown(): Promise<void> {
  if (fs.existsSync(harnessFile)) {
    const info = JSON.parse(fs.readFileSync(harnessFile, 'utf8')) as HarnessInfo;
    const admin = new PgClient({ connectionString: info.adminDatabaseUrl });
    await admin.connect().then(
      () => admin.query(`DROP DATABASE IF EXISTS ${info.templateDatabase} WITH (FORCE)`).finally(() => admin.end()),
      () => undefined,
    );
  }
  const stops = (globalThis as { __harnessStops?: Array<() => Promise<unknown>> }).__harnessStops ?? [];
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}
