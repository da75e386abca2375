import { InboundThreadPool } from '../../activities/intake/inbound-thread-pool';
import { intakeRulesFrom, MailIntake } from '../../activities/intake/mail-intake';
import { startMailServers, type MailServers } from '../support/mail-servers';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { createClientWithContact, createMailbox, mailEnv, newMessageId, rawMail, SUPPORT } from './support';

/** MAIL_INTAKE_THREADS > 0: the same processing in worker threads, same guarantees. */
let servers: MailServers;
let ctx: TestContext;
let pool: InboundThreadPool;
let intake: MailIntake;

beforeAll(async () => {
  servers = await startMailServers();
  ctx = await createTestContext({ env: mailEnv });
  await createMailbox(ctx.prisma, servers);
  const rules = intakeRulesFrom(ctx.config);
  pool = new InboundThreadPool({ threads: 2, databaseUrl: ctx.databaseUrl, rules, connectionsPerThread: 2, logLevel: 'warn' });
  intake = new MailIntake({ prisma: ctx.prisma, log: ctx.log, rules, concurrency: 4, batchSize: 8, reconcileMs: 2000, backoffMs: 200, processor: pool.run });
  await intake.start();
});

afterAll(async () => {
  await intake?.stop();
  await pool?.stop();
  await ctx?.close();
  await servers?.stop();
});

test('processing threads turn each message into exactly one ticket or reply, one sender\'s mail in order, and quarantine a malformed one', async () => {
  await createClientWithContact(ctx.prisma, { domain: 'threads.test' });
  const senders = Array.from({ length: 6 }, (_, i) => `user${i}@threads.test`);
  const sent: Array<{ from: string; messageId: string; subject: string }> = [];
  for (let i = 0; i < 36; i++) {
    const from = senders[i % senders.length];
    const messageId = newMessageId('threads.test');
    const subject = `Threaded ${i}`;
    sent.push({ from, messageId, subject });
    await servers.deliver(rawMail({ from, subject, messageId, body: `Body ${i}` }), SUPPORT);
  }
  // A reply to the first ticket, by its Message-ID: lands on that ticket, no new one.
  const reply = newMessageId('threads.test');
  await servers.deliver(rawMail({ from: sent[0].from, subject: `Re: ${sent[0].subject}`, messageId: reply, inReplyTo: sent[0].messageId }), SUPPORT);
  const bad = newMessageId();
  await servers.deliver(`Subject: no sender\r\nMessage-ID: ${bad}\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nbroken`, SUPPORT);

  const ids = [...sent.map((s) => s.messageId), reply, bad].map((m) => m.toLowerCase());
  const rows = await eventually(async () => {
    const r = await ctx.prisma.inboundMessage.findMany({ where: { messageIdHeader: { in: ids } } });
    expect(r.filter((x) => x.status !== 'STORED')).toHaveLength(ids.length);
    return r;
  }, { timeoutMs: 60_000 });

  const byId = new Map(rows.map((r) => [r.messageIdHeader, r]));
  expect(byId.get(bad.toLowerCase())).toMatchObject({ status: 'QUARANTINED' });
  expect(byId.get(bad.toLowerCase())!.error).toMatch(/sender/);
  const first = byId.get(sent[0].messageId.toLowerCase())!;
  expect(byId.get(reply.toLowerCase())).toMatchObject({ status: 'PROCESSED', ticketId: first.ticketId, outcome: 'reply:message-id' });

  const tickets = await ctx.prisma.ticket.findMany({ where: { subject: { startsWith: 'Threaded ' } }, orderBy: { id: 'asc' } });
  expect(tickets).toHaveLength(36);
  expect(new Set(tickets.map((t) => t.subject)).size).toBe(36);
  // One sender's mail is processed in sequence: its tickets' numbers follow its sending order.
  for (const from of senders) {
    const mine = sent.filter((s) => s.from === from).map((s) => byId.get(s.messageId.toLowerCase())!.ticketId!);
    expect(mine).toEqual([...mine].sort((a, b) => a - b));
  }
  expect(await ctx.prisma.ticketMessage.count({ where: { ticketId: first.ticketId! } })).toBe(2);
});

test('a processing thread that dies is replaced, and mail goes on being processed', async () => {
  const before = pool.threadIds();
  expect(before).toHaveLength(2);
  // as if the thread crashed (out of memory, a native fault): the pool must not shrink
  await (pool as unknown as { threads: Array<{ worker: import('node:worker_threads').Worker }> }).threads[0].worker.terminate();
  await eventually(async () => {
    const now = pool.threadIds();
    expect(now).toHaveLength(2);
    expect(now).not.toContain(before[0]);
  }, { timeoutMs: 20_000 });
  const messageId = newMessageId('threads.test');
  await servers.deliver(rawMail({ from: 'after-crash@threads.test', subject: 'After a thread died', messageId }), SUPPORT);
  await eventually(async () => {
    const r = await ctx.prisma.inboundMessage.findFirst({ where: { messageIdHeader: messageId.toLowerCase() } });
    expect(r).toMatchObject({ status: 'PROCESSED', outcome: 'new-ticket' });
  }, { timeoutMs: 30_000 });
});
