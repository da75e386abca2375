import type { ParsedMail } from 'mailparser';
import { createMailGateway, type GatewaySettings } from '../../activities/mail/gateway';
import type { MailGateway, SendMailRequest } from '../../activities/mail/gateway-types';
import { createSmtpSender, type SmtpSender } from '../../activities/mail/smtp-sender';
import { suppressAddress } from '../../activities/mail/suppression';
import { createPrisma, type PrismaClient } from '../../lib/db/prisma';
import { OperationalError } from '../../lib/errors';
import { tokenFromAddress, tokenFromMessageId, verifyReplyToken } from '../../lib/mail/reply-token';
import { createTestDatabase } from '../support/context';
import { eventually } from '../support/eventually';
import { startMailServers, type MailServers } from '../support/mail-servers';
import { readInbox } from '../support/inbox';

/**
 * The outbound gateway against a real Postfix delivering to a real Dovecot, and a real
 * PostgreSQL for its ledger: what arrives in the mailboxes is read back over IMAP.
 */
const SECRET = 'gateway-test-secret-0123456789abcdef';
const SUPPORT = 'support@example.test';
const USERS = [SUPPORT, 'tech@example.test', 'client@client.test', 'cc@client.test', 'flood@client.test', 'bounced@client.test'];

describe('mail gateway through real Postfix and Dovecot', () => {
  let servers: MailServers;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let prisma: PrismaClient;
  let sender: SmtpSender;
  let gateway: MailGateway;
  const settings: GatewaySettings = {
    domain: 'example.test',
    supportAddress: SUPPORT,
    fromName: 'ACME Support',
    replySecrets: [SECRET],
    autoBudget: { count: 3, windowMinutes: 60 },
  };

  beforeAll(async () => {
    servers = await startMailServers({ users: USERS });
    db = await createTestDatabase();
    prisma = createPrisma(db.url, { maxConnections: 5 });
    sender = createSmtpSender({ host: servers.smtp.host, port: servers.smtp.port, secure: false, from: `ACME Support <${SUPPORT}>` });
    gateway = createMailGateway({ prisma, sender, settings });
  });
  afterAll(async () => {
    gateway?.close();
    await prisma?.$disconnect();
    await db?.drop();
    await servers?.stop();
  });

  const inbox = (address: string) => readInbox(servers, address);

  /** Waits for exactly `n` messages, then checks a little longer that no extra one arrives. */
  async function expectMessages(address: string, n: number): Promise<ParsedMail[]> {
    await eventually(async () => expect(await inbox(address)).toHaveLength(n));
    await new Promise((r) => setTimeout(r, 700));
    const mails = await inbox(address);
    expect(mails).toHaveLength(n);
    return mails;
  }

  const ack = (key: string, to = 'client@client.test', locale = 'fr'): SendMailRequest<'ticket-acknowledgement'> => ({
    idempotencyKey: key,
    template: 'ticket-acknowledgement',
    data: { ticket: { id: 1042, subject: 'Imprimante en feu' }, contactName: 'Jean' },
    to: [to],
    locale,
    automatic: 'auto-replied',
    replyToken: { kind: 'ticket', entityId: '1042', role: 'contact' },
    ticketId: 1042,
    inReplyTo: '<CAF-original@client.test>',
    references: ['<CAF-original@client.test>'],
  });

  it('sends an acknowledgement: French template, threading, RFC 3834 headers, signed Message-ID and Reply-To, envelope, record', async () => {
    const outcome = await gateway.send(ack('ticket-1042:ack'));
    expect(outcome.status).toBe('sent');
    const [mail] = await expectMessages('client@client.test', 1);

    expect(mail.subject).toBe('[#T-1042] Imprimante en feu');
    expect(mail.text).toContain('Nous avons bien reçu votre demande');
    expect(mail.html).toContain('<strong>T-1042</strong>');
    expect(mail.from?.value[0]).toEqual({ address: SUPPORT, name: 'ACME Support' });
    expect(mail.headers.get('auto-submitted')).toBe('auto-replied');
    expect(mail.headers.get('x-auto-response-suppress')).toBe('All');
    expect(mail.inReplyTo).toBe('<CAF-original@client.test>');
    expect(mail.references).toEqual('<CAF-original@client.test>');
    // envelope sender: the support address (bounces come back to the intake)
    expect(mail.headers.get('return-path')).toMatchObject({ value: [{ address: SUPPORT }] });

    expect(mail.messageId).toBe(outcome.messageId);
    const idToken = tokenFromMessageId(mail.messageId!, 'example.test')!;
    expect(verifyReplyToken(SECRET, idToken, 'client@client.test')).toMatchObject({ ok: true, claims: { kind: 'ticket', entityId: '1042', role: 'contact' } });
    expect(verifyReplyToken(SECRET, idToken, 'tech@example.test').ok).toBe(false);
    const replyTo = mail.replyTo!.value[0].address!;
    expect(replyTo).toMatch(/^support\+t\.1042\.c\.[a-z2-7]{26}@example\.test$/);
    expect(tokenFromAddress(replyTo, SUPPORT)).toBe(idToken);

    const row = await prisma.outboundMail.findUniqueOrThrow({ where: { idempotencyKey: 'ticket-1042:ack' } });
    expect(row).toMatchObject({
      status: 'SENT',
      messageId: outcome.messageId,
      template: 'ticket-acknowledgement',
      locale: 'fr',
      recipient: 'client@client.test',
      automatic: true,
      ticketId: 1042,
      envelopeFrom: SUPPORT,
      attempts: 1,
    });
    expect(row.smtpResponse).toMatch(/^250 /);
  });

  it('never sends twice for one business key, even when called concurrently', async () => {
    const first = await gateway.send(ack('ticket-1042:ack'));
    expect(first.status).toBe('already-sent');
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => gateway.send(ack('ticket-2000:ack', 'cc@client.test', 'en'))));
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : (r.reason as Error).constructor.name));
    expect(statuses.filter((s) => s === 'sent')).toHaveLength(1);
    // the others found it already sent, or in the middle of being sent (a retryable error)
    expect(statuses.every((s) => ['sent', 'already-sent', 'OperationalError'].includes(s))).toBe(true);
    const [mail] = await expectMessages('cc@client.test', 1);
    expect(mail.text).toContain('We have received your request');
    expect(await prisma.outboundMail.count({ where: { idempotencyKey: 'ticket-2000:ack' } })).toBe(1);
  });

  it('caps automatic mail per recipient: a storm of 20 gets the budget (3); a person\'s reply and an unbudgeted notification still go', async () => {
    const outcomes = [];
    for (let i = 0; i < 20; i++) {
      outcomes.push(await gateway.send({ ...ack(`storm-${i}:ack`, 'flood@client.test'), replyToken: undefined }));
    }
    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(3);
    expect(outcomes.filter((o) => o.status === 'over-budget')).toHaveLength(17);
    const relay = await gateway.send({
      idempotencyKey: 'ticket-1042:relay:1',
      template: 'ticket-reply',
      data: { ticket: { id: 1042, subject: 'Imprimante' }, bodyText: 'Redémarrez-la.', technicianName: 'Alice' },
      to: ['flood@client.test'],
      locale: 'fr',
      automatic: false,
    });
    expect(relay.status).toBe('sent');
    // a staff notification is automatic but not budgeted: it still goes
    const notification = await gateway.send({
      idempotencyKey: 'notify:ticket-1042:breach:flood@client.test',
      template: 'sla-notification',
      data: { title: 'T-1042 breached', text: 'Resolution SLA breached', severity: 'critical' },
      to: ['flood@client.test'],
      automatic: 'auto-generated',
      budgeted: false,
    });
    expect(notification.status).toBe('sent');
    const mails = await expectMessages('flood@client.test', 5);
    expect(mails.find((m) => m.subject === '[Critical] T-1042 breached')?.headers.get('auto-submitted')).toBe('auto-generated');
    const over = await prisma.outboundMail.findFirstOrThrow({ where: { idempotencyKey: 'storm-10:ack' } });
    expect(over.status).toBe('OVER_BUDGET');
    expect(over.lastError).toMatch(/budget 3/);
  });

  it('counts the budget correctly when the storm arrives concurrently', async () => {
    const g = createMailGateway({ prisma, sender, settings: { ...settings, autoBudget: { count: 2, windowMinutes: 60 } } });
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => g.send({ ...ack(`parallel-${i}:ack`, 'tech@example.test', 'en'), replyToken: undefined })),
    );
    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(2);
    await expectMessages('tech@example.test', 2);
  });

  it('honours the suppression list for automatic mail only', async () => {
    await suppressAddress(prisma, { address: 'Bounced@Client.test', reason: '5.1.1 user unknown', source: '<dsn@x>', days: 7 });
    const auto = await gateway.send(ack('ticket-3000:ack', 'bounced@client.test'));
    expect(auto.status).toBe('suppressed');
    expect(auto.error).toMatch(/5\.1\.1 user unknown/);
    const human = await gateway.send({
      idempotencyKey: 'ticket-3000:relay:1',
      template: 'ticket-reply',
      data: { ticket: { id: 3000, subject: 'VPN' }, bodyText: 'Try again now.', technicianName: 'Alice' },
      to: ['bounced@client.test'],
      automatic: false,
    });
    expect(human.status).toBe('sent');
    const [mail] = await expectMessages('bounced@client.test', 1);
    expect(mail.subject).toBe('Re: [#T-3000] VPN');
    expect(mail.headers.get('auto-submitted')).toBeUndefined();
  });

  it('relays to To and Cc with an explicit envelope and the technician\'s name on the support address', async () => {
    await servers.doveadm('expunge', '-u', 'cc@client.test', 'mailbox', 'INBOX', 'all');
    await servers.doveadm('expunge', '-u', 'client@client.test', 'mailbox', 'INBOX', 'all');
    const out = await gateway.send({
      idempotencyKey: 'ticket-4000:relay:1',
      template: 'ticket-reply',
      data: { ticket: { id: 4000, subject: 'Printer' }, bodyText: 'Fixed.', technicianName: 'Alice Martin' },
      to: ['client@client.test'],
      cc: ['cc@client.test'],
      automatic: false,
      fromName: 'Alice Martin (ACME Support)',
      inReplyTo: '<c2@client.test>',
      references: ['<c1@client.test>', '<c2@client.test>'],
      attachments: [{ filename: '../../etc/report.pdf', content: Buffer.from('%PDF-1.4\n%%EOF\n'), contentType: 'application/pdf' }],
    });
    expect(out.status).toBe('sent');
    const [toMail] = await expectMessages('client@client.test', 1);
    const [ccMail] = await expectMessages('cc@client.test', 1);
    expect(toMail.messageId).toBe(ccMail.messageId);
    expect(toMail.from?.value[0]).toEqual({ address: SUPPORT, name: 'Alice Martin (ACME Support)' });
    expect(toMail.cc).toMatchObject({ value: [{ address: 'cc@client.test' }] });
    expect(toMail.references).toEqual(['<c1@client.test>', '<c2@client.test>']);
    expect(toMail.replyTo?.value[0].address).toBe(SUPPORT);
    expect(toMail.attachments.map((a) => [a.filename, a.contentType, a.contentDisposition, a.content.toString()])).toEqual([
      ['report.pdf', 'application/pdf', 'attachment', '%PDF-1.4\n%%EOF\n'],
    ]);
  });

  it('a Cc refused by the server does not stop the mail to the others, and is on record', async () => {
    const out = await gateway.send({
      idempotencyKey: 'ticket-4500:relay:1',
      template: 'ticket-reply',
      data: { ticket: { id: 4500, subject: 'Printer' }, bodyText: 'Fixed.', technicianName: 'Alice' },
      to: ['tech@example.test'],
      cc: ['nobody@example.test'],
      automatic: false,
    });
    expect(out.status).toBe('sent');
    const row = await prisma.outboundMail.findUniqueOrThrow({ where: { idempotencyKey: 'ticket-4500:relay:1' } });
    expect(row.status).toBe('SENT');
    expect(row.smtpResponse).toContain('refused: nobody@example.test');
  });

  it('records a permanent refusal as FAILED and does not try again', async () => {
    const out = await gateway.send({ ...ack('ticket-5000:ack', 'nobody@example.test'), replyToken: undefined });
    expect(out.status).toBe('failed');
    expect(out.error).toMatch(/5\d\d/);
    const again = await gateway.send({ ...ack('ticket-5000:ack', 'nobody@example.test'), replyToken: undefined });
    expect(again.status).toBe('failed');
    const row = await prisma.outboundMail.findUniqueOrThrow({ where: { idempotencyKey: 'ticket-5000:ack' } });
    expect(row).toMatchObject({ status: 'FAILED', attempts: 1 });
  });

  it('an unreachable server is retryable: the row waits, and the retry sends with the same Message-ID', async () => {
    const down = createSmtpSender({ host: '127.0.0.1', port: 1, secure: false, from: SUPPORT, timeouts: { connectMs: 2000 } });
    const g = createMailGateway({ prisma, sender: down, settings });
    await expect(g.send(ack('ticket-6000:ack', 'cc@client.test'))).rejects.toBeInstanceOf(OperationalError);
    g.close();
    const waiting = await prisma.outboundMail.findUniqueOrThrow({ where: { idempotencyKey: 'ticket-6000:ack' } });
    expect(waiting).toMatchObject({ status: 'SENDING', attempts: 1, leaseUntil: null });
    expect(waiting.lastError).toMatch(/SMTP/);

    await servers.doveadm('expunge', '-u', 'cc@client.test', 'mailbox', 'INBOX', 'all');
    const retried = await gateway.send(ack('ticket-6000:ack', 'cc@client.test'));
    expect(retried).toMatchObject({ status: 'sent', messageId: waiting.messageId });
    const [mail] = await expectMessages('cc@client.test', 1);
    expect(mail.messageId).toBe(waiting.messageId);
  });

  it('a crash after the SMTP transaction but before the record: the retry resends the same Message-ID', async () => {
    await servers.doveadm('expunge', '-u', 'cc@client.test', 'mailbox', 'INBOX', 'all');
    // the first attempt delivers, then "dies" before marking the row sent
    const dying: SmtpSender = {
      async send(msg) {
        await sender.send(msg);
        throw new OperationalError('process killed after the SMTP transaction', 'smtp');
      },
      close() {},
    };
    await expect(createMailGateway({ prisma, sender: dying, settings }).send(ack('ticket-7000:ack', 'cc@client.test'))).rejects.toThrow(/killed/);
    const retried = await gateway.send(ack('ticket-7000:ack', 'cc@client.test'));
    expect(retried.status).toBe('sent');
    const mails = await expectMessages('cc@client.test', 2);
    expect(new Set(mails.map((m) => m.messageId))).toEqual(new Set([retried.messageId]));
    expect(await gateway.send(ack('ticket-7000:ack', 'cc@client.test'))).toMatchObject({ status: 'already-sent' });
  });

  it('refuses requests it cannot honour before writing anything', async () => {
    await expect(gateway.send({ ...ack('bad-1'), to: ['a@client.test', 'b@client.test'] })).rejects.toThrow(/exactly one recipient/);
    await expect(gateway.send({ ...ack('bad-2'), to: ['not an address'] })).rejects.toThrow(/not plain addresses/);
    await expect(gateway.send({ ...ack('bad-3'), to: ['x@client.test\r\nBcc: y@evil.test'] })).rejects.toThrow(/not plain addresses/);
    await expect(gateway.send({ ...ack('bad-4'), idempotencyKey: '' })).rejects.toThrow(/idempotencyKey/);
    await expect(gateway.send({ ...ack('bad-5'), extraHeaders: { Bcc: 'x@evil.test' } })).rejects.toThrow(/cannot be set/);
    await expect(gateway.send({ ...ack('bad-6'), extraHeaders: { 'X-Mspflow-Event': 'a\r\nBcc: x@evil.test' } })).rejects.toThrow(/one line/);
    await expect(
      gateway.send({ ...ack('bad-7'), attachments: [{ filename: 'big.bin', content: Buffer.alloc(19 * 1024 * 1024), contentType: 'application/octet-stream' }] }),
    ).rejects.toThrow(/send a link/);
    expect(await prisma.outboundMail.count({ where: { idempotencyKey: { startsWith: 'bad-' } } })).toBe(0);
  });
});
