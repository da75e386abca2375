import { spawn } from 'node:child_process';
import net from 'node:net';
import { Connection, isGrpcServiceError } from '@temporalio/client';

/**
 * A real single-process Temporal server (`temporal server start-dev`, SQLite persistence) for
 * development and tests, plus search-attribute registration for existing (production) servers.
 */

export type SearchAttributeKind = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/** Wire values of temporal.api.enums.v1.IndexedValueType (stable protobuf enum numbers). */
const INDEXED_VALUE_TYPE: Record<SearchAttributeKind, number> = {
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
};

function kindName(indexedValueType: number): string {
  return (Object.keys(INDEXED_VALUE_TYPE) as SearchAttributeKind[]).find((k) => INDEXED_VALUE_TYPE[k] === indexedValueType) ?? `type#${indexedValueType}`;
}

/** Minimal logger; a pino Logger fits. */
export interface DevServerLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface DevServerOptions {
  cliPath: string;
  dbFile: string;
  port: number;
  /** Web UI port, or null for a headless server. */
  uiPort: number | null;
  namespace: string;
  searchAttributes: Record<string, SearchAttributeKind>;
  ip?: string;
  log: DevServerLog;
  readyTimeoutMs?: number;
}

export interface DevServer {
  /** host:port of the gRPC frontend. */
  address: string;
  uiUrl: string | null;
  /** pid of the `temporal` server process itself. */
  pid: number;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;

/**
 * The server must not outlive us, even if we are SIGKILLed (no exit handler runs then). So we
 * don't spawn `temporal` directly but through this watchdog, a tiny Node process connected to us
 * by an IPC channel. The kernel closes that channel when we die however we die; the watchdog
 * sees 'disconnect' and stops the server (SIGTERM, SIGKILL after a grace period). It also polls
 * its ppid in case the channel somehow stays open. Plain Node, so it works on Linux and macOS,
 * unlike prctl(PR_SET_PDEATHSIG). The watchdog exits with the server, so its exit is the server's.
 */
const WATCHDOG_SOURCE = `
const { spawn } = require('node:child_process');
const [cli, ...args] = process.argv.slice(1);
const parentPid = process.ppid;
const server = spawn(cli, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;
function stopServer() {
  if (stopping) return;
  stopping = true;
  try { server.kill('SIGTERM'); } catch {}
  setTimeout(() => { try { server.kill('SIGKILL'); } catch {} }, ${STOP_GRACE_MS}).unref();
}
server.on('spawn', () => { if (process.connected) process.send({ pid: server.pid }); });
server.on('error', (err) => { console.error('cannot run ' + cli + ': ' + err.message); process.exit(127); });
server.on('exit', (code, signal) => process.exit(code === null ? 128 : code));
process.on('disconnect', stopServer);
process.on('SIGTERM', stopServer);
process.on('SIGINT', stopServer);
setInterval(() => { if (process.ppid !== parentPid) stopServer(); }, 500);
`;

export async function startTemporalDevServer(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const connectHost = ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
  const address = `${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${opts.port}`;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const log = opts.log;

  await assertPortFree(ip, opts.port, 'Temporal gRPC', address);
  if (opts.uiPort !== null) await assertPortFree(ip, opts.uiPort, 'Temporal Web UI');

  const args = ['server', 'start-dev', '--db-filename', opts.dbFile, '--port', String(opts.port), '--ip', ip, '--log-level', 'warn'];
  args.push(...(opts.uiPort === null ? ['--headless'] : ['--ui-port', String(opts.uiPort)]));
  if (opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  for (const [name, kind] of Object.entries(opts.searchAttributes)) {
    if (!(kind in INDEXED_VALUE_TYPE)) throw new Error(`search attribute ${name}: unknown type ${kind}`);
    args.push('--search-attribute', `${name}=${kind}`);
  }

  const started = Date.now();
  const watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, opts.cliPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const outputTail: string[] = [];
  const onOutput = (data: Buffer) => {
    for (const line of data.toString().split(/\r?\n/)) {
      if (!line.trim()) continue;
      outputTail.push(line);
      if (outputTail.length > 30) outputTail.shift();
    }
  };
  watchdog.stdout!.on('data', onOutput);
  watchdog.stderr!.on('data', onOutput);

  let exitInfo: string | undefined;
  let stopRequested = false;
  let isReady = false;
  const exited = new Promise<void>((resolve) =>
    // 'close' rather than 'exit': all output has been read, and the server (which shares the
    // watchdog's pipes) is gone too.
    watchdog.on('close', (code, signal) => {
      exitInfo = signal ? `signal ${signal}` : `code ${code}`;
      if (isReady && !stopRequested) log.warn(`Temporal dev server ${serverPid} exited unexpectedly (${exitInfo})`);
      resolve();
    }),
  );
  const failure = (what: string) =>
    new StartupError(
      `Temporal dev server (${opts.cliPath} ${args.join(' ')}) ${what}.` +
        (outputTail.length ? `\nLast server output:\n  ${outputTail.slice(-15).join('\n  ')}` : '\n(no server output)'),
    );
  const exitedEarly = exited.then((): never => {
    throw failure(`exited during start-up (${exitInfo})`);
  });
  exitedEarly.catch(() => undefined); // only awaited during start-up

  const serverPid = await Promise.race([
    new Promise<number>((resolve) => watchdog.once('message', (m: { pid: number }) => resolve(m.pid))),
    exitedEarly,
  ]);

  const stop = async (): Promise<void> => {
    stopRequested = true;
    if (exitInfo !== undefined) return;
    sendSignal(serverPid, 'SIGTERM');
    const killTimer = setTimeout(() => {
      log.warn(`Temporal dev server ${serverPid} ignored SIGTERM for ${STOP_GRACE_MS} ms; killing it`);
      sendSignal(serverPid, 'SIGKILL');
    }, STOP_GRACE_MS);
    await exited;
    clearTimeout(killTimer);
  };

  const giveUp = new AbortController(); // ends the readiness loop when the server exits first
  try {
    const ready = waitUntilReady(address, opts.namespace, Object.keys(opts.searchAttributes), started + readyTimeoutMs, giveUp.signal);
    await Promise.race([ready, exitedEarly]);
  } catch (err) {
    giveUp.abort();
    await stop();
    if (err instanceof StartupError) throw err;
    throw failure(`was not ready within ${readyTimeoutMs} ms (last error: ${err instanceof Error ? err.message : err})`);
  }

  isReady = true;
  // From here on the server's warnings go to our log, except its shutdown chatter after stop().
  watchdog.stderr!.on('data', (d: Buffer) => {
    if (stopRequested) return;
    for (const line of d.toString().split(/\r?\n/)) if (line.trim()) log.warn(`temporal: ${line}`);
  });
  const uiUrl = opts.uiPort === null ? null : `http://${address.replace(/:\d+$/, '')}:${opts.uiPort}`;
  log.info(`Temporal dev server ready at ${address}${uiUrl ? `, UI ${uiUrl}` : ''} (pid ${serverPid}, ${Date.now() - started} ms)`);
  return { address, uiUrl, pid: serverPid, stop };
}

class StartupError extends Error {}

function sendSignal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Ready = the frontend answers, our namespace exists and our search attributes are registered. */
async function waitUntilReady(
  address: string,
  namespace: string,
  attributes: string[],
  deadline: number,
  signal: AbortSignal,
): Promise<void> {
  let lastError: unknown;
  while (Date.now() < deadline && !signal.aborted) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.workflowService.describeNamespace({ namespace });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = attributes.filter((a) => !customAttributes || !(a in customAttributes));
      if (missing.length === 0) return;
      lastError = new Error(`search attributes not registered yet: ${missing.join(', ')}`);
    } catch (err) {
      lastError = err;
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError ?? 'timed out'));
}

