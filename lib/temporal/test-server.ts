import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, pidAlive, removeDeadStagingDirs } from '../processes';

/**
 * Finds or installs Temporal's time-skipping test server for
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })`.
 *
 * The SDK would otherwise download a native build of it from temporal.download (a GitHub release
 * asset), which fails where only package registries are reachable. The same server is published
 * on Maven Central as the Java artifact io.temporal:temporal-test-server, so we let Maven resolve
 * it with all its runtime dependencies into <cacheDir>/temporal-test-server/<version>/lib and
 * write an executable wrapper script there that runs it on the local JVM.
 */

/** Minimal logger; a pino Logger fits. */
export interface TestServerLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface EnsureTimeSkippingServerOptions {
  /** Root of our cache; the server lands in <cacheDir>/temporal-test-server/<version>/. */
  cacheDir: string;
  /** A version of io.temporal:temporal-test-server on Maven Central. */
  version?: string;
  log: TestServerLog;
}

/**
 * The SDK's own downloader fetches the native build of the newest sdk-java release; this is the
 * newest on Maven Central (2026-11) and was checked with @temporalio/testing 1.24.0 by
 * tests/temporal/time-skipping.test.ts. Its jars are Java 8 bytecode.
 */
export const DEFAULT_TEST_SERVER_VERSION = '1.38.0';
/** Main-Class in the jar's manifest; its main(port, [--enable-time-skipping]) is what the native build runs. */
const MAIN_CLASS = 'io.temporal.testserver.TestServer';
const MIN_JAVA = 8;
/** Pinned so a cold install resolves the same plugin everywhere (the CLI's default floats). */
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const WRAPPER_NAME = 'temporal-test-server';
const LOCK_WAIT_MS = 15 * 60_000;
const SMOKE_TIMEOUT_MS = 60_000;

/**
 * Exec, not a child: the SDK spawns this script and on teardown SIGKILLs the pid it spawned. With
 * `exec` the JVM *is* that pid; otherwise only the shell would die and the orphaned JVM would keep
 * its port and ~100 MB. The SDK cannot kill it if the test process itself dies first (SIGKILL,
 * process.exit(), a CI time-out), so a background watchdog (a child of this pid, which becomes
 * the JVM's) kills the JVM within a second of its parent's death, and exits by itself once the
 * JVM is gone. The jars' directory is found from $0 so the staged install can be renamed into
 * place. The JVM flags favour start-up time and memory (the SDK gives the server 5 s to answer)
 * over peak throughput, which a test server does not need.
 */
/** Shell that picks the java the wrapper runs; the install checks use the same one. */
const RESOLVE_JAVA = 'java=java; if [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java"; fi';

const WRAPPER_SCRIPT = `#!/bin/sh
# Temporal time-skipping test server (io.temporal:temporal-test-server on the JVM), written by
# lib/temporal/test-server.ts. Usage: temporal-test-server <port> [--enable-time-skipping]
dir=$(cd "$(dirname "$0")" && pwd)
${RESOLVE_JAVA}
parent=$PPID self=$$
(while kill -0 "$self" 2>/dev/null; do
  kill -0 "$parent" 2>/dev/null || { kill -9 "$self"; exit; }
  sleep 1
done) </dev/null >/dev/null 2>&1 &
# $TEMPORAL_TEST_SERVER_JAVA_OPTS is split into words on purpose.
exec "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k $TEMPORAL_TEST_SERVER_JAVA_OPTS \\
  -cp "$dir/lib/*" ${MAIN_CLASS} "$@"
`;

