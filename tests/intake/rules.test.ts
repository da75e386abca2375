import { createMailGateway, gatewaySettingsFromConfig } from '../../activities/mail/gateway';
import { createSmtpSender } from '../../activities/mail/smtp-sender';
import { ticketEffectHandlers } from '../../activities/tickets/ticket-effect-handlers';
import type { MailIntake } from '../../activities/intake/mail-intake';
import { OutboxDispatcher } from '../../workers/outbox-dispatcher';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { startMailServers, type MailServers } from '../support/mail-servers';
import { readFolder, header } from './mail-helpers';
import { createClientWithContact, createMailbox, mailEnv, newMessageId, rawMail, startIntake, SUPPORT } from './support';

/**
 * Each rule of the intake on real Dovecot/Postfix, with a real worker running the ticket
 * workflows and the outbox dispatcher sending through the real mail gateway.
 */
const CLIENT = 'client@client.test';
const COLLEAGUE = 'colleague@client.test';
const TECH = 'tech@example.test';
const STRANGER = 'stranger@elsewhere.test';

let servers: MailServers;
let ctx: TestContext;
let intake: MailIntake;
let dispatcher: OutboxDispatcher;
let clientId: string;
let techId: string;

beforeAll(async () => {
  servers = await startMailServers({ users: [SUPPORT, TECH, CLIENT, COLLEAGUE, STRANGER, 'robot@client.test'] });
  ctx = await createTestContext({
    worker: true,
    env: { ...mailEnv, SMTP_HOST: servers.smtp.host, SMTP_PORT: String(servers.smtp.port), MAIL_MAX_MESSAGE_MB: '0.2', MAIL_AUTO_BUDGET: '20' },
  });
  const gateway = createMailGateway({
    prisma: ctx.prisma,
    sender: createSmtpSender({ ...ctx.config.mail.smtp!, from: ctx.config.mail.from, ignoreTLS: true }),
    settings: gatewaySettingsFromConfig(ctx.config),
  });
  dispatcher = new OutboxDispatcher(
    {
      prisma: ctx.prisma,
      temporal: ctx.temporal.client,
      taskQueue: ctx.taskQueue,
      log: ctx.log,
      handlers: ticketEffectHandlers({ prisma: ctx.prisma, temporal: ctx.temporal.client, log: ctx.log, gateway }),
    },
    200,
  );
  dispatcher.start();
  const client = await createClientWithContact(ctx.prisma, { contact: CLIENT, domain: 'client.test', locale: 'en' });
  clientId = client.id;
  const tech = await ctx.prisma.user.create({ data: { email: TECH, name: 'Theo Tech', role: 'TECHNICIAN' } });
  techId = tech.id;
  await createMailbox(ctx.prisma, servers);
  intake = startIntake(ctx.prisma, ctx.config, ctx.log, { reconcileMs: 1000 });
  await intake.start();
});

afterAll(async () => {
  await intake?.stop();
  await dispatcher?.stop();
  await ctx?.close();
  await servers?.stop();
});

async function ledger(messageId: string, status = 'PROCESSED') {
  return eventually(async () => {
    const r = await ctx.prisma.inboundMessage.findFirst({ where: { messageIdHeader: messageId.toLowerCase() } });
    expect(r?.status).toBe(status);
    return r!;
  }, { timeoutMs: 30_000 });
}

async function newTicketFromClient(subject: string) {
  const messageId = newMessageId();
  await servers.deliver(rawMail({ from: `Claire <${CLIENT}>`, subject, body: 'Please help', messageId }), SUPPORT);
  const row = await ledger(messageId);
  return { messageId, ticketId: row.ticketId! };
}

/** The mail the gateway sent for this outbox key, as delivered to the recipient's mailbox. */
async function delivered(address: string, predicate: (p: Awaited<ReturnType<typeof readFolder>>[number]) => boolean) {
  return eventually(async () => {
    const found = (await readFolder(servers, address)).filter(predicate);
    expect(found.length).toBeGreaterThan(0);
    return found;
  }, { timeoutMs: 30_000, intervalMs: 300 });
}

