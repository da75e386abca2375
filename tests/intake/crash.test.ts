import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { createPrisma, type PrismaClient } from '../../lib/db/prisma';
import { createTestDatabase } from '../support/context';
import { eventually } from '../support/eventually';
import { startMailServers, type MailServers } from '../support/mail-servers';
import { repoRoot } from '../support/paths';
import { createClientWithContact, createMailbox, mailEnv, newMessageId, rawMail, SUPPORT } from './support';

/**
 * The intake runs in a child process that is killed with SIGKILL at random moments while it
 * ingests 1,000 real messages from Dovecot; after the restarts, every message must have produced
 * exactly one ticket (new mail) or one reply on the right ticket (replies), and every message
 * must end up marked on the server.
 */
let servers: MailServers;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;
let child: ChildProcess | undefined;

const CHILD = path.join(repoRoot, 'tests', 'intake', 'fixtures', 'intake-child.ts');

function startChild(): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: repoRoot,
    env: { ...process.env, ...mailEnv, DATABASE_URL: db.url, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', MAIL_RECONCILE_SECONDS: '1', MAIL_INTAKE_CONCURRENCY: '4' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child = proc;
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve(proc));
    proc.once('exit', (code) => reject(new Error(`intake child exited early (${code})`)));
  });
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

async function append(messages: string[]) {
  const { user, pass } = servers.users[SUPPORT];
  const client = new ImapFlow({ ...servers.imap, auth: { user, pass }, logger: false });
  await client.connect();
  try {
    for (const m of messages) await client.append('INBOX', m);
  } finally {
    await client.logout();
  }
}

beforeAll(async () => {
  servers = await startMailServers();
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { maxConnections: 4 });
});

afterAll(async () => {
  if (child) await kill(child);
  await prisma?.$disconnect();
  await db?.drop();
  await servers?.stop();
});

test('1,000 messages, the intake SIGKILLed at random moments: exactly one ticket or reply per message', async () => {
  await createClientWithContact(prisma, { domain: 'crash.test' });
  const mailbox = await createMailbox(prisma, servers);

  // 20 threads to reply to, ingested before the storm.
  const seeds = Array.from({ length: 20 }, (_, i) => ({ from: `seed${i}@crash.test`, messageId: newMessageId('crash.test') }));
  await append(seeds.map((s, i) => rawMail({ from: s.from, subject: `Seed ${i}`, messageId: s.messageId })));
  let proc = await startChild();
  await eventually(async () => expect(await prisma.ticket.count()).toBe(20), { timeoutMs: 60_000, intervalMs: 200 });
  await kill(proc);

  const fresh = Array.from({ length: 800 }, (_, i) => ({ from: `user${i}@crash.test`, messageId: newMessageId('crash.test') }));
  const replies = Array.from({ length: 200 }, (_, i) => ({ seed: seeds[i % 20], messageId: newMessageId('crash.test') }));
  const raws = [
    ...fresh.map((f, i) => rawMail({ from: f.from, subject: `Problem ${i}`, body: `Body ${i} `.repeat(1 + (i % 50)), messageId: f.messageId })),
    // replies carry only References (no In-Reply-To, no subject token)
    ...replies.map((r, i) => rawMail({ from: r.seed.from, subject: `Re: more ${i}`, references: [r.seed.messageId], messageId: r.messageId })),
  ];
  // interleave so replies and new mail mix in UID order
  raws.sort(() => Math.random() - 0.5);
  await append(raws);

  // Each kill lands after a random amount of progress (10-100 more messages done, plus up to
  // 50 ms), not after a fixed time: the intake's speed must not decide whether kills hit the work.
  const processed = () => prisma.inboundMessage.count({ where: { status: 'PROCESSED' } });
  for (let round = 0; round < 6; round++) {
    const target = (await processed()) + 10 + Math.floor(Math.random() * 90);
    proc = await startChild();
    const deadline = Date.now() + 60_000;
    while ((await processed()) < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 50)));
    await kill(proc);
  }
  // the kills did interrupt the work (otherwise this test would prove nothing)
  const processedBeforeLastStart = await prisma.inboundMessage.count({ where: { status: 'PROCESSED' } });
  expect(processedBeforeLastStart).toBeLessThan(1020);
  proc = await startChild();

  await eventually(
    async () => {
      expect(await prisma.inboundMessage.count({ where: { status: 'PROCESSED' } })).toBe(1020);
      expect(await prisma.inboundMessage.count({ where: { serverDoneAt: null } })).toBe(0);
    },
    { timeoutMs: 240_000, intervalMs: 500 },
  );
  await kill(proc);

  // exactly one ticket per new message, with its one message
  expect(await prisma.ticket.count()).toBe(820);
  const firstMessages = await prisma.ticketMessage.groupBy({ by: ['messageId'], _count: { _all: true } });
  expect(firstMessages).toHaveLength(1020);
  expect(firstMessages.every((g) => g._count._all === 1)).toBe(true);
  for (const f of fresh.slice(0, 800)) {
    const t = await prisma.ticket.findUnique({ where: { requestKey: `mail:${mailbox.id}:${f.messageId.toLowerCase()}` }, select: { id: true } });
    expect(t).not.toBeNull();
  }
  // each reply on its seed's ticket
  const seedTickets = new Map<string, number>();
  for (const s of seeds) {
    const m = await prisma.ticketMessage.findUniqueOrThrow({ where: { messageId: s.messageId.toLowerCase() } });
    seedTickets.set(s.messageId, m.ticketId);
  }
  for (const r of replies) {
    const m = await prisma.ticketMessage.findUniqueOrThrow({ where: { messageId: r.messageId.toLowerCase() } });
    expect(m.ticketId).toBe(seedTickets.get(r.seed.messageId));
  }
  // one workflow start and one acknowledgement queued per ticket, nothing else duplicated
  expect(await prisma.outboxEntry.count({ where: { kind: 'start-ticket-workflow' } })).toBe(820);
  expect(await prisma.outboxEntry.count({ where: { key: { startsWith: 'mail:ticket-' , endsWith: ':ack' } } })).toBe(820);
  expect(await prisma.outboxEntry.count({ where: { key: { startsWith: 'signal:clientReplied:' } } })).toBe(200);

  // the server side: everything moved to Processed, nothing left or doubled
  const inbox = await servers.doveadm('-f', 'flow', 'mailbox', 'status', '-u', SUPPORT, 'messages', 'INBOX');
  const done = await servers.doveadm('-f', 'flow', 'mailbox', 'status', '-u', SUPPORT, 'messages', 'Processed');
  expect(inbox).toMatch(/messages=0\b/);
  expect(done).toMatch(/messages=1020\b/);
}, 600_000);
