import { startMailServers, type MailServers } from '../support/mail-servers';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import type { MailIntake } from '../../activities/intake/mail-intake';
import { createClientWithContact, createMailbox, mailEnv, newMessageId, rawMail, startIntake, SUPPORT } from './support';

/**
 * Queued mail is processed several messages per transaction (MAIL_INTAKE_BATCH). A batch commits
 * as a whole; when anything inside fails, it rolls back and each of its messages is processed
 * alone, so one bad message never takes the others down with it.
 */
let servers: MailServers;
let ctx: TestContext;
let intake: MailIntake | undefined;
const commits: string[][] = [];
let poison: string | undefined;

beforeAll(async () => {
  servers = await startMailServers();
  ctx = await createTestContext({ env: mailEnv });
  await createMailbox(ctx.prisma, servers);
  await createClientWithContact(ctx.prisma, { domain: 'batch.test' });
});

afterAll(async () => {
  await intake?.stop();
  await ctx?.close();
  await servers?.stop();
});

/** Delivers while no intake runs, so the next one finds all of them queued at once. */
async function deliverQueued(count: number, tag: string) {
  await intake?.stop();
  const ids = Array.from({ length: count }, () => newMessageId('batch.test'));
  for (const [i, messageId] of ids.entries()) {
    await servers.deliver(rawMail({ from: `${tag}${i}@batch.test`, subject: `${tag} ${i}`, messageId }), SUPPORT);
  }
  intake = startIntake(ctx.prisma, ctx.config, ctx.log, {
    concurrency: 1,
    batchSize: 8,
    reconcileMs: 1000,
    beforeCommit: (messageIds) => {
      commits.push(messageIds);
      if (poison && messageIds.includes(poison.toLowerCase())) throw new Error('simulated processing bug');
    },
  });
  await intake.start();
  return ids;
}

function rowsOf(ids: string[]) {
  return ctx.prisma.inboundMessage.findMany({ where: { messageIdHeader: { in: ids.map((m) => m.toLowerCase()) } } });
}

test('six queued messages of six senders commit in one transaction, each with its own ticket', async () => {
  commits.length = 0;
  const ids = await deliverQueued(6, 'together');
  const rows = await eventually(async () => {
    const r = await rowsOf(ids);
    expect(r.filter((x) => x.status === 'PROCESSED')).toHaveLength(6);
    return r;
  });
  expect(commits).toEqual([expect.arrayContaining(ids.map((m) => m.toLowerCase()))]);
  expect(new Set(rows.map((r) => r.processedAt!.getTime())).size).toBe(1);
  expect(new Set(rows.map((r) => r.ticketId)).size).toBe(6);
  const tickets = await ctx.prisma.ticket.findMany({ where: { id: { in: rows.map((r) => r.ticketId!) } }, include: { messages: true, events: true } });
  for (const t of tickets) {
    expect(t.messages).toHaveLength(1);
    expect(t.events.map((e) => e.type)).toContain('created');
    expect(t.workflowId).toBe(`ticket-${t.id}`);
  }
  expect(await ctx.prisma.outboxEntry.count({ where: { key: { in: tickets.map((t) => `ticket-${t.id}`) } } })).toBe(6);
});

test('a message that fails inside a batch is quarantined alone; the others of its batch are processed', async () => {
  commits.length = 0;
  const ids = await (async () => {
    const planned = newMessageId('batch.test');
    poison = planned;
    await intake?.stop();
    intake = undefined;
    // the poisoned one in the middle of the queue
    await servers.deliver(rawMail({ from: 'before@batch.test', subject: 'before' }), SUPPORT);
    await servers.deliver(rawMail({ from: 'poison@batch.test', subject: 'poison', messageId: planned }), SUPPORT);
    return [planned, ...(await deliverQueued(4, 'after'))];
  })();
  const rows = await eventually(async () => {
    const r = await rowsOf(ids);
    expect(r.map((x) => x.status).sort()).toEqual(['PROCESSED', 'PROCESSED', 'PROCESSED', 'PROCESSED', 'QUARANTINED']);
    return r;
  });
  const bad = rows.find((r) => r.status === 'QUARANTINED')!;
  expect(bad.messageIdHeader).toBe(poison!.toLowerCase());
  expect(bad.error).toContain('simulated processing bug');
  // the batch was tried (and rolled back) before each message went alone
  expect(commits[0].length).toBeGreaterThan(1);
  expect(commits[0]).toContain(poison!.toLowerCase());
  expect(commits.slice(1).every((c) => c.length === 1)).toBe(true);
  const good = rows.filter((r) => r.status === 'PROCESSED');
  expect(new Set(good.map((r) => r.ticketId)).size).toBe(4);
  // nothing of the rolled-back batch survived: each good message has exactly one ticket message
  for (const r of good) expect(await ctx.prisma.ticketMessage.count({ where: { inboundId: r.id } })).toBe(1);
  expect(await ctx.prisma.ticket.count({ where: { subject: 'poison' } })).toBe(0);
});

test('GET /mailboxes shows each mailbox\'s backlog: waiting (and since when), quarantined, held, last processed', async () => {
  await intake?.stop();
  intake = undefined;
  const admin = await ctx.userWithToken('ADMIN');
  const mailbox = await ctx.prisma.mailbox.findFirstOrThrow();
  // a message in the ledger that no intake has processed yet (the intake is stopped)
  const waiting = await ctx.prisma.inboundMessage.create({
    data: {
      mailboxId: mailbox.id,
      folder: 'INBOX',
      uidValidity: 1n,
      uid: 999_999n,
      messageIdHash: 'backlog-test',
      messageIdHeader: '<backlog@batch.test>',
      raw: new Uint8Array(Buffer.from(rawMail({ from: 'late@batch.test', subject: 'late' }))),
      size: 100,
    },
  });
  const res = await ctx.app.inject({ method: 'GET', url: '/mailboxes', headers: { authorization: `Bearer ${admin.token}` } });
  expect(res.statusCode).toBe(200);
  const listed = (res.json() as { items: Array<{ id: string; backlog: Record<string, unknown> }> }).items.find((m) => m.id === mailbox.id)!;
  const lastProcessed = await ctx.prisma.inboundMessage.aggregate({ where: { mailboxId: mailbox.id }, _max: { processedAt: true } });
  expect(listed.backlog).toEqual({
    waiting: 1,
    oldestWaitingAt: waiting.receivedAt.toISOString(),
    quarantined: 1, // the poisoned message of the test above
    held: 0,
    lastProcessedAt: lastProcessed._max.processedAt!.toISOString(),
  });
  // a technician scoped to clients does not administer mailboxes
  const tech = await ctx.userWithToken('TECHNICIAN');
  expect((await ctx.app.inject({ method: 'GET', url: '/mailboxes', headers: { authorization: `Bearer ${tech.token}` } })).statusCode).toBe(403);
});