test('the same message delivered twice makes one ticket; both copies leave the INBOX', async () => {
  const messageId = newMessageId();
  const raw = rawMail({ from: CLIENT, subject: 'Twice', messageId });
  await servers.deliver(raw, SUPPORT);
  await servers.deliver(raw, SUPPORT);
  const row = await ledger(messageId);
  await eventually(async () => {
    expect(await ctx.prisma.inboundMessage.count({ where: { messageIdHeader: messageId.toLowerCase() } })).toBe(1);
    expect(await ctx.prisma.ticket.count({ where: { requestKey: { endsWith: messageId.toLowerCase() } } })).toBe(1);
    const inbox = await servers.doveadm('-f', 'flow', 'search', '-u', SUPPORT, 'mailbox', 'INBOX', 'header', 'Message-ID', messageId);
    expect(inbox.trim()).toBe('');
  });
  expect(row.outcome).toBe('new-ticket');
});

test('new ticket: acknowledgement to the client (threaded, signed reply-to) and a notification to the technician', async () => {
  const { messageId, ticketId } = await newTicketFromClient('VPN down');
  const [ack] = await delivered(CLIENT, (m) => header(m.parsed, 'in-reply-to').includes(messageId));
  expect(ack.parsed.subject).toContain(`[#T-${ticketId}]`);
  expect(header(ack.parsed, 'auto-submitted')).toMatch(/auto-replied/);
  expect(ack.parsed.replyTo?.text).toMatch(/support\+t\./);
  const [note] = await delivered(TECH, (m) => (m.parsed.subject ?? '').includes(`T-${ticketId}`));
  expect(note.parsed.replyTo?.text).toMatch(/support\+t\.\d+\.s\./);
});

test('a client reply with only References lands on its ticket; a reply to our acknowledgement too', async () => {
  const { messageId, ticketId } = await newTicketFromClient('Printer');
  const r1 = newMessageId();
  await servers.deliver(rawMail({ from: CLIENT, subject: 'anything', references: [messageId], messageId: r1, body: 'Still broken\n\nOn Monday, support wrote:\n> old text' }), SUPPORT);
  expect((await ledger(r1)).ticketId).toBe(ticketId);
  const msg = await ctx.prisma.ticketMessage.findUniqueOrThrow({ where: { messageId: r1.toLowerCase() } });
  expect(msg.bodyText).toBe('Still broken');

  const [ack] = await delivered(CLIENT, (m) => header(m.parsed, 'in-reply-to').includes(messageId));
  const r2 = newMessageId();
  await servers.deliver(rawMail({ from: CLIENT, subject: 'Re: x', inReplyTo: ack.parsed.messageId!, messageId: r2 }), SUPPORT);
  const row2 = await ledger(r2);
  expect(row2).toMatchObject({ ticketId, outcome: 'reply:token' });
});

test('the subject token threads only for a contact of that client; a stranger opens nothing on it', async () => {
  const { ticketId } = await newTicketFromClient('Mail quota');
  const fromColleague = newMessageId();
  await servers.deliver(rawMail({ from: COLLEAGUE, subject: `RE: TR: [#T-${ticketId}] Mail quota`, messageId: fromColleague }), SUPPORT);
  expect(await ledger(fromColleague)).toMatchObject({ ticketId, outcome: 'reply:subject' });

  const fromStranger = newMessageId('elsewhere.test');
  await servers.deliver(rawMail({ from: STRANGER, subject: `Re: [#T-${ticketId}] Mail quota`, messageId: fromStranger }), SUPPORT);
  const held = await ledger(fromStranger, 'HELD');
  expect(held.ticketId).toBeNull();
  expect(await ctx.prisma.ticketMessage.count({ where: { ticketId, messageId: fromStranger.toLowerCase() } })).toBe(0);
});