/** Fails early with a clear message instead of the server's bind error deep in its log. */
async function assertPortFree(ip: string, port: number, what: string, temporalAddress?: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, ip, () => probe.close(() => resolve(true)));
  });
  if (free) return;
  let occupant = 'another process';
  if (temporalAddress) {
    try {
      const connection = await Connection.connect({ address: temporalAddress, connectTimeout: 1_000 });
      try {
        const info = await connection.workflowService.getSystemInfo({});
        occupant = `a Temporal server (version ${info.serverVersion || 'unknown'}), maybe a dev server left running`;
      } finally {
        await connection.close();
      }
    } catch {
      /* not Temporal */
    }
  }
  throw new Error(`${what} port ${ip}:${port} is already in use by ${occupant}; stop it or choose another port.`);
}

export interface RegisterSearchAttributesResult {
  added: string[];
  existing: string[];
}

/**
 * Registers custom search attributes on an existing server (idempotent): ones already present
 * with the same type are skipped; one present with another type is an error, since Temporal
 * cannot change a search attribute's type and workflows would fail to upsert it.
 */
export async function registerSearchAttributes(args: {
  connection: Connection;
  namespace: string;
  attributes: Record<string, SearchAttributeKind>;
}): Promise<RegisterSearchAttributesResult> {
  const { connection, namespace, attributes } = args;
  const list = async () => {
    const res = await connection.operatorService.listSearchAttributes({ namespace });
    return { ...(res.systemAttributes ?? {}), ...(res.customAttributes ?? {}) } as Record<string, number>;
  };
  const classify = (current: Record<string, number>) => {
    const conflicts: string[] = [];
    const existing: string[] = [];
    const missing: Record<string, number> = {};
    for (const [name, kind] of Object.entries(attributes)) {
      const want = INDEXED_VALUE_TYPE[kind];
      if (want === undefined) throw new Error(`search attribute ${name}: unknown type ${kind}`);
      if (!(name in current)) missing[name] = want;
      else if (current[name] === want) existing.push(name);
      else conflicts.push(`${name} exists as ${kindName(current[name])}, wanted ${kind}`);
    }
    if (conflicts.length) {
      throw new Error(`Search attributes in namespace ${namespace} conflict with existing ones: ${conflicts.join('; ')}`);
    }
    return { existing, missing };
  };

  const { existing, missing } = classify(await list());
  if (Object.keys(missing).length === 0) return { added: [], existing };
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    // ALREADY_EXISTS: someone registered them concurrently; re-check their types below.
    if (!(isGrpcServiceError(err) && err.code === 6)) throw err;
  }
  const after = classify(await list());
  const stillMissing = Object.keys(after.missing);
  if (stillMissing.length) throw new Error(`search attributes not registered in ${namespace}: ${stillMissing.join(', ')}`);
  return { added: Object.keys(missing), existing };
}
