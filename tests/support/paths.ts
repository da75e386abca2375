import fs from 'node:fs';
import path from 'node:path';

export const repoRoot = path.join(__dirname, '..', '..');
const tmpRoot = path.join(repoRoot, 'tests', '.tmp');

/**
 * Scratch space of one test run (gitignored), per process so that concurrent runs on one
 * machine never share a Temporal SQLite file. Test files find it through this variable, which
 * the global setup sets in the process Jest then runs the tests in.
 */
const HARNESS_VAR = 'MSPFLOW_TEST_HARNESS';

export function newRunDir(): string {
  fs.mkdirSync(tmpRoot, { recursive: true });
  for (const entry of fs.readdirSync(tmpRoot)) {
    const pid = Number(/^run-(\d+)$/.exec(entry)?.[1]);
    if (pid && !alive(pid)) fs.rmSync(path.join(tmpRoot, entry), { recursive: true, force: true });
  }
  const dir = path.join(tmpRoot, `run-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function publishHarness(file: string): void {
  process.env[HARNESS_VAR] = file;
}

export function harnessFile(): string {
  const file = process.env[HARNESS_VAR];
  if (!file) throw new Error(`${HARNESS_VAR} is not set: run the tests through Jest (npm test), whose global setup starts the servers`);
  return file;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface HarnessInfo {
  temporalAddress: string;
  /** Maintenance URL of the PostgreSQL server (database `postgres`). */
  adminDatabaseUrl: string;
  /** A migrated database that each test file clones (CREATE DATABASE ... TEMPLATE). */
  templateDatabase: string;
  workflowBundlePath: string;
  temporalCliPath: string | null;
  runDir: string;
}