test('technician reply by email: relayed to the client from support, threaded, logged; commands applied; unknown command explained', async () => {
  const { messageId, ticketId } = await newTicketFromClient('Outlook crashes');
  await eventually(async () => expect((await ctx.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } })).workflowStartedAt).not.toBeNull());
  const [notification] = await delivered(TECH, (m) => (m.parsed.subject ?? '').includes(`T-${ticketId}`));
  const replyId = newMessageId('example.test');
  await servers.deliver(
    rawMail({
      from: `Theo <${TECH}>`,
      to: notification.parsed.replyTo!.value[0].address!,
      subject: `Re: ${notification.parsed.subject}`,
      inReplyTo: notification.parsed.messageId!,
      messageId: replyId,
      body: 'Hello, please restart Outlook.\n#time 15m\n#status waiting\n#priority P2\n#assign me\n#frobnicate now\n#internal\nUser sounded annoyed.\n\nOn Tue, support wrote:\n> quoted',
    }),
    SUPPORT,
  );
  expect(await ledger(replyId)).toMatchObject({ ticketId, outcome: 'technician-reply' });

  const out = await ctx.prisma.ticketMessage.findMany({ where: { ticketId, inboundId: { not: null }, direction: { in: ['OUTBOUND', 'INTERNAL'] } } });
  expect(out.find((m) => m.direction === 'OUTBOUND')?.bodyText).toBe('Hello, please restart Outlook.');
  expect(out.find((m) => m.direction === 'INTERNAL')?.bodyText).toBe('User sounded annoyed.');
  expect(await ctx.prisma.timeEntry.findMany({ where: { ticketId } })).toEqual([expect.objectContaining({ minutes: 15, userId: techId })]);

  const [relayed] = await delivered(CLIENT, (m) => (m.parsed.text ?? '').includes('please restart Outlook'));
  expect(relayed.parsed.from?.value[0].address).toBe(SUPPORT);
  expect(header(relayed.parsed, 'in-reply-to')).toContain(messageId.toLowerCase().slice(1, 20));
  expect(relayed.parsed.text).not.toContain('annoyed');
  expect(relayed.parsed.text).not.toContain('#time');

  await eventually(
    async () => expect(await ctx.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } })).toMatchObject({ status: 'WAITING_ON_CLIENT', priority: 'P2', assigneeId: techId }),
    { timeoutMs: 30_000 },
  );
  const [help] = await delivered(TECH, (m) => (m.parsed.text ?? '').includes('frobnicate'));
  expect(header(help.parsed, 'auto-submitted')).toMatch(/auto-replied/);
});

test('a technician\'s out-of-office answering a notification (valid staff token) is a note, never relayed', async () => {
  const { ticketId } = await newTicketFromClient('While the tech is away');
  const [notification] = await delivered(TECH, (m) => (m.parsed.subject ?? '').includes(`T-${ticketId}`));
  const ooo = newMessageId('example.test');
  await servers.deliver(
    rawMail({
      from: TECH,
      to: notification.parsed.replyTo!.value[0].address!,
      subject: `Automatic reply: ${notification.parsed.subject}`,
      inReplyTo: notification.parsed.messageId!,
      messageId: ooo,
      headers: { 'Auto-Submitted': 'auto-replied' },
      body: 'I am on holiday until Monday.',
    }),
    SUPPORT,
  );
  expect(await ledger(ooo)).toMatchObject({ ticketId, outcome: 'automatic-note' });
  await new Promise((r) => setTimeout(r, 1500));
  expect((await readFolder(servers, CLIENT)).some((m) => (m.parsed.text ?? '').includes('holiday'))).toBe(false);
});

test('a forged technician reply (staff From, no valid staff token) is an outside message, never relayed', async () => {
  const { messageId, ticketId } = await newTicketFromClient('Forgery target');
  const forged = newMessageId('example.test');
  await servers.deliver(
    rawMail({ from: TECH, subject: `Re: [#T-${ticketId}]`, references: [messageId], messageId: forged, body: 'Please send me your password\n#status resolved' }),
    SUPPORT,
  );
  expect(await ledger(forged)).toMatchObject({ ticketId, outcome: 'outside-reply' });
  const m = await ctx.prisma.ticketMessage.findUniqueOrThrow({ where: { messageId: forged.toLowerCase() } });
  expect(m).toMatchObject({ direction: 'INBOUND', outside: true });
  await new Promise((r) => setTimeout(r, 1500));
  expect((await readFolder(servers, CLIENT)).some((x) => (x.parsed.text ?? '').includes('password'))).toBe(false);
  expect(await ctx.prisma.outboxEntry.count({ where: { key: { startsWith: `command:inbound:` }, payload: { path: ['ticketId'], equals: ticketId } } })).toBe(0);
});

