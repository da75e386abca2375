import fs from 'node:fs';
import { Client as PgClient } from 'pg';
import type { HarnessInfo } from './paths';

export default async function globalTeardown(): Promise<void> {
  const file = process.env.MSPFLOW_TEST_HARNESS;
  let info: HarnessInfo | undefined;
  if (file && fs.existsSync(file)) {
    const h = (info = JSON.parse(fs.readFileSync(file, 'utf8')) as HarnessInfo);
    const admin = new PgClient({ connectionString: h.adminDatabaseUrl });
    await admin.connect().then(
      () => admin.query(`DROP DATABASE IF EXISTS ${h.templateDatabase} WITH (FORCE)`).finally(() => admin.end()),
      () => undefined,
    );
  }
  const stops = (globalThis as { __harnessStops?: Array<() => Promise<unknown>> }).__harnessStops ?? [];
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  if (info) fs.rmSync(info.runDir, { recursive: true, force: true });
}