export async function ensureTimeSkippingServer(opts: EnsureTimeSkippingServerOptions): Promise<{ executable: string }> {
  const version = opts.version ?? DEFAULT_TEST_SERVER_VERSION;
  // The wrapper is a POSIX shell script; on Windows use the SDK's own download instead.
  if (process.platform === 'win32') throw new Error('ensureTimeSkippingServer supports Linux and macOS only');
  if (!/^[\w.-]+$/.test(version)) throw new Error(`invalid temporal-test-server version: ${version}`);
  const root = path.join(path.resolve(opts.cacheDir), 'temporal-test-server');
  const dir = path.join(root, version);
  const executable = path.join(dir, WRAPPER_NAME);

  // Warm path: file checks only. Java is looked for too, because without it the SDK would only
  // report that the server did not answer within 5 s.
  if (isInstalled(dir)) {
    if (!(await findJava())) throw new Error(installHelp(version, dir, ['java: not found on PATH or in $JAVA_HOME/bin']));
    // A wrapper written by an older version of this code is replaced (atomically: write + rename).
    if (fs.readFileSync(executable, 'utf8') !== WRAPPER_SCRIPT) {
      const temp = `${executable}.${process.pid}.tmp`;
      fs.writeFileSync(temp, WRAPPER_SCRIPT, { mode: 0o755 });
      fs.renameSync(temp, executable);
      opts.log.info(`temporal-test-server ${version}: updated the wrapper script ${executable}`);
    }
    return { executable };
  }

  fs.mkdirSync(root, { recursive: true });
  const release = await acquireLock(path.join(root, `.${version}.lock`), opts.log, () => isInstalled(dir));
  try {
    if (!isInstalled(dir)) await install(version, root, dir, opts.log);
  } finally {
    release();
  }
  return { executable };
}

/** Complete = the wrapper exists: it is written last into the staging dir, which is renamed whole. */
function isInstalled(dir: string): boolean {
  return fs.existsSync(path.join(dir, WRAPPER_NAME)) && fs.existsSync(path.join(dir, 'lib'));
}