test('a bounce of our acknowledgement becomes an internal note and suppresses the address', async () => {
  const { messageId, ticketId } = await newTicketFromClient('Bounce origin');
  const [ack] = await delivered(CLIENT, (m) => header(m.parsed, 'in-reply-to').includes(messageId));
  const boundary = 'dsn-boundary';
  const dsn = rawMail({
    from: 'MAILER-DAEMON@client.test',
    subject: 'Undelivered Mail Returned to Sender',
    headers: { 'Auto-Submitted': 'auto-replied' },
    mime: {
      contentType: `multipart/report; report-type=delivery-status; boundary="${boundary}"`,
      body: [
        `--${boundary}`,
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        `--${boundary}`,
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.client.test',
        '',
        `Final-Recipient: rfc822; ${CLIENT}`,
        'Action: failed',
        'Status: 5.1.1',
        'Diagnostic-Code: smtp; 550 5.1.1 user unknown',
        `--${boundary}`,
        'Content-Type: text/rfc822-headers',
        '',
        `Message-ID: ${ack.parsed.messageId}`,
        `Subject: ${ack.parsed.subject}`,
        `--${boundary}--`,
      ].join('\r\n'),
    },
  });
  const dsnId = /Message-ID: (<[^>]+>)/.exec(dsn)![1];
  await servers.deliver(dsn, SUPPORT);
  expect(await ledger(dsnId)).toMatchObject({ ticketId, outcome: 'bounce-note' });
  const note = await ctx.prisma.ticketMessage.findFirstOrThrow({ where: { ticketId, direction: 'INTERNAL' } });
  expect(note.bodyText).toContain('5.1.1');
  expect(await ctx.prisma.mailSuppression.findUnique({ where: { address: CLIENT } })).not.toBeNull();
  await ctx.prisma.mailSuppression.deleteMany({});
});

test('an oversize message is rejected politely, without a ticket', async () => {
  const messageId = newMessageId();
  await servers.deliver(rawMail({ from: COLLEAGUE, subject: 'Huge scan', messageId, body: 'x'.repeat(300 * 1024) }), SUPPORT);
  const row = await ledger(messageId, 'REJECTED');
  expect(row.outcome).toBe('too-large');
  expect(row.ticketId).toBeNull();
  expect(row.raw.length).toBeLessThan(10_000); // only the header is kept
  const [answer] = await delivered(COLLEAGUE, (m) => header(m.parsed, 'in-reply-to').includes(messageId.toLowerCase().slice(1, 20)) || header(m.parsed, 'in-reply-to').includes(messageId));
  expect(header(answer.parsed, 'auto-submitted')).toMatch(/auto-replied/);
});

