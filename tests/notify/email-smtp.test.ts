import { createNotificationAdapters } from '../../activities';
import { notify } from '../../activities/notify/notification-service';
import { loadConfig } from '../../lib/config';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { startMailServers, type MailServers } from '../support/mail-servers';
import { readInbox } from '../support/inbox';

/**
 * The email channel end to end: configuration (SMTP_HOST...) → adapters → notification service
 * → a real Postfix → a real Dovecot mailbox, read back over IMAP.
 */
describe('email notifications through a real SMTP server', () => {
  let ctx: TestContext;
  let servers: MailServers;
  let adapters: ReturnType<typeof createNotificationAdapters>;

  beforeAll(async () => {
    servers = await startMailServers();
    ctx = await createTestContext();
    const config = loadConfig({
      SMTP_HOST: servers.smtp.host,
      SMTP_PORT: String(servers.smtp.port),
      MAIL_FROM: 'MSP Support <support@example.test>',
      MAIL_DOMAIN: 'example.test',
      MAIL_REPLY_SECRET: 'notification-test-secret-0123456789abcdef',
    });
    adapters = createNotificationAdapters(config, { prisma: ctx.prisma });
  });
  afterAll(async () => {
    adapters?.close();
    await ctx?.close();
    await servers?.stop();
  });

  const inbox = (address: string) => readInbox(servers, address);

  it('sends one email per notification, however often it is asked', async () => {
    const client = await ctx.prisma.client.create({ data: { code: 'mailco', name: 'Mail Co' } });
    await ctx.prisma.notificationRoute.create({
      data: { clientId: client.id, event: 'sla.breach', channel: 'EMAIL', target: 'tech@example.test' },
    });
    const deps = { prisma: ctx.prisma, adapters: adapters.channels, log: ctx.log };
    const input = {
      clientId: client.id,
      event: 'sla.breach',
      ticketId: 42,
      dedupeKey: 'ticket-42:resolution:breach:100',
      message: {
        title: 'T-42 P2: resolution SLA breached',
        text: 'Mail Co: VPN down (IN_PROGRESS). resolution SLA breached.',
        severity: 'critical' as const,
        ticket: { id: 42, number: 'T-42', subject: 'VPN down' },
      },
    };
    const first = await notify(deps, input);
    expect(first.routes.map((r) => r.outcome)).toEqual(['sent']);
    const again = await notify(deps, input);
    expect(again.routes.map((r) => r.outcome)).toEqual(['already-sent']);

    const mails = await eventually(async () => {
      const m = await inbox('tech@example.test');
      expect(m).toHaveLength(1);
      return m;
    });
    expect(mails[0].subject).toContain('T-42');
    expect(mails[0].text).toContain('resolution SLA breached');
    expect(mails[0].headers.get('auto-submitted')).toBe('auto-generated');
    expect(mails[0].messageId).toMatch(/@example\.test>$/);
    const row = await ctx.prisma.notificationDelivery.findFirstOrThrow({ where: { ticketId: 42 } });
    expect(row).toMatchObject({ status: 'SENT', channel: 'EMAIL', attempts: 1 });
    // sent through the mail gateway, recorded in its ledger
    const outbound = await ctx.prisma.outboundMail.findFirstOrThrow({ where: { ticketId: 42 } });
    expect(outbound).toMatchObject({ status: 'SENT', template: 'sla-notification', recipient: 'tech@example.test', automatic: true, budgeted: false });
    expect(outbound.messageId).toBe(mails[0].messageId);
  });

  it('sends to the ticket assignee at the time of sending ({assignee}), and records why when there is none', async () => {
    const client = await ctx.prisma.client.create({ data: { code: 'assignco', name: 'Assign Co' } });
    await ctx.prisma.notificationRoute.create({
      data: { clientId: client.id, event: 'escalation.L1', channel: 'EMAIL', target: '{assignee}' },
    });
    const tech = await ctx.prisma.user.create({ data: { email: 'client@client.test', name: 'On-site tech', role: 'TECHNICIAN' } });
    const assigned = await ctx.prisma.ticket.create({
      data: { clientId: client.id, subject: 'Printer jam', source: 'API', priority: 'P3', assigneeId: tech.id },
    });
    const unassigned = await ctx.prisma.ticket.create({ data: { clientId: client.id, subject: 'Scanner jam', source: 'API', priority: 'P3' } });
    const deps = { prisma: ctx.prisma, adapters: adapters.channels, log: ctx.log };
    const escalate = (ticketId: number) =>
      notify(deps, {
        clientId: client.id,
        event: 'escalation.L1',
        ticketId,
        dedupeKey: `ticket-${ticketId}:escalation:L1`,
        message: { title: `T-${ticketId}: escalated to L1`, text: 'First response SLA breached.', severity: 'critical' },
      });

    expect((await escalate(assigned.id)).routes).toMatchObject([{ outcome: 'sent' }]);
    const mails = await eventually(async () => {
      const m = (await inbox('client@client.test')).filter((x) => x.subject?.includes(`T-${assigned.id}`));
      expect(m).toHaveLength(1);
      return m;
    });
    expect(mails[0].text).toContain('First response SLA breached');
    expect(await ctx.prisma.notificationDelivery.findFirstOrThrow({ where: { ticketId: assigned.id } })).toMatchObject({
      status: 'SENT',
      target: 'client@client.test',
    });

    // No assignee and no other recipient: a permanent failure, kept with its reason (not retried forever).
    await expect(escalate(unassigned.id)).rejects.toMatchObject({ code: 'NOTIFICATION_FAILED' });
    const failed = await ctx.prisma.notificationDelivery.findFirstOrThrow({ where: { ticketId: unassigned.id } });
    expect(failed.status).toBe('FAILED');
    expect(failed.lastError).toMatch(/has no active assignee/);
  });
});
