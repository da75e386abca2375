import path from 'node:path';

export const repoRoot = path.join(__dirname, '..', '..');
/** Scratch space of a test run (gitignored); the harness file tells test files where servers are. */
export const runDir = path.join(repoRoot, 'tests', '.tmp');
export const harnessFile = path.join(runDir, 'harness.json');

export interface HarnessInfo {
  temporalAddress: string;
  /** Maintenance URL of the PostgreSQL server (database `postgres`). */
  adminDatabaseUrl: string;
  /** A migrated database that each test file clones (CREATE DATABASE ... TEMPLATE). */
  templateDatabase: string;
  workflowBundlePath: string;
  temporalCliPath: string | null;
}