test('malformed mail is quarantined without blocking the next one; the API lists and retries it (admins only)', async () => {
  const bad = newMessageId();
  await servers.deliver(`Subject: no sender at all\r\nMessage-ID: ${bad}\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nbroken`, SUPPORT);
  const good = newMessageId();
  await servers.deliver(rawMail({ from: CLIENT, subject: 'After the bad one', messageId: good }), SUPPORT);
  await ledger(good);
  const row = await ledger(bad, 'QUARANTINED');
  expect(row.error).toMatch(/sender/);
  await eventually(async () => {
    const q = await servers.doveadm('-f', 'flow', 'search', '-u', SUPPORT, 'mailbox', 'Quarantine', 'all');
    expect(q.trim()).not.toBe('');
  });

  const admin = await ctx.userWithToken('ADMIN');
  const techUser = await ctx.userWithToken('TECHNICIAN');
  const list = await ctx.app.inject({ method: 'GET', url: '/mail/inbound', headers: { authorization: `Bearer ${admin.token}` } });
  expect(list.statusCode).toBe(200);
  expect(list.json().items.map((i: { id: string }) => i.id)).toContain(row.id);
  const refused = await ctx.app.inject({ method: 'GET', url: '/mail/inbound', headers: { authorization: `Bearer ${techUser.token}` } });
  expect(refused.statusCode).toBe(403);
  const raw = await ctx.app.inject({ method: 'GET', url: `/mail/inbound/${row.id}/raw`, headers: { authorization: `Bearer ${admin.token}` } });
  expect(raw.headers['content-disposition']).toMatch(/^attachment/);
  expect(raw.body).toContain('no sender at all');
  const retry = await ctx.app.inject({ method: 'POST', url: `/mail/inbound/${row.id}/retry`, headers: { authorization: `Bearer ${admin.token}` }, payload: {} });
  expect(retry.statusCode).toBe(202);
  intake.nudgeAll();
  await eventually(async () => {
    const again = await ctx.prisma.inboundMessage.findUniqueOrThrow({ where: { id: row.id } });
    expect(again).toMatchObject({ status: 'QUARANTINED', attempts: 2 });
  });
});

test('hostile HTML is sanitised and hostile attachment names never become paths', async () => {
  const messageId = newMessageId();
  const b = 'b1';
  await servers.deliver(
    rawMail({
      from: CLIENT,
      subject: 'Hostile',
      messageId,
      mime: {
        contentType: `multipart/mixed; boundary="${b}"`,
        body: [
          `--${b}`,
          'Content-Type: text/html; charset=utf-8',
          '',
          '<p onclick="steal()">Hi<script>alert(1)</script><img src="x" onerror="pwn()"><a href="javascript:evil()">x</a></p>',
          `--${b}`,
          'Content-Type: application/pdf; name="../../etc/passwd.pdf"',
          'Content-Disposition: attachment; filename="../../etc/passwd.pdf"',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('%PDF-1.4 fake pdf content').toString('base64'),
          `--${b}`,
          'Content-Type: application/octet-stream; name="invoice.pdf.exe"',
          'Content-Disposition: attachment; filename="invoice.pdf.exe"',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('MZ\x90\x00 this is a windows executable').toString('base64'),
          `--${b}--`,
        ].join('\r\n'),
      },
    }),
    SUPPORT,
  );
  const row = await ledger(messageId);
  const msg = await ctx.prisma.ticketMessage.findFirstOrThrow({ where: { inboundId: row.id }, include: { attachments: true } });
  expect(msg.bodyHtml).not.toMatch(/script|onerror|onclick|javascript:/i);
  expect(msg.bodyText).toContain('Hi');
  expect(msg.attachments).toHaveLength(1);
  expect(msg.attachments[0].fileName).not.toMatch(/[\\/]/);
  expect(msg.attachments[0].storageKey).not.toContain('passwd');
  expect(msg.bodyText).toMatch(/invoice\.pdf\.exe.*dangerous/);
  expect(await ctx.prisma.attachmentBlob.count({ where: { storageKey: msg.attachments[0].storageKey } })).toBe(1);
  const admin = await ctx.userWithToken('ADMIN');
  const download = await ctx.app.inject({ method: 'GET', url: `/tickets/${row.ticketId}/attachments/${msg.attachments[0].id}`, headers: { authorization: `Bearer ${admin.token}` } });
  expect(download.statusCode).toBe(200);
  expect(download.headers['content-disposition']).toMatch(/^attachment; filename="passwd\.pdf"/);
  expect(download.headers['x-content-type-options']).toBe('nosniff');
  expect(download.body).toContain('%PDF-1.4');
});

