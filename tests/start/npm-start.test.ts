import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { actorForToken } from '../../lib/auth/users';
import { createPrisma } from '../../lib/db/prisma';
import { harness, createTestDatabase } from '../support/context';
import { spawnApp, waitUntilUp } from '../support/app-process';
import { freePort, freePorts } from '../support/free-port';
import { repoRoot } from '../support/paths';

/** Pids of processes whose command line mentions `needle` (e.g. a data directory). */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      /* process ended while we looked */
    }
  }
  return pids;
}

async function embeddedEnv(dataDir: string) {
  const [api, pg, temporal, ui] = await freePorts(4);
  return {
    DATA_DIR: dataDir,
    API_PORT: String(api),
    EMBEDDED_PG_PORT: String(pg),
    TEMPORAL_DEV_PORT: String(temporal),
    TEMPORAL_UI_PORT: String(ui),
    ...(harness().temporalCliPath ? { TEMPORAL_CLI_PATH: harness().temporalCliPath! } : {}),
  };
}

describe('npm start', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-start-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('brings everything up on embedded defaults, stops it all on SIGINT, and reuses the data', async () => {
    const env = await embeddedEnv(dataDir);
    const first = spawnApp(env);
    await waitUntilUp(first, 90_000);
    const api = `http://127.0.0.1:${env.API_PORT}`;
    const health = await fetch(`${api}/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { dependencies: Record<string, { status: string }> };
    for (const dep of ['postgresql', 'temporal', 'worker', 'outbox']) expect(body.dependencies[dep].status).toBe('up');
    const ui = await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`);
    expect(ui.status).toBe(200);
    expect(processesMentioning(dataDir).length).toBeGreaterThanOrEqual(2); // Temporal server and PostgreSQL

    first.child.kill('SIGINT');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.output()).toContain('"msg":"stopped"');
    expect(processesMentioning(dataDir)).toEqual([]); // nothing orphaned

    const second = spawnApp(env);
    await waitUntilUp(second, 90_000);
    expect(second.output()).toContain('database schema up to date');
    expect(second.output()).not.toContain('initialising embedded PostgreSQL');
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    expect(processesMentioning(dataDir)).toEqual([]);
  });

  it('names the dependency and the variable when configured PostgreSQL is unreachable', async () => {
    const app = spawnApp({
      DATABASE_URL: `postgresql://nobody:x@127.0.0.1:${await freePort()}/none`,
      TEMPORAL_ADDRESS: harness().temporalAddress,
      API_PORT: String(await freePort()),
    });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toMatch(/PostgreSQL is unreachable.*DATABASE_URL/);
  });

  it('names the dependency and the variable when configured Temporal is unreachable', async () => {
    const db = await createTestDatabase();
    try {
      const app = spawnApp({
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
        API_PORT: String(await freePort()),
      });
      expect((await app.exited).code).toBe(1);
      expect(app.output()).toMatch(/Temporal at 127\.0\.0\.1:\d+ .*unreachable.*TEMPORAL_ADDRESS/);
    } finally {
      await db.drop();
    }
  });

  it('refuses to start on invalid configuration, listing the problems', async () => {
    const app = spawnApp({ API_PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect((await app.exited).code).toBe(2);
    expect(app.output()).toContain('API_PORT');
    expect(app.output()).toContain('LOG_LEVEL');
  });
});

describe('npm run admin:create', () => {
  it('creates an admin whose printed token works, and refuses a duplicate', async () => {
    const db = await createTestDatabase();
    try {
      const run = () =>
        spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'create-admin.ts'), '--email', 'Boss@MSP.example', '--name', 'Boss'], {
          cwd: repoRoot,
          env: { ...process.env, DATABASE_URL: db.url },
          encoding: 'utf8',
        });
      const first = run();
      expect(first.status).toBe(0);
      const token = first.stdout.trim().split('\n').pop()!;
      expect(token).toMatch(/^mspf_/);
      const prisma = createPrisma(db.url);
      try {
        expect(await actorForToken(prisma, token)).toMatchObject({ kind: 'user', role: 'ADMIN', clientIds: 'all' });
        expect(await prisma.user.findUnique({ where: { email: 'boss@msp.example' } })).not.toBeNull();
      } finally {
        await prisma.$disconnect();
      }
      const again = run();
      expect(again.status).toBe(1);
      expect(again.stderr).toContain('already exists');
    } finally {
      await db.drop();
    }
  });
});
