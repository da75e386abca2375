/**
 * `npm run bench:email [-- --messages 2000 --warmup 500 --rate 100 --concurrency 4 --batch 8 --threads 0 --replies 0]`:
 * new mail → committed ticket, through the real intake (IMAP IDLE on Dovecot, ledger, processing
 * transaction) on this machine. After a warm-up of `--warmup` messages at `--rate` (not measured:
 * a fresh process is still compiling its hot paths), two phases of N messages each, on the same
 * running intake:
 *
 * 1. sustained: the messages are APPENDed at a steady `--rate` (default 100 msg/s, the target
 *    load), as mail arrives in real life; each one's latency is its ticket's commit minus the
 *    moment its APPEND returned. This is the new-mail-to-ticket latency at that load.
 * 2. burst: N more messages APPENDed as fast as one IMAP connection takes them (faster than the
 *    intake can process: they queue); throughput = N / (last commit - first append). This is the
 *    most the intake sustains; its latencies are mostly queueing and printed for the record.
 *
 * Prints on stdout:
 *   BENCH email throughput=<n> msg/s        burst phase: messages / (last commit - first append)
 *   BENCH email latency_p50=<n> ms          sustained phase at --rate (commit time is taken just
 *                                           before COMMIT: a few ms early)
 *   BENCH email latency_p99=<n> ms
 *   BENCH email sustained_rate=<n> msg/s    what the sustained phase really offered
 *   BENCH email burst_latency_p50|p99=<n> ms, burst_append_rate=<n> msg/s, ...
 *   BENCH email cpu_intake|cpu_postgres|cpu_mailserver=<n> ms/msg   burst phase: CPU time per message
 *     of this process (the intake and its threads), of PostgreSQL (all backends)
 *     and of Dovecot + Postfix. Shared machines are noisy; CPU per message moves far less with the
 *     neighbours' load than msg/s does, so compare changes with these.
 *
 * Messages are mixed sizes (70 % ~2 KB, 25 % ~30 KB, 5 % ~300 KB) from 200 senders of one client,
 * APPENDed by another process (bench/email-appender.ts), as an MTA would deliver them. With
 * `--replies f`, about that fraction answer a message sent shortly before, from another contact
 * (threading, and concurrent batches writing to the same tickets); stderr says how many threaded
 * and how many batches rolled back (e.g. a deadlock between two batches) and were redone one by one.
 * Everything runs in a temporary directory: Dovecot + Postfix (tests/support/mail-servers) and an
 * embedded PostgreSQL, migrated; the intake is the same MailIntake the worker runs. The ticket
 * workflows' starts are queued in the outbox by then; starting them is Temporal's part, not
 * measured here (see bench:sla). Progress goes to stderr.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execFile } from 'node:child_process';
import pino from 'pino';
import { InboundThreadPool } from '../activities/intake/inbound-thread-pool';
import { intakeRulesFrom, MailIntake } from '../activities/intake/mail-intake';
import { loadConfig } from '../lib/config';
import { resolveSecretKeyring } from '../lib/secrets/secret-box';
import { startEmbeddedPostgres } from '../lib/db/embedded-postgres';
import { createPrisma } from '../lib/db/prisma';
import { applyMigrations } from '../lib/db/schema-engine';
import { freePort } from '../lib/processes';
import { startMailServers } from '../tests/support/mail-servers';
import { cpuSecondsOf } from './proc-stats';
import { MIGRATIONS_DIR, SCHEMA_PATH } from '../workers/stack';

const SUPPORT = 'support@example.test';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Runs bench/email-appender.ts: mail arrives from outside the intake's process, as in real life. */
function appendFromAnotherProcess(opts: { host: string; port: number; user: string; pass: string; to: string; offset: number; count: number; rate: number; replies: number }) {
  const args = Object.entries(opts).flatMap(([k, v]) => [`--${k}`, String(v)]);
  return new Promise<{ appended: Map<string, number>; replies: number; appendMs: number }>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(__dirname, 'email-appender.ts'), ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`appender failed: ${stderr || err.message}`));
      const appended = new Map<string, number>();
      let replies = 0;
      let appendMs = NaN;
      for (const line of stdout.split('\n')) {
        const [tag, a, b, kind] = line.split(' ');
        if (tag === 'A') appended.set(a.toLowerCase(), Number(b));
        if (tag === 'A' && kind === 'reply') replies++;
        if (tag === 'DONE') appendMs = Number(a);
      }
      if (appended.size !== opts.count) return reject(new Error(`appender reported ${appended.size} of ${opts.count} messages`));
      resolve({ appended, replies, appendMs });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '2000' }, warmup: { type: 'string', default: '500' }, rate: { type: 'string', default: '100' }, concurrency: { type: 'string', default: '4' }, threads: { type: 'string', default: '0' }, batch: { type: 'string', default: '8' }, replies: { type: 'string', default: '0' } } });
  const n = Number(values.messages);
  const warmup = Number(values.warmup);
  const concurrency = Number(values.concurrency);
  const targetRate = Number(values.rate);
  const threads = Number(values.threads);
  const batchSize = Number(values.batch);
  const replyShare = Number(values.replies);
  if (!(n > 0) || !(concurrency > 0) || !(targetRate > 0) || !(warmup >= 0)) throw new Error('--messages, --concurrency and --rate must be positive numbers, --warmup at least 0');
  // warnings to stderr; batch roll-backs (info) only counted
  let rollbacks = 0;
  const log = pino(
    { level: 'info' },
    {
      write(line: string) {
        if (line.includes('inbound batch rolled back')) rollbacks++;
        else if (/"level":(40|50|60)/.test(line)) process.stderr.write(line);
      },
    },
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-bench-email-'));
  // as root, embedded PostgreSQL runs as another user that must reach its data dir
  if (process.getuid?.() === 0) fs.chmodSync(dir, 0o711);
  const stops: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const servers = await startMailServers();
    stops.push(() => servers.stop());
    const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), log, database: 'mspflow' });
    stops.push(() => pg.stop());
    await applyMigrations({ databaseUrl: pg.url, migrationsDir: MIGRATIONS_DIR, schemaPath: SCHEMA_PATH });
    const config = loadConfig({
      ...process.env,
      DATABASE_URL: pg.url,
      DATA_DIR: dir,
      MAIL_SUPPORT_ADDRESS: SUPPORT,
      MAIL_REPLY_SECRET: crypto.randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
    });
    const prisma = createPrisma(pg.url, { maxConnections: concurrency + 4 });
    stops.push(() => prisma.$disconnect());
    await prisma.client.create({ data: { code: 'bench', name: 'Bench Client', domains: { create: [{ domain: 'bench.test' }] } } });
    const { user, pass } = servers.users[SUPPORT];
    await prisma.mailbox.create({
      data: { name: 'support', address: SUPPORT, imapHost: servers.imap.host, imapPort: servers.imap.port, imapTls: false, imapAllowPlain: true, imapUser: user, imapPassword: pass, processedFolder: 'Processed', quarantineFolder: 'Quarantine' },
    });
    const rules = intakeRulesFrom(config);
    const pool = threads > 0 ? new InboundThreadPool({ threads, databaseUrl: pg.url, rules, connectionsPerThread: concurrency, logLevel: 'warn' }) : undefined;
    if (pool) stops.push(() => pool.stop());
    const intake = new MailIntake({ prisma, log, rules, secrets: resolveSecretKeyring(config), concurrency, batchSize, reconcileMs: 60_000, processor: pool?.run });
    await intake.start();
    stops.push(() => intake.stop());
    // wait until the intake sits in IDLE
    for (let i = 0; i < 200 && !(await prisma.mailboxSyncState.count()); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));

    const postmaster = Number(fs.readFileSync(path.join(dir, 'pg', 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const cpuNow = () => {
      const own = process.cpuUsage();
      return {
        intake: (own.user + own.system) / 1e6,
        postgres: cpuSecondsOf(postmaster, true),
        mailserver: servers.processes().reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
      };
    };
    const phase = async (name: string, offset: number, rate: number, n: number) => {
      const cpu0 = cpuNow();
      const { appended, replies, appendMs } = await appendFromAnotherProcess({ host: servers.imap.host, port: servers.imap.port, user, pass, to: SUPPORT, offset, count: n, rate, replies: replyShare });
      process.stderr.write(`${name}: appended ${n} messages in ${appendMs} ms\n`);
      const ids = [...appended.keys()];
      for (;;) {
        // every earlier phase is fully processed, so the total counts this phase's progress
        const done = (await prisma.inboundMessage.count({ where: { status: { not: 'STORED' } } })) - offset;
        process.stderr.write(`\r${name}: processed ${done}/${n}`);
        if (done >= n) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      process.stderr.write('\n');
      const cpu1 = cpuNow();
      const cpuPerMessage = (k: keyof typeof cpu0) => (((cpu1[k] - cpu0[k]) * 1000) / n).toFixed(2);
      const rows = await prisma.inboundMessage.findMany({ where: { messageIdHeader: { in: ids } }, select: { messageIdHeader: true, processedAt: true, receivedAt: true, ticketId: true, outcome: true } });
      if (replies > 0) {
        const threaded = rows.filter((r) => r.outcome?.startsWith('reply:')).length;
        process.stderr.write(`${name}: ${threaded} of ${replies} replies threaded onto their ticket (the others arrived before their original was committed: new tickets); ${rollbacks} batch roll-backs so far\n`);
      }
      const failed = await prisma.inboundMessage.count({ where: { status: { notIn: ['STORED', 'PROCESSED'] } } });
      if (failed > 0) throw new Error(`${name}: ${failed} message(s) ended in quarantine or elsewhere (see GET /mail/inbound)`);
      if (rows.some((r) => r.ticketId === null)) throw new Error(`${name}: a message produced no ticket`);
      // where the time goes: appended → stored in the ledger → committed as a ticket
      const stored = rows.map((r) => r.receivedAt.getTime() - appended.get(r.messageIdHeader)!).sort((a, b) => a - b);
      const firstCommit = Math.min(...rows.map((r) => r.processedAt!.getTime()));
      const lastCommit = Math.max(...rows.map((r) => r.processedAt!.getTime()));
      process.stderr.write(
        `${name}: append→ledger p50 ${percentile(stored, 50)} ms p99 ${percentile(stored, 99)} ms; processing rate ${(n / Math.max(0.001, (lastCommit - firstCommit) / 1000)).toFixed(1)} msg/s\n`,
      );
      const inOrder = rows.map((r) => ({ at: appended.get(r.messageIdHeader)!, latency: r.processedAt!.getTime() - appended.get(r.messageIdHeader)! })).sort((a, b) => a.at - b.at);
      const quarters = [0, 1, 2, 3].map((q) => {
        const part = inOrder.slice((q * n) / 4, ((q + 1) * n) / 4).map((x) => x.latency).sort((a, b) => a - b);
        return `${percentile(part, 50)}/${percentile(part, 99)}`;
      });
      process.stderr.write(`${name}: latency p50/p99 by quarter of arrival ${quarters.join(' ')} ms\n`);
      const latencies = inOrder.map((x) => x.latency).sort((a, b) => a - b);
      return {
        throughput: n / ((lastCommit - Math.min(...appended.values())) / 1000),
        appendRate: n / (appendMs / 1000),
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies[latencies.length - 1],
        cpu: { intake: cpuPerMessage('intake'), postgres: cpuPerMessage('postgres'), mailserver: cpuPerMessage('mailserver') },
      };
    };
    // A running intake has parsed, queried and JIT-compiled for hours; the first few hundred
    // messages of a fresh process have not. Not measured.
    if (warmup > 0) await phase('warm-up', 0, targetRate, warmup);
    const sustained = await phase('sustained', warmup, targetRate, n);
    const burst = await phase('burst', warmup + n, 0, n);
    const tickets = await prisma.ticket.count();
    const opened = await prisma.inboundMessage.count({ where: { outcome: 'new-ticket' } });
    if (tickets !== opened) throw new Error(`expected ${opened} tickets (one per new-ticket message), found ${tickets}`);
    const out = (metric: string, value: number | string, unit: string) => console.log(`BENCH email ${metric}=${value} ${unit}`);
    out('throughput', burst.throughput.toFixed(1), 'msg/s');
    out('latency_p50', sustained.p50, 'ms');
    out('latency_p99', sustained.p99, 'ms');
    out('latency_max', sustained.max, 'ms');
    out('sustained_rate', sustained.appendRate.toFixed(1), 'msg/s');
    out('burst_append_rate', burst.appendRate.toFixed(1), 'msg/s');
    out('burst_latency_p50', burst.p50, 'ms');
    out('burst_latency_p99', burst.p99, 'ms');
    out('cpu_intake', burst.cpu.intake, 'ms/msg');
    out('cpu_postgres', burst.cpu.postgres, 'ms/msg');
    out('cpu_mailserver', burst.cpu.mailserver, 'ms/msg');
    out('messages', n, 'per-phase');
    out('concurrency', concurrency, 'lanes');
    out('threads', threads, 'threads');
    out('batch', batchSize, 'messages');
    out('replies', replyShare, 'share');
    out('batch_rollbacks', rollbacks, 'batches');
  } finally {
    await cleanup();
  }
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