test('unknown senders: held for triage, then filed under a client by the API; a mailbox set to reject answers politely', async () => {
  const messageId = newMessageId('elsewhere.test');
  await servers.deliver(rawMail({ from: STRANGER, subject: 'Who am I', messageId }), SUPPORT);
  const held = await ledger(messageId, 'HELD');
  const admin = await ctx.userWithToken('ADMIN');
  const retry = await ctx.app.inject({ method: 'POST', url: `/mail/inbound/${held.id}/retry`, headers: { authorization: `Bearer ${admin.token}` }, payload: { clientId } });
  expect(retry.statusCode).toBe(202);
  intake.nudgeAll();
  const done = await ledger(messageId, 'PROCESSED');
  expect(await ctx.prisma.ticket.findUniqueOrThrow({ where: { id: done.ticketId! } })).toMatchObject({ clientId });

  // the mailbox switched to "reject" (picked up by the running intake at its next refresh)
  const mailbox = await ctx.prisma.mailbox.findFirstOrThrow();
  const patched = await ctx.app.inject({ method: 'PATCH', url: `/mailboxes/${mailbox.id}`, headers: { authorization: `Bearer ${admin.token}` }, payload: { unknownSenders: 'REJECT' } });
  expect(patched.statusCode).toBe(200);
  expect(patched.json()).not.toHaveProperty('imapPassword');
  await new Promise((r) => setTimeout(r, 2500));
  const rejectedId = newMessageId('elsewhere.test');
  await servers.deliver(rawMail({ from: 'other@elsewhere.test', to: SUPPORT, subject: 'Spam-ish', messageId: rejectedId }), SUPPORT);
  await servers.deliver(rawMail({ from: STRANGER, subject: 'Let me in', messageId: newMessageId('elsewhere.test') }), SUPPORT);
  expect((await ledger(rejectedId, 'REJECTED')).outcome).toBe('unknown-sender');
  const [answer] = await delivered(STRANGER, (m) => header(m.parsed, 'auto-submitted').includes('auto-replied'));
  expect(answer.parsed.from?.value[0].address).toBe(SUPPORT);
  await ctx.app.inject({ method: 'PATCH', url: `/mailboxes/${mailbox.id}`, headers: { authorization: `Bearer ${admin.token}` }, payload: { unknownSenders: null } });
});

test('the API writes the same messages: a technician\'s reply through POST /tickets/:id/messages is mailed to the client once', async () => {
  const { ticketId } = await newTicketFromClient('Via the API');
  const tech = await ctx.userWithToken('TECHNICIAN');
  const post = () =>
    ctx.app.inject({ method: 'POST', url: `/tickets/${ticketId}/messages`, headers: { authorization: `Bearer ${tech.token}` }, payload: { kind: 'reply', body: 'Answer from the API', idempotencyKey: 'k1' } });
  const first = await post();
  expect(first.statusCode).toBe(201);
  expect((await post()).json()).toMatchObject({ id: first.json().id, created: false });
  const note = await ctx.app.inject({ method: 'POST', url: `/tickets/${ticketId}/messages`, headers: { authorization: `Bearer ${tech.token}` }, payload: { kind: 'note', body: 'private' } });
  expect(note.statusCode).toBe(201);
  await delivered(CLIENT, (m) => (m.parsed.text ?? '').includes('Answer from the API'));
  await new Promise((r) => setTimeout(r, 1000));
  expect((await readFolder(servers, CLIENT)).filter((m) => (m.parsed.text ?? '').includes('Answer from the API'))).toHaveLength(1);
  expect((await readFolder(servers, CLIENT)).some((m) => (m.parsed.text ?? '').includes('private'))).toBe(false);
  const list = await ctx.app.inject({ method: 'GET', url: `/tickets/${ticketId}/messages`, headers: { authorization: `Bearer ${tech.token}` } });
  expect(list.json().items.map((m: { direction: string }) => m.direction)).toEqual(['INBOUND', 'OUTBOUND', 'INTERNAL']);
});

