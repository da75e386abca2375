import crypto from 'node:crypto';
import { createMailGateway, gatewaySettingsFromConfig } from '../../activities/mail/gateway';
import { createSmtpSender } from '../../activities/mail/smtp-sender';
import { ticketEffectHandlers } from '../../activities/tickets/ticket-effect-handlers';
import { sealMailboxPassword } from '../../activities/intake/mailbox-password';
import type { MailIntake } from '../../activities/intake/mail-intake';
import { resolveSecretKeyring } from '../../lib/secrets/secret-box';
import { OutboxDispatcher } from '../../workers/outbox-dispatcher';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { readInbox } from '../support/inbox';
import { startMailServers, type MailServers } from '../support/mail-servers';
import { createClientWithContact, mailEnv, newMessageId, rawMail, startIntake, SUPPORT } from './support';

/**
 * Unknown senders (the three policies, per mailbox and the global default) and retrying what was
 * set aside, on real Dovecot/Postfix: the server side must end up where the ledger says.
 * MAIL_UNKNOWN_SENDER is `reject` here, so the SUPPORT mailbox (no policy of its own) rejects.
 */
const CREATE_BOX = 'create@example.test';
const HOLD_BOX = 'hold@example.test';
const CLIENT = 'client@client.test';
const STRANGERS = ['s1@elsewhere.test', 's2@elsewhere.test', 's3@elsewhere.test', 's4@elsewhere.test', 's5@elsewhere.test'];

let servers: MailServers;
let ctx: TestContext;
let intake: MailIntake;
let dispatcher: OutboxDispatcher;
let clientId: string;
let admin: { token: string };
const boxes: Record<string, { id: string }> = {};
/** Simulates a processing bug (thrown inside the processing transaction) while true. */
let processingBug = false;

async function mailbox(address: string, unknownSenders: 'CREATE_CONTACT' | 'HOLD' | null) {
  const id = crypto.randomUUID();
  return ctx.prisma.mailbox.create({
    data: {
      id,
      name: address.split('@')[0],
      address,
      imapHost: servers.imap.host,
      imapPort: servers.imap.port,
      imapTls: false,
      imapAllowPlain: true,
      imapUser: servers.users[address].user,
      imapPassword: sealMailboxPassword(resolveSecretKeyring(ctx.config), id, servers.users[address].pass),
      processedFolder: 'Processed',
      quarantineFolder: 'Quarantine',
      unknownSenders,
    },
  });
}

beforeAll(async () => {
  servers = await startMailServers({ users: [SUPPORT, CREATE_BOX, HOLD_BOX, CLIENT, ...STRANGERS] });
  ctx = await createTestContext({
    worker: true,
    env: { ...mailEnv, SMTP_HOST: servers.smtp.host, SMTP_PORT: String(servers.smtp.port), MAIL_UNKNOWN_SENDER: 'reject' },
  });
  const gateway = createMailGateway({
    prisma: ctx.prisma,
    sender: createSmtpSender({ ...ctx.config.mail.smtp!, from: ctx.config.mail.from, ignoreTLS: true }),
    settings: gatewaySettingsFromConfig(ctx.config),
  });
  dispatcher = new OutboxDispatcher(
    { prisma: ctx.prisma, temporal: ctx.temporal.client, taskQueue: ctx.taskQueue, log: ctx.log, handlers: ticketEffectHandlers({ prisma: ctx.prisma, temporal: ctx.temporal.client, log: ctx.log, gateway }) },
    200,
  );
  dispatcher.start();
  clientId = (await createClientWithContact(ctx.prisma, { contact: CLIENT, domain: 'client.test', locale: 'en' })).id;
  boxes[SUPPORT] = await mailbox(SUPPORT, null);
  boxes[CREATE_BOX] = await mailbox(CREATE_BOX, 'CREATE_CONTACT');
  boxes[HOLD_BOX] = await mailbox(HOLD_BOX, 'HOLD');
  admin = await ctx.userWithToken('ADMIN');
  intake = startIntake(ctx.prisma, ctx.config, ctx.log, {
    reconcileMs: 1000,
    beforeCommit: () => {
      if (processingBug) throw new Error('simulated processing bug');
    },
  });
  await intake.start();
});

afterAll(async () => {
  await intake?.stop();
  await dispatcher?.stop();
  await ctx?.close();
  await servers?.stop();
});

async function ledgerRow(where: { messageId?: string; subject?: string }, status: string) {
  return eventually(async () => {
    const r = await ctx.prisma.inboundMessage.findFirst({
      where: where.messageId ? { messageIdHeader: where.messageId.toLowerCase() } : { subject: where.subject },
    });
    expect(r?.status).toBe(status);
    return r!;
  }, { timeoutMs: 30_000 });
}

