import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Client as PgClient } from 'pg';
import { loadConfig } from '../../lib/config';
import { startEmbeddedPostgres } from '../../lib/db/embedded-postgres';
import { applyMigrations } from '../../lib/db/schema-engine';
import { createLogger } from '../../lib/logger';
import { ensureTemporalCli } from '../../lib/temporal/cli-binary';
import { connectionOptions } from '../../lib/temporal/connection';
import { registerSearchAttributes, startTemporalDevServer } from '../../lib/temporal/dev-server';
import { searchAttributeTypes } from '../../workflows/definitions';
import { workflowsPath } from '../../workers/temporal-worker';
import { MIGRATIONS_DIR, SCHEMA_PATH } from '../../workers/stack';
import { freePort } from './free-port';
import { newRunDir, publishHarness, type HarnessInfo } from './paths';

/**
 * Starts the real servers once per test run: a Temporal dev server and an embedded PostgreSQL,
 * unless TEMPORAL_ADDRESS / DATABASE_URL name existing ones. Migrates a template database that
 * each test file clones, and bundles the workflow code once.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  const log = createLogger({ log: { level: 'warn', format: 'json' } }, 'test-harness');
  const runDir = newRunDir();
  const stops: Array<() => Promise<unknown>> = [];
  (globalThis as { __harnessStops?: typeof stops }).__harnessStops = stops;

  let temporalAddress = config.temporal.address;
  let temporalCliPath: string | null = null;
  if (!temporalAddress) {
    const cli = await ensureTemporalCli({ cacheDir: config.cacheDir, explicitPath: config.temporal.dev.cliPath, log });
    temporalCliPath = cli.path;
    const dev = await startTemporalDevServer({
      cliPath: cli.path,
      dbFile: path.join(runDir, 'temporal.sqlite'),
      port: await freePort(),
      uiPort: null,
      namespace: config.temporal.namespace,
      searchAttributes: searchAttributeTypes,
      log,
    });
    stops.push(() => dev.stop());
    temporalAddress = dev.address;
  } else {
    const connection = await Connection.connect(connectionOptions(config, temporalAddress));
    await registerSearchAttributes({ connection, namespace: config.temporal.namespace, attributes: searchAttributeTypes });
    await connection.close();
  }

  let adminDatabaseUrl: string;
  if (config.database.url) {
    const url = new URL(config.database.url);
    url.pathname = '/postgres';
    adminDatabaseUrl = url.toString();
  } else {
    const pg = await startEmbeddedPostgres({
      dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-test-pg-')),
      port: await freePort(),
      log,
      database: 'postgres',
    });
    stops.push(() => pg.stop());
    adminDatabaseUrl = pg.adminUrl;
  }

  const templateDatabase = `mspflow_template_${process.pid}`;
  const admin = new PgClient({ connectionString: adminDatabaseUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${templateDatabase}`);
  await admin.end();
  const templateUrl = new URL(adminDatabaseUrl);
  templateUrl.pathname = `/${templateDatabase}`;
  await applyMigrations({ databaseUrl: templateUrl.toString(), migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });

  const bundle = await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
  const workflowBundlePath = path.join(runDir, 'workflow-bundle.js');
  fs.writeFileSync(workflowBundlePath, bundle.code);

  const info: HarnessInfo = { temporalAddress, adminDatabaseUrl, templateDatabase, workflowBundlePath, temporalCliPath, runDir };
  const harnessFile = path.join(runDir, 'harness.json');
  fs.writeFileSync(harnessFile, JSON.stringify(info, null, 2));
  publishHarness(harnessFile);
  console.log(`\ntest harness ready in ${Date.now() - started} ms (Temporal ${temporalAddress})`);
}

const quiet = () => undefined;
const quietBundlerLogger = { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error, log: quiet };
