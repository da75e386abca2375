import { startMailServers, type MailServers } from '../support/mail-servers';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import type { MailIntake } from '../../activities/intake/mail-intake';
import { createClientWithContact, createMailbox, mailEnv, newMessageId, rawMail, startIntake, SUPPORT } from './support';

let servers: MailServers;
let ctx: TestContext;
let intake: MailIntake;

beforeAll(async () => {
  servers = await startMailServers();
  ctx = await createTestContext({ env: mailEnv });
  await createMailbox(ctx.prisma, servers);
  intake = startIntake(ctx.prisma, ctx.config, ctx.log);
  await intake.start();
});

afterAll(async () => {
  await intake?.stop();
  await ctx?.close();
  await servers?.stop();
});

async function inboundStatus(messageId: string) {
  return ctx.prisma.inboundMessage.findFirst({ where: { messageIdHeader: messageId.toLowerCase() } });
}

test('a contact\'s mail becomes one ticket with its message, an acknowledgement and a workflow start queued; the message moves to Processed', async () => {
  const client = await createClientWithContact(ctx.prisma, { contact: 'alice@acme.test', domain: 'acme.test' });
  const messageId = newMessageId('acme.test');
  await servers.deliver(rawMail({ from: 'Alice <alice@acme.test>', subject: 'Printer on fire', body: 'It burns.\n\n-- \nAlice', messageId }), SUPPORT);

  const row = await eventually(async () => {
    const r = await inboundStatus(messageId);
    expect(r?.status).toBe('PROCESSED');
    expect(r?.serverDoneAt).not.toBeNull();
    return r!;
  });
  expect(row.outcome).toBe('new-ticket');
  const ticket = await ctx.prisma.ticket.findUniqueOrThrow({ where: { id: row.ticketId! }, include: { messages: true } });
  expect(ticket).toMatchObject({ clientId: client.id, subject: 'Printer on fire', source: 'EMAIL', contactId: client.contacts[0].id });
  expect(ticket.messages).toHaveLength(1);
  expect(ticket.messages[0]).toMatchObject({ direction: 'INBOUND', messageId: messageId.toLowerCase(), bodyText: 'It burns.' });
  const effects = await ctx.prisma.outboxEntry.findMany({ where: { OR: [{ key: `ticket-${ticket.id}` }, { key: `mail:ticket-${ticket.id}:ack` }] } });
  expect(effects.map((e) => e.kind).sort()).toEqual(['send-ticket-mail', 'start-ticket-workflow']);

  const status = await servers.doveadm('-f', 'flow', 'mailbox', 'status', '-u', SUPPORT, 'messages', 'Processed');
  expect(status).toMatch(/messages=1/);
});

test('when the server drops the connection, the intake reconnects and nothing is missed', async () => {
  await createClientWithContact(ctx.prisma, { contact: 'bob@bob.test' });
  const mailboxIntake = intake.intakeOf((await ctx.prisma.mailbox.findFirstOrThrow()).id)!;
  const connectsBefore = mailboxIntake.connects;
  await servers.doveadm('kick', SUPPORT);
  const messageId = newMessageId('bob.test');
  await servers.deliver(rawMail({ from: 'bob@bob.test', subject: 'After the kick', messageId }), SUPPORT);
  const row = await eventually(async () => {
    const r = await inboundStatus(messageId);
    expect(r?.status).toBe('PROCESSED');
    return r!;
  }, { timeoutMs: 30_000 });
  expect(row.outcome).toBe('new-ticket');
  expect(mailboxIntake.connects).toBeGreaterThan(connectsBefore);
});

test('two intakes on the same mailbox (two worker processes) still make one ticket per message', async () => {
  await createClientWithContact(ctx.prisma, { domain: 'twice.test' });
  const second = startIntake(ctx.prisma, ctx.config, ctx.log);
  await second.start();
  try {
    const ids = Array.from({ length: 30 }, () => newMessageId('twice.test'));
    for (const [i, id] of ids.entries()) await servers.deliver(rawMail({ from: `p${i % 5}@twice.test`, subject: `Both see me ${i}`, messageId: id }), SUPPORT);
    await eventually(async () => {
      const rows = await ctx.prisma.inboundMessage.findMany({ where: { messageIdHeader: { in: ids.map((i) => i.toLowerCase()) } } });
      expect(rows.filter((r) => r.status === 'PROCESSED')).toHaveLength(30);
    }, { timeoutMs: 60_000 });
    for (const id of ids) {
      expect(await ctx.prisma.ticket.count({ where: { requestKey: { endsWith: id.toLowerCase() } } })).toBe(1);
      expect(await ctx.prisma.ticketMessage.count({ where: { messageId: id.toLowerCase() } })).toBe(1);
    }
  } finally {
    await second.stop();
  }
});