/** UIDs (doveadm) of the messages with this subject in a folder of a mailbox. */
async function inFolder(user: string, folder: string, subject: string): Promise<string[]> {
  const out = await servers.doveadm('-f', 'flow', 'search', '-u', user, 'mailbox', folder, 'header', 'Subject', subject).catch(() => '');
  return out.split('\n').filter((l) => l.trim());
}

async function flagsOf(user: string, folder: string, subject: string): Promise<string> {
  return servers.doveadm('-f', 'flow', 'fetch', '-u', user, 'flags', 'mailbox', folder, 'header', 'Subject', subject);
}

const api = (method: 'GET' | 'POST', url: string, payload?: object) =>
  ctx.app.inject({ method, url, headers: { authorization: `Bearer ${admin.token}` }, payload });

describe('unknown senders', () => {
  test('global default (reject), mailbox without a policy: a polite rejection is really delivered; no ticket, no contact', async () => {
    const stranger = STRANGERS[0];
    const messageId = newMessageId('elsewhere.test');
    await servers.deliver(rawMail({ from: `Sam Stranger <${stranger}>`, subject: 'Can you fix my PC', messageId }), SUPPORT);
    const row = await ledgerRow({ messageId }, 'REJECTED');
    expect(row).toMatchObject({ outcome: 'unknown-sender', ticketId: null, mailboxId: boxes[SUPPORT].id });
    const [answer] = await eventually(async () => {
      const inbox = await readInbox(servers, stranger);
      expect(inbox).toHaveLength(1);
      return inbox;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    expect(answer.subject).toContain('We could not open a ticket: Can you fix my PC');
    expect(answer.text).toContain('not registered with our support service');
    expect(answer.from?.value[0].address).toBe(SUPPORT);
    expect(answer.inReplyTo).toBe(messageId.toLowerCase());
    expect(String(answer.headers.get('auto-submitted'))).toBe('auto-replied');
    expect(await ctx.prisma.contact.count({ where: { email: stranger } })).toBe(0);
    expect(await ctx.prisma.ticket.count({ where: { requestKey: { endsWith: messageId.toLowerCase() } } })).toBe(0);
  });

  test('mailbox set to CREATE_CONTACT: a ticket under the triage client, with a new contact for the sender', async () => {
    const stranger = STRANGERS[1];
    const messageId = newMessageId('elsewhere.test');
    await servers.deliver(rawMail({ from: `Nina New <${stranger}>`, subject: 'First contact', messageId }), CREATE_BOX);
    const row = await ledgerRow({ messageId }, 'PROCESSED');
    expect(row.outcome).toBe('new-ticket');
    const ticket = await ctx.prisma.ticket.findUniqueOrThrow({ where: { id: row.ticketId! }, include: { client: true, contact: true } });
    expect(ticket.client.code).toBe('triage');
    expect(ticket.contact).toMatchObject({ email: stranger, clientId: ticket.clientId });
    expect(ticket.subject).toBe('First contact');
    const seen = await api('GET', `/tickets/${ticket.id}`);
    expect(seen.statusCode).toBe(200);
    expect(seen.json()).toMatchObject({ clientId: ticket.clientId });
    // nothing was rejected: the sender got the ordinary acknowledgement
    const [ack] = await eventually(async () => {
      const inbox = await readInbox(servers, stranger);
      expect(inbox).toHaveLength(1);
      return inbox;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    expect(ack.subject).toContain(`[#T-${ticket.id}]`);
  });

  test('mailbox set to HOLD: a HELD row in the triage queue of the API, no ticket, no contact, no answer; set aside on the server', async () => {
    const stranger = STRANGERS[2];
    const messageId = newMessageId('elsewhere.test');
    const subject = `Held ${crypto.randomBytes(3).toString('hex')}`;
    await servers.deliver(rawMail({ from: stranger, subject, messageId }), HOLD_BOX);
    const row = await ledgerRow({ messageId }, 'HELD');
    expect(row).toMatchObject({ outcome: 'unknown-sender', ticketId: null });
    for (const url of ['/mail/inbound', '/mail/inbound?status=HELD']) {
      const list = await api('GET', url);
      expect(list.statusCode).toBe(200);
      expect(list.json().items).toEqual(expect.arrayContaining([expect.objectContaining({ id: row.id, status: 'HELD', fromAddress: stranger, subject })]));
    }
    expect(await ctx.prisma.contact.count({ where: { email: stranger } })).toBe(0);
    await eventually(async () => {
      expect(await inFolder(HOLD_BOX, 'Quarantine', subject)).toHaveLength(1);
      expect(await flagsOf(HOLD_BOX, 'Quarantine', subject)).toContain('$MspflowQuarantined');
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await readInbox(servers, stranger)).toHaveLength(0);
  });
});

describe('retrying what was set aside moves it on the server too', () => {
  async function expectProcessedOnServer(user: string, subject: string) {
    await eventually(async () => {
      expect(await inFolder(user, 'Quarantine', subject)).toHaveLength(0);
      expect(await inFolder(user, 'INBOX', subject)).toHaveLength(0);
      expect(await inFolder(user, 'Processed', subject)).toHaveLength(1);
      const flags = await flagsOf(user, 'Processed', subject);
      expect(flags).toContain('$MspflowProcessed');
      expect(flags).not.toContain('$MspflowQuarantined');
    }, { timeoutMs: 30_000, intervalMs: 300 });
  }

  test('a held message filed under a client through the API: from Quarantine to Processed, flagged processed', async () => {
    const stranger = STRANGERS[3];
    const messageId = newMessageId('elsewhere.test');
    const subject = `File me ${crypto.randomBytes(3).toString('hex')}`;
    await servers.deliver(rawMail({ from: stranger, subject, messageId }), HOLD_BOX);
    const held = await ledgerRow({ messageId }, 'HELD');
    await eventually(async () => expect(await inFolder(HOLD_BOX, 'Quarantine', subject)).toHaveLength(1));
    await eventually(async () => expect((await ctx.prisma.inboundMessage.findUniqueOrThrow({ where: { id: held.id } })).serverDoneAt).not.toBeNull());

    const retry = await api('POST', `/mail/inbound/${held.id}/retry`, { clientId });
    expect(retry.statusCode).toBe(202);
    intake.nudgeAll();
    const done = await ledgerRow({ messageId }, 'PROCESSED');
    expect(await ctx.prisma.ticket.findUniqueOrThrow({ where: { id: done.ticketId! } })).toMatchObject({ clientId });
    await expectProcessedOnServer(HOLD_BOX, subject);
    await eventually(async () => expect((await ctx.prisma.inboundMessage.findUniqueOrThrow({ where: { id: held.id } })).serverDoneAt).not.toBeNull());
  });

  test('a held message without a Message-ID is found again by the hash of its bytes', async () => {
    const stranger = STRANGERS[4];
    const subject = `No id ${crypto.randomBytes(3).toString('hex')}`;
    const raw = rawMail({ from: stranger, subject }).replace(/^Message-ID: .*\r\n/m, '');
    expect(raw).not.toMatch(/Message-ID/i);
    await servers.deliver(raw, HOLD_BOX);
    const held = await ledgerRow({ subject }, 'HELD');
    expect(held.messageIdHeader).toMatch(/^<raw-/);
    await eventually(async () => expect((await ctx.prisma.inboundMessage.findUniqueOrThrow({ where: { id: held.id } })).serverDoneAt).not.toBeNull());
    expect(await inFolder(HOLD_BOX, 'Quarantine', subject)).toHaveLength(1);
    expect((await api('POST', `/mail/inbound/${held.id}/retry`, { clientId })).statusCode).toBe(202);
    intake.nudgeAll();
    await ledgerRow({ subject }, 'PROCESSED');
    await expectProcessedOnServer(HOLD_BOX, subject);
  });

  test('a message quarantined by a processing failure, retried once the fault is gone: from Quarantine to Processed', async () => {
    const messageId = newMessageId();
    const subject = `Unlucky ${crypto.randomBytes(3).toString('hex')}`;
    processingBug = true;
    try {
      await servers.deliver(rawMail({ from: CLIENT, subject, messageId }), CREATE_BOX);
      const row = await ledgerRow({ messageId }, 'QUARANTINED');
      expect(row.error).toContain('simulated processing bug');
      await eventually(async () => {
        expect(await inFolder(CREATE_BOX, 'Quarantine', subject)).toHaveLength(1);
        expect((await ctx.prisma.inboundMessage.findUniqueOrThrow({ where: { id: row.id } })).serverDoneAt).not.toBeNull();
      });
    } finally {
      processingBug = false;
    }
    const row = await ledgerRow({ messageId }, 'QUARANTINED');
    const listed = await api('GET', '/mail/inbound?status=QUARANTINED');
    expect(listed.json().items.map((i: { id: string }) => i.id)).toContain(row.id);
    expect((await api('POST', `/mail/inbound/${row.id}/retry`, {})).statusCode).toBe(202);
    intake.nudgeAll();
    const done = await ledgerRow({ messageId }, 'PROCESSED');
    expect(done.outcome).toBe('new-ticket');
    await expectProcessedOnServer(CREATE_BOX, subject);
  });
});
