import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../../lib/config';
import { ensureTemporalCli } from '../../lib/temporal/cli-binary';
import { registerSearchAttributes, startTemporalDevServer, type DevServer } from '../../lib/temporal/dev-server';
import { freePort, freePorts } from '../support/free-port';

const REPO = path.resolve(__dirname, '../..');
const log = { info: () => undefined, warn: () => undefined };
let cliPath: string;
let workDir: string;

beforeAll(async () => {
  cliPath = (await ensureTemporalCli({ cacheDir: loadConfig().cacheDir, log })).path;
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-devserver-test-'));
}, 300_000);
afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));


function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

describe('a real dev server', () => {
  let server: DevServer;
  let connection: Connection;
  let port: number;
  const dbFile = () => path.join(workDir, 'temporal.sqlite');

  beforeAll(async () => {
    let uiPort: number;
    [port, uiPort] = await freePorts(2);
    const started = Date.now();
    server = await startTemporalDevServer({
      cliPath,
      dbFile: dbFile(),
      port,
      uiPort,
      namespace: 'mspflow-test',
      searchAttributes: { ClientId: 'Keyword', Priority: 'Int', DueAt: 'Datetime' },
      log,
    });
    console.log(`dev server start-to-ready: ${Date.now() - started} ms`);
    connection = await Connection.connect({ address: server.address });
  }, 120_000);
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  test('has our namespace and custom search attributes, and serves the UI', async () => {
    expect(server.address).toBe(`127.0.0.1:${port}`);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'mspflow-test' });
    // IndexedValueType: 2 Keyword, 3 Int, 6 Datetime.
    expect(customAttributes).toMatchObject({ ClientId: 2, Priority: 3, DueAt: 6 });
    expect(fs.existsSync(dbFile())).toBe(true);
    const ui = await fetch(server.uiUrl!);
    expect(ui.status).toBe(200);
  });

  test('registerSearchAttributes adds missing ones, skips existing ones, rejects type conflicts', async () => {
    const attributes = { ClientId: 'Keyword', TicketId: 'Keyword' } as const;
    expect(await registerSearchAttributes({ connection, namespace: 'mspflow-test', attributes })).toEqual({
      added: ['TicketId'],
      existing: ['ClientId'],
    });
    expect(await registerSearchAttributes({ connection, namespace: 'mspflow-test', attributes })).toEqual({
      added: [],
      existing: ['ClientId', 'TicketId'],
    });
    await expect(
      registerSearchAttributes({ connection, namespace: 'mspflow-test', attributes: { Priority: 'Keyword' } }),
    ).rejects.toThrow('Priority exists as Int, wanted Keyword');
  });

  test('a second server on the same port fails with a clear message', async () => {
    await expect(
      startTemporalDevServer({ cliPath, dbFile: path.join(workDir, 'other.sqlite'), port, uiPort: null, namespace: 'x', searchAttributes: {}, log }),
    ).rejects.toThrow(`port 127.0.0.1:${port} is already in use by a Temporal server`);
  });

  test('stop() ends the server process', async () => {
    const { pid } = server;
    expect(alive(pid)).toBe(true);
    await connection.close();
    await server.stop();
    expect(alive(pid)).toBe(false);
  }, 30_000);
});

test('a server that cannot start reports its own output', async () => {
  await expect(
    startTemporalDevServer({
      cliPath,
      dbFile: path.join(workDir, 'no-such-dir', 'x.sqlite'),
      port: await freePort(),
      uiPort: null,
      namespace: 'default',
      searchAttributes: {},
      log,
      readyTimeoutMs: 30_000,
    }),
  ).rejects.toThrow(/exited during start-up[\s\S]*Last server output/);
}, 60_000);

test('a server that is not ready in time is stopped and reported', async () => {
  const port = await freePort();
  const error: Error = await startTemporalDevServer({
    cliPath,
    dbFile: path.join(workDir, 'slow.sqlite'),
    port,
    uiPort: null,
    namespace: 'default',
    searchAttributes: {},
    log,
    readyTimeoutMs: 1,
  }).then(
    () => {
      throw new Error('expected a timeout');
    },
    (err: Error) => err,
  );
  expect(error.message).toContain('was not ready within 1 ms');
  // stop() ran: the port is free again.
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer().once('error', reject);
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}, 60_000);

test('the server dies with its parent even when the parent is SIGKILLed', async () => {
  const script = `
    const { startTemporalDevServer } = require('./lib/temporal/dev-server.ts');
    const log = { info: () => {}, warn: () => {} };
    startTemporalDevServer({ cliPath: ${JSON.stringify(cliPath)}, dbFile: ${JSON.stringify(path.join(workDir, 'orphan.sqlite'))},
      port: ${await freePort()}, uiPort: null, namespace: 'default', searchAttributes: { ClientId: 'Keyword' }, log })
      .then((s) => console.log(JSON.stringify({ pid: s.pid })), (err) => { console.error(err.message); process.exit(1); });`;
  const parent = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  parent.stderr.on('data', (d) => (stderr += d));
  const serverPid = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (d) => resolve(JSON.parse(String(d)).pid));
    parent.once('exit', (code) => reject(new Error(`parent exited (${code}) before the server was ready: ${stderr}`)));
  });
  expect(alive(serverPid)).toBe(true);

  parent.kill('SIGKILL');
  expect(await waitUntilGone(serverPid, 15_000)).toBe(true);
}, 120_000);
