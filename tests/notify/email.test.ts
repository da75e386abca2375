import {
  buildNotificationEmail,
  createEmailAdapter,
  notificationMessageId,
  type NotificationDeliveryRequest,
  type OutgoingMail,
} from '../../activities/notify/channels';
import { OperationalError, UserError } from '../../lib/errors';

/**
 * UNIT test of the email adapter's message building only. sendMail here is a fake that records
 * what it is given: nothing goes through SMTP. The real path (activities/mail/smtp-sender.ts to a
 * real SMTP server) must be tested when the adapter is wired to that sender.
 */
describe('email notifications: message building (unit test, fake sendMail)', () => {
  const delivery: NotificationDeliveryRequest = {
    target: 'noc@msp.example, oncall@msp.example',
    event: 'sla.breach',
    idempotencyKey: 'ticket-42:sla.breach:100:route-3f2a',
    message: {
      title: 'SLA breach on T-42\r\nBcc: victim@evil.example',
      text: 'Resolution target passed.\nSecond line <script>',
      severity: 'critical',
      ticket: { id: 42, number: 'T-42', subject: 'Printer "on fire"', url: 'https://psa.msp.example/tickets/42' },
      fields: { Client: 'ACME & Sons' },
    },
  };

  it('derives a stable Message-ID from the idempotency key, so a resend is recognisable', () => {
    const a = notificationMessageId(delivery.idempotencyKey, 'msp.example');
    expect(a).toMatch(/^<notify\.[0-9a-f]{40}@msp\.example>$/);
    expect(notificationMessageId(delivery.idempotencyKey, 'msp.example')).toBe(a);
    expect(notificationMessageId(`${delivery.idempotencyKey}x`, 'msp.example')).not.toBe(a);
  });

  it('builds subject, text, escaped HTML and headers; no header injection from the title', () => {
    const mail = buildNotificationEmail(delivery, { messageIdDomain: 'msp.example' });
    expect(mail.to).toBe('noc@msp.example, oncall@msp.example');
    expect(mail.subject).toBe('[Critical] [T-42] SLA breach on T-42 Bcc: victim@evil.example');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text).toContain('Resolution target passed.\nSecond line <script>');
    expect(mail.text).toContain('Ticket: T-42 Printer "on fire"');
    expect(mail.text).toContain('Client: ACME & Sons');
    expect(mail.text).toContain('https://psa.msp.example/tickets/42');
    expect(mail.html).toContain('Second line &lt;script&gt;');
    expect(mail.html).toContain('ACME &amp; Sons');
    expect(mail.html).not.toContain('<script>');
    expect(mail.headers).toEqual({
      'X-Mspflow-Delivery': delivery.idempotencyKey,
      'X-Mspflow-Event': 'sla.breach',
      'X-Mspflow-Ticket': 'T-42',
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      Importance: 'high',
      'X-Priority': '1',
    });
    for (const v of Object.values(mail.headers!)) expect(v).not.toMatch(/[\r\n]/);
    expect(mail.messageId).toBe(notificationMessageId(delivery.idempotencyKey, 'msp.example'));
  });

  it('hands the same message (same Message-ID) to sendMail on a resend', async () => {
    const sent: OutgoingMail[] = [];
    const adapter = createEmailAdapter({ sendMail: async (m) => void sent.push(m), messageIdDomain: 'msp.example' });
    await adapter.send(delivery);
    await adapter.send(delivery);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual(sent[0]);
  });

  it('refuses a target that is not a list of addresses, and keeps the sender’s error classification', async () => {
    const adapter = createEmailAdapter({ sendMail: async () => undefined, messageIdDomain: 'msp.example' });
    await expect(adapter.send({ ...delivery, target: 'https://not-an-address' })).rejects.toBeInstanceOf(UserError);
    await expect(adapter.send({ ...delivery, target: 'a@b.example\r\nBcc: x@y.example' })).rejects.toBeInstanceOf(UserError);

    const rejecting = (err: unknown) => createEmailAdapter({ sendMail: async () => Promise.reject(err), messageIdDomain: 'msp.example' });
    await expect(rejecting(new UserError('550 no such user')).send(delivery)).rejects.toBeInstanceOf(UserError);
    await expect(rejecting(new OperationalError('421 try later', 'smtp')).send(delivery)).rejects.toBeInstanceOf(OperationalError);
    await expect(rejecting(new Error('socket hang up')).send(delivery)).rejects.toBeInstanceOf(OperationalError);
  });
});