async function install(version: string, root: string, dir: string, log: TestServerLog): Promise<void> {
  const started = Date.now();
  const problems = await checkTools();
  if (problems.length) throw new Error(installHelp(version, dir, problems));

  removeDeadStagingDirs(root);
  // Staging beside the target keeps the final rename on one filesystem, hence atomic: a killed
  // install leaves only a .staging dir (removed later), never a half-filled <version> dir.
  const staging = fs.mkdtempSync(path.join(root, `.staging-${process.pid}-`));
  try {
    fs.writeFileSync(path.join(staging, 'pom.xml'), pomXml(version));
    log.info(`temporal-test-server ${version}: resolving it and its runtime dependencies (~40 MB) with Maven; first time only`);
    const mvnArgs = ['-B', '-q', '-f', path.join(staging, 'pom.xml'), `${DEPENDENCY_PLUGIN}:copy-dependencies`,
      '-DincludeScope=runtime', `-DoutputDirectory=${path.join(staging, 'lib')}`];
    try {
      await capture('mvn', mvnArgs);
    } catch (err) {
      throw new Error(installHelp(version, dir, [`mvn failed (Maven Central or a mirror in ~/.m2/settings.xml must be reachable): ${message(err)}`]));
    }
    const jars = fs.readdirSync(path.join(staging, 'lib')).filter((f) => f.endsWith('.jar'));
    const bytes = jars.reduce((n, f) => n + fs.statSync(path.join(staging, 'lib', f)).size, 0);
    log.info(`temporal-test-server ${version}: ${jars.length} jars, ${(bytes / 1e6).toFixed(1)} MB (${Date.now() - started} ms)`);

    const wrapper = path.join(staging, WRAPPER_NAME);
    fs.writeFileSync(wrapper, WRAPPER_SCRIPT, { mode: 0o755 });
    // Starting it once proves java, the classpath and the main class before we publish it.
    const smokeMs = await smokeTest(wrapper);
    log.info(`temporal-test-server ${version}: test start answered in ${smokeMs} ms`);

    fs.chmodSync(staging, 0o755); // mkdtemp made it private
    fs.rmSync(dir, { recursive: true, force: true }); // an incomplete dir from an older layout
    fs.renameSync(staging, dir);
    log.info(`temporal-test-server ${version} installed at ${dir} (${Date.now() - started} ms)`);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** A pom whose only purpose is to name the artifact; slf4j-nop silences slf4j's "no binding" warning. */
function pomXml(version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.mspflow</groupId>
  <artifactId>temporal-test-server-install</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`;
}

/** Problems with java / mvn, each one line; empty when both are usable. */
async function checkTools(): Promise<string[]> {
  const problems: string[] = [];
  const java = await findJava();
  if (!java) {
    problems.push('java: not found on PATH or in $JAVA_HOME/bin');
  } else {
    const out = await capture(java, ['-version']).catch((err: unknown) => `error: ${message(err)}`);
    // "1.8.0_402" is Java 8; "17.0.15" is Java 17.
    const m = /version "(?:1\.)?(\d+)/.exec(out);
    if (!m) problems.push(`java (${java}): cannot tell its version: ${out.trim().split('\n')[0]}`);
    else if (Number(m[1]) < MIN_JAVA) problems.push(`java (${java}) is Java ${m[1]}; Java ${MIN_JAVA} or newer is needed`);
  }
  await capture('mvn', ['-v']).catch((err: unknown) => problems.push(`mvn: not usable (${message(err)})`));
  return problems;
}

function installHelp(version: string, dir: string, problems: string[]): string {
  return [
    `Cannot install Temporal's time-skipping test server (io.temporal:temporal-test-server:${version}):`,
    ...problems.map((p) => `  - ${p}`),
    `It needs Java ${MIN_JAVA}+ (e.g. apt-get install openjdk-17-jre-headless, brew install openjdk@17; or set JAVA_HOME)`,
    '  and Maven 3 (apt-get install maven, brew install maven) with access to Maven Central.',
    'To install by hand: put the jars of that artifact and of its runtime dependencies in',
    `  ${dir}/lib (e.g. mvn dependency:copy-dependencies -DincludeScope=runtime on a pom that depends on it)`,
    `  and an executable ${dir}/${WRAPPER_NAME} containing:`,
    `  exec java -cp '${dir}/lib/*' ${MAIN_CLASS} "$@"`,
  ].join('\n');
}

/** The java the wrapper would run, as an absolute path, or undefined when there is none. */
async function findJava(): Promise<string | undefined> {
  // Asked of sh, which inherits our environment, so this stays the wrapper's own logic.
  const out = await capture('sh', ['-c', `${RESOLVE_JAVA}; command -v "$java"`]).catch(() => '');
  return out.trim() || undefined;
}

/** Starts the wrapper on a free port, waits until it accepts a TCP connection, kills it. */
async function smokeTest(wrapper: string): Promise<number> {
  const port = await freePort();
  const started = Date.now();
  const child = spawn(wrapper, [String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let exited: string | undefined;
  const closed = new Promise<void>((resolve) => child.on('close', (code, signal) => resolve(void (exited = signal ?? String(code)))));
  child.on('error', (err) => (exited = err.message));
  try {
    while (!(await canConnect(port))) {
      if (exited !== undefined) throw new Error(`test start of ${wrapper} exited (${exited}):\n${output.trim().slice(-2000)}`);
      if (Date.now() - started > SMOKE_TIMEOUT_MS) throw new Error(`test start of ${wrapper} did not listen on port ${port} within ${SMOKE_TIMEOUT_MS} ms:\n${output.trim().slice(-2000)}`);
      await sleep(100);
    }
    return Date.now() - started;
  } finally {
    child.kill('SIGKILL');
    await closed;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * An exclusive lock file holding our pid, so concurrent test processes run Maven once (two Maven
 * runs sharing ~/.m2 can also trip over each other). A holder that died leaves a pid that is no
 * longer alive: the lock is then broken. Waiters return early once the install is complete.
 */
async function acquireLock(lockFile: string, log: TestServerLog, done: () => boolean): Promise<() => void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (done()) return () => undefined;
    const holder = Number(readOrEmpty(lockFile));
    if (holder && !pidAlive(holder)) {
      log.warn(`breaking the stale install lock ${lockFile} of dead process ${holder}`);
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for process ${holder} to finish installing (lock ${lockFile})`);
    if (!announced) log.info(`process ${holder || '(starting)'} is installing temporal-test-server (${lockFile}); waiting`);
    announced = true;
    await sleep(500);
  }
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return ''; // written between our EEXIST and this read: retried on the next round
  }
}

/** Runs a command; resolves with stdout+stderr, rejects with their tail on failure. */
function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      out = out.replace(/\x1b\[[0-9;]*m/g, ''); // Maven colours even with -B
      if (code === 0) resolve(out);
      else reject(new Error(`\`${cmd} ${args.join(' ')}\` exited with ${signal ?? code}${out.trim() ? `:\n      ${out.trim().split('\n').slice(-15).join('\n      ')}` : ''}`));
    });
  });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
