/**
 * A real MeshCentral server and real Linux agents on loopback, for tests, benches and demos.
 * The pinned npm package (server + agent binaries) is installed into the cache by install.sh.
 * Recipe and protocol traps: see the README section "RMM agents and patch rollouts".
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { freePort } from '../../lib/processes';

export const MESHCENTRAL_VERSION = '1.1.55';

/** Installs (or finds) the pinned package; returns the directory holding node_modules/meshcentral. */
export function ensureMeshCentralInstalled(): string {
  const out = execFileSync(path.join(__dirname, 'install.sh'), { encoding: 'utf8', env: { ...process.env, MESHCENTRAL_VERSION } });
  return out.trim().split('\n').pop()!;
}

function httpsGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { rejectUnauthorized: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms`);
}

function stopProcess(child: ChildProcess, signal: NodeJS.Signals, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      // Each server runs in its own process group: the launcher, its worker and meshaccelerator.
      process.kill(-child.pid!, signal);
    } catch {
      resolve();
    }
  });
}

export interface LocalMeshCentral {
  url: string;
  port: number;
  user: string;
  password: string;
  dir: string;
  /** SHA-384 of the server's TLS certificate, for pinning. */
  tlsCertHash(): string;
  stop(): Promise<void>;
  /** Starts it again on the same port and data (after stop). */
  start(): Promise<void>;
}

/** Starts a loopback-only MeshCentral with a site admin created offline. */
export async function startMeshCentral(opts: { dir: string; port?: number; log?: (line: string) => void }): Promise<LocalMeshCentral> {
  const installDir = ensureMeshCentralInstalled();
  const entry = path.join(installDir, 'node_modules', 'meshcentral');
  const port = opts.port ?? (await freePort());
  const dataDir = path.join(opts.dir, 'meshcentral-data');
  const filesDir = path.join(opts.dir, 'meshcentral-files');
  fs.mkdirSync(dataDir, { recursive: true });
  const config = {
    settings: {
      cert: '127.0.0.1',
      port,
      portBind: '127.0.0.1',
      aliasPort: port,
      redirPort: 0,
      mpsPort: 0,
      WANonly: true,
      selfUpdate: false,
      noAgentUpdate: true,
      agentPong: 60,
      autoBackup: false,
    },
    domains: { '': { title: 'mspflow', newAccounts: false } },
  };
  fs.writeFileSync(path.join(dataDir, 'config.json'), JSON.stringify(config, null, 2));
  const user = 'mspflow';
  const password = `Mf!${crypto.randomBytes(12).toString('base64url')}`;
  const paths = ['--datapath', dataDir, '--filespath', filesDir];
  // The NeDB admin commands only work while the server is stopped.
  execFileSync(process.execPath, [entry, ...paths, '--createaccount', user, '--pass', password, '--email', 'mspflow@localhost', '--name', 'mspflow'], { stdio: 'pipe' });
  execFileSync(process.execPath, [entry, ...paths, '--adminaccount', user], { stdio: 'pipe' });

  let child: ChildProcess | null = null;
  const logFile = path.join(opts.dir, 'meshcentral.log');
  const start = async () => {
    const out = fs.openSync(logFile, 'a');
    child = spawn(process.execPath, [entry, ...paths], { cwd: opts.dir, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    await waitFor('MeshCentral', async () => (await httpsGet(`https://127.0.0.1:${port}/health.ashx`)).body.trim() === 'ok', 60_000);
  };
  await start();
  return {
    url: `wss://127.0.0.1:${port}`,
    port,
    user,
    password,
    dir: opts.dir,
    tlsCertHash() {
      const pem = fs.readFileSync(path.join(dataDir, 'webserver-cert-public.crt'), 'utf8');
      return crypto.createHash('sha384').update(new crypto.X509Certificate(pem).raw).digest('hex');
    },
    async stop() {
      if (child) await stopProcess(child, 'SIGINT');
      child = null;
    },
    start,
  };
}

export interface LocalMeshAgent {
  dir: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * Runs the shipped Linux agent (`meshagent run`, not installed as a service) in its own
 * directory, enrolled in the given device group (mesh id `mesh//…`).
 */
export async function startMeshAgent(opts: { server: LocalMeshCentral; groupId: string; dir: string }): Promise<LocalMeshAgent> {
  const installDir = ensureMeshCentralInstalled();
  fs.mkdirSync(opts.dir, { recursive: true });
  const binary = path.join(opts.dir, 'meshagent');
  if (!fs.existsSync(binary)) {
    fs.copyFileSync(path.join(installDir, 'node_modules', 'meshcentral', 'agents', 'meshagent_x86-64'), binary);
    fs.chmodSync(binary, 0o755);
  }
  const meshId = opts.groupId.replace(/^mesh\/\/?/, '').split('/').pop()!;
  const msh = await httpsGet(`https://127.0.0.1:${opts.server.port}/meshsettings?id=${encodeURIComponent(meshId)}`);
  if (msh.status !== 200 || !msh.body.includes('MeshServer=')) throw new Error(`MeshCentral did not return the agent settings (${msh.status})`);
  fs.writeFileSync(path.join(opts.dir, 'meshagent.msh'), msh.body);

  let child: ChildProcess | null = null;
  const start = async () => {
    const out = fs.openSync(path.join(opts.dir, 'agent.log'), 'a');
    child = spawn('./meshagent', ['run'], { cwd: opts.dir, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
  };
  await start();
  return {
    dir: opts.dir,
    start,
    async stop() {
      if (child) await stopProcess(child, 'SIGTERM', 5000);
      child = null;
    },
  };
}
