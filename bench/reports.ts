/**
 * `npm run bench:reports [-- --clients 1000 --concurrency 4]`: N clients with a month of data
 * each (bulk SQL: 30 tickets, their SLA timeline rows, 20 devices with inventory and rollout
 * evidence), then every client's monthly report generated: numbers computed from PostgreSQL and
 * stored as the snapshot (the Report row), HTML rendered from it, PDF printed by the one shared
 * headless Chromium. Own embedded PostgreSQL in a temporary directory; no mail is sent and no
 * workflow runs (what is measured is generation; sending is one SMTP transaction per recipient).
 * Prints:
 *
 *   BENCH reports total=<n> s              generation of all reports (compute + HTML + PDF)
 *   BENCH reports rss=<n> MB               peak RSS of this process (Node: queries, snapshots, HTML)
 *   BENCH reports chromium_rss=<n> MB      peak memory of Chromium and its processes (sum of PSS)
 *   BENCH reports per_report_p50=<n> ms / per_report_p95=<n> ms   one report end to end
 *   BENCH reports compute_p50 / render_p50 / pdf_p50=<n> ms       its parts
 *   BENCH reports seed=<n> s               the bulk seed
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client as PgClient } from 'pg';
import pino from 'pino';
import { createHtmlPrinter } from '../activities/reports/chromium';
import { computeReport, loadReport } from '../activities/reports/report-service';
import { renderReport } from '../activities/reports/render';
import { reportConsumptionSource, reportMrrSource } from '../activities/reports/billing-sources';
import { loadConfig } from '../lib/config';
import { startEmbeddedPostgres } from '../lib/db/embedded-postgres';
import { createPrisma } from '../lib/db/prisma';
import { applyMigrations } from '../lib/db/schema-engine';
import { freePort } from '../lib/processes';
import type { ReportData } from '../lib/reports/report-data';
import { MIGRATIONS_DIR, SCHEMA_PATH } from '../workers/stack';
import { MB, memoryOf } from './proc-stats';
import { seedBenchClients } from './reports-seed';

const say = (m: string) => process.stderr.write(`[bench:reports] ${m}\n`);

/** PSS of a process (its share of shared pages), or its RSS where smaps_rollup is unavailable. */
function pssOf(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // gone, or no smaps_rollup
  }
  return memoryOf(pid)?.rss ?? 0;
}

/**
 * Memory of a process and all its descendants (Chromium's zygote, renderer, GPU and utility
 * processes), as the sum of their PSS: summing RSS would count the pages they share many times.
 */
function treeRss(root: number): number {
  let total = 0;
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone
    }
  }
  const walk = (pid: number) => {
    total += pssOf(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return total;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};

async function main() {
  const { values } = parseArgs({ options: { clients: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '4' }, 'pdf-concurrency': { type: 'string', default: '2' } } });
  const clients = Number(values.clients);
  const concurrency = Number(values.concurrency);
  const baseEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(baseEnv)) if (key === 'DATABASE_URL') delete baseEnv[key];
  const config = loadConfig(baseEnv);
  const log = pino({ level: 'warn' }, pino.destination(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-bench-reports-'));
  if (process.getuid?.() === 0) fs.chmodSync(tmp, 0o711);
  const cleanups: Array<() => Promise<unknown>> = [async () => fs.rmSync(tmp, { recursive: true, force: true })];
  try {
    const pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: await freePort(), log, database: 'mspflow' });
    cleanups.push(() => pg.stop());
    await applyMigrations({ databaseUrl: pg.url, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
    const prisma = createPrisma(pg.url, { maxConnections: concurrency * 2 + 2 });
    cleanups.push(() => prisma.$disconnect());

    const seedStart = Date.now();
    const raw = new PgClient({ connectionString: pg.url });
    await raw.connect();
    await seedBenchClients(raw, clients);
    await raw.end();
    const seedS = (Date.now() - seedStart) / 1000;
    say(`seeded ${clients} clients in ${seedS.toFixed(1)} s`);

    const printer = createHtmlPrinter({ chromiumPath: config.reports.chromiumPath, concurrency: Number(values['pdf-concurrency']) });
    cleanups.push(() => printer.close());
    const ids = (await prisma.client.findMany({ where: { code: { startsWith: 'bench' } }, select: { id: true }, orderBy: { code: 'asc' } })).map((c) => c.id);
    const asOf = new Date('2026-04-02T06:00:00Z');
    const timings = { total: [] as number[], compute: [] as number[], render: [] as number[], pdf: [] as number[] };
    let peakRss = 0;
    let peakChromium = 0;
    let chromiumPid: number | undefined;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, memoryOf(process.pid)?.rss ?? 0);
      chromiumPid ??= findChild(process.pid, 'chromium');
      if (chromiumPid) peakChromium = Math.max(peakChromium, treeRss(chromiumPid));
    }, 500);
    let pdfBytes = 0;
    let done = 0;
    const started = Date.now();
    const next = { i: 0 };
    const deps = { prisma, printer, consumption: reportConsumptionSource, mrrCents: reportMrrSource };
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next.i < ids.length) {
          const clientId = ids[next.i++];
          const t0 = performance.now();
          const { reportId } = await computeReport(deps, { clientId, month: '2026-03', audience: 'CLIENT', trigger: 'bench', asOf });
          const row = await loadReport(prisma, reportId);
          const t1 = performance.now();
          const rendered = renderReport(row.data as unknown as ReportData);
          const t2 = performance.now();
          const pdf = await printer.pdf(rendered.html);
          const t3 = performance.now();
          if (pdf.subarray(0, 5).toString() !== '%PDF-') throw new Error('not a PDF');
          pdfBytes += pdf.length;
          timings.compute.push(t1 - t0);
          timings.render.push(t2 - t1);
          timings.pdf.push(t3 - t2);
          timings.total.push(t3 - t0);
          if (++done % 100 === 0) say(`${done}/${ids.length} reports, ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
      }),
    );
    const totalS = (Date.now() - started) / 1000;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, memoryOf(process.pid)?.hwm ?? 0);
    const stored = await prisma.report.count();
    if (stored !== clients) throw new Error(`expected ${clients} stored reports, found ${stored}`);
    const out = (metric: string, value: number | string, unit: string) => process.stdout.write(`BENCH reports ${metric}=${value} ${unit}\n`);
    out('total', totalS.toFixed(1), 's');
    out('rss', Math.round(peakRss / MB), 'MB');
    out('chromium_rss', Math.round(peakChromium / MB), 'MB');
    out('reports', clients, 'reports');
    out('per_report_p50', pct(timings.total, 50).toFixed(0), 'ms');
    out('per_report_p95', pct(timings.total, 95).toFixed(0), 'ms');
    out('compute_p50', pct(timings.compute, 50).toFixed(0), 'ms');
    out('render_p50', pct(timings.render, 50).toFixed(1), 'ms');
    out('pdf_p50', pct(timings.pdf, 50).toFixed(0), 'ms');
    out('pdf_avg_size', Math.round(pdfBytes / clients / 1024), 'KB');
    out('seed', seedS.toFixed(1), 's');
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

/** The first child process of `parent` whose command name contains `name`. */
function findChild(parent: number, name: string): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && comm.includes(name)) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