test('a reply to a ticket closed within the reopen window goes on it; after the window it opens a new ticket linked to the old one', async () => {
  const { messageId, ticketId } = await newTicketFromClient('Closed long ago');
  await ctx.prisma.ticket.update({ where: { id: ticketId }, data: { status: 'CLOSED', closedAt: new Date(Date.now() - 60 * 86_400_000) } });
  const late = newMessageId();
  await servers.deliver(rawMail({ from: CLIENT, subject: 'Re: Closed long ago', references: [messageId], messageId: late }), SUPPORT);
  const row = await ledger(late);
  expect(row.outcome).toBe('new-ticket-linked');
  expect(await ctx.prisma.ticket.findUniqueOrThrow({ where: { id: row.ticketId! } })).toMatchObject({ linkedTicketId: ticketId });

  const recent = await newTicketFromClient('Closed recently');
  await ctx.prisma.ticket.update({ where: { id: recent.ticketId }, data: { status: 'CLOSED', closedAt: new Date(Date.now() - 86_400_000) } });
  const soon = newMessageId();
  await servers.deliver(rawMail({ from: CLIENT, subject: 'Re: Closed recently', references: [recent.messageId], messageId: soon }), SUPPORT);
  expect(await ledger(soon)).toMatchObject({ ticketId: recent.ticketId, outcome: 'reply:message-id' });
});

test('a UIDVALIDITY change rescans the folder and the Message-ID hash drops what is already stored', async () => {
  const before = await ctx.prisma.inboundMessage.count();
  const state = await ctx.prisma.mailboxSyncState.findFirstOrThrow();
  // messages left in the INBOX (another client copied them back) are seen again after the reset
  const keep = newMessageId();
  await servers.deliver(rawMail({ from: CLIENT, subject: 'Copied back', messageId: keep }), SUPPORT, { mailbox: 'Processed' });
  await servers.doveadm('copy', '-u', SUPPORT, 'INBOX', 'mailbox', 'Processed', 'all');
  await ctx.prisma.mailboxSyncState.update({ where: { mailboxId_folder: { mailboxId: state.mailboxId, folder: state.folder } }, data: { uidValidity: 1n, lastUid: 999_999n } });
  intake.nudgeAll();
  await eventually(async () => {
    const s = await ctx.prisma.mailboxSyncState.findFirstOrThrow();
    expect(s.uidValidity).not.toBe(1n);
    const inbox = await servers.doveadm('-f', 'flow', 'mailbox', 'status', '-u', SUPPORT, 'messages', 'INBOX');
    expect(inbox).toMatch(/messages=0\b/);
  });
  // everything copied back was already in the ledger, except the one new message
  expect(await ctx.prisma.inboundMessage.count()).toBe(before + 1);
  await ledger(keep);
});

// last: its 100 tickets use up the technicians' notification budget
test('an auto-reply storm from one address gets at most the budgeted automatic answers', async () => {
  const { messageId, ticketId } = await newTicketFromClient('Storm origin');
  const robot = 'robot@client.test';
  const storm = Array.from({ length: 200 }, (_, i) =>
    i % 2 === 0
      ? rawMail({ from: robot, subject: `Out of office ${i}`, inReplyTo: messageId, messageId: newMessageId(), headers: { 'Auto-Submitted': 'auto-replied' } })
      : // a badly behaved responder without any marker: each looks like a new request
        rawMail({ from: robot, subject: `I am away ${i}`, messageId: newMessageId() }),
  );
  for (const raw of storm) await servers.deliver(raw, SUPPORT);
  await eventually(async () => expect(await ctx.prisma.inboundMessage.count({ where: { fromAddress: robot, status: { not: 'STORED' } } })).toBe(200), { timeoutMs: 120_000, intervalMs: 500 });
  await eventually(async () => expect(await ctx.prisma.outboxEntry.count({ where: { dispatchedAt: null } })).toBe(0), { timeoutMs: 120_000, intervalMs: 500 });
  const sent = await ctx.prisma.outboundMail.count({ where: { recipient: robot, status: 'SENT' } });
  expect(sent).toBeLessThanOrEqual(20);
  // the unmarked half did each open a ticket and ask for an acknowledgement: the budget held them back
  expect(await ctx.prisma.outboundMail.count({ where: { recipient: robot, status: 'OVER_BUDGET' } })).toBeGreaterThanOrEqual(80);
  expect(await ctx.prisma.ticketMessage.count({ where: { ticketId, direction: 'INTERNAL' } })).toBe(100);
});
