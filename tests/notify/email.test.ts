import type { MailGateway, SendMailRequest, SendOutcome } from '../../activities/mail/gateway-types';
import { createGatewayEmailAdapter } from '../../activities/mail/notification-email';
import { createTemplateRenderer } from '../../activities/mail/templates';
import type { NotificationDeliveryRequest } from '../../activities/notify/channels';
import { OperationalError, UserError } from '../../lib/errors';

/**
 * UNIT test of the EMAIL notification adapter: what it asks the mail gateway for. The gateway
 * here records the requests (and renders them with the real templates); the real path through
 * the gateway to Postfix and Dovecot is tests/notify/email-smtp.test.ts.
 */
describe('email notifications: requests to the mail gateway (unit test, recording gateway)', () => {
  const delivery: NotificationDeliveryRequest = {
    target: 'noc@msp.example, Oncall@msp.example, noc@msp.example',
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
  const renderer = createTemplateRenderer();

  function recording(outcome: Partial<SendOutcome> = {}) {
    const requests: SendMailRequest[] = [];
    const gateway: Pick<MailGateway, 'send'> = {
      async send(req) {
        requests.push(req as SendMailRequest);
        return { status: 'sent', messageId: '<x@msp.example>', outboundId: 'id', ...outcome };
      },
    };
    return { gateway, requests };
  }

  it('signs a reply token (staff role) for each address when the message asks for one, and none otherwise', async () => {
    const { gateway, requests } = recording();
    await createGatewayEmailAdapter(gateway).send(delivery);
    expect(requests.every((r) => r.replyToken === undefined)).toBe(true);
    const approval = { kind: 'approval' as const, entityId: '0b6c1f4e-1d2a-4c3b-9a8e-7f6d5c4b3a21-1' };
    await createGatewayEmailAdapter(gateway).send({ ...delivery, event: 'rollout.approval-needed', idempotencyKey: 'r1:approval:broad:msp', message: { ...delivery.message, replyToken: approval } });
    const signed = requests.slice(2);
    expect(signed).toHaveLength(2);
    for (const r of signed) expect(r.replyToken).toEqual({ ...approval, role: 'staff' });
  });

  it('asks for one automatic, unbudgeted mail per address, keyed by delivery and address', async () => {
    const { gateway, requests } = recording();
    await createGatewayEmailAdapter(gateway, { locale: 'fr' }).send(delivery);
    expect(requests.map((r) => [r.idempotencyKey, r.to])).toEqual([
      ['notify:ticket-42:sla.breach:100:route-3f2a:noc@msp.example', ['noc@msp.example']],
      ['notify:ticket-42:sla.breach:100:route-3f2a:oncall@msp.example', ['oncall@msp.example']],
    ]);
    expect(requests[0]).toMatchObject({
      template: 'sla-notification',
      automatic: 'auto-generated',
      budgeted: false,
      locale: 'fr',
      ticketId: 42,
      extraHeaders: {
        'X-Mspflow-Delivery': delivery.idempotencyKey,
        'X-Mspflow-Event': 'sla.breach',
        'X-Mspflow-Ticket': 'T-42',
        Importance: 'high',
        'X-Priority': '1',
      },
    });
  });

  it('renders a one-line subject with severity and ticket, escaped HTML, and every fact', async () => {
    const { gateway, requests } = recording();
    await createGatewayEmailAdapter(gateway).send(delivery);
    const r = requests[0] as SendMailRequest<'sla-notification'>;
    const mail = renderer.render('sla-notification', r.locale, r.data);
    expect(mail.subject).toBe('[Critical] [T-42] SLA breach on T-42 Bcc: victim@evil.example');
    expect(mail.text).toContain('Resolution target passed.\nSecond line <script>');
    expect(mail.text).toMatch(/Client +ACME & Sons/);
    expect(mail.text).toMatch(/Event +sla\.breach/);
    expect(mail.html).toContain('Second line &lt;script&gt;');
    expect(mail.html).toContain('ACME &amp; Sons');
    expect(mail.html).toContain('href="https://psa.msp.example/tickets/42"');
    expect(mail.html).not.toContain('<script>');
  });

  it('drops ticket links that are not http(s)', async () => {
    const { gateway, requests } = recording();
    await createGatewayEmailAdapter(gateway).send({ ...delivery, message: { ...delivery.message, ticket: { ...delivery.message.ticket!, url: 'javascript:alert(1)' } } });
    const r = requests[0] as SendMailRequest<'sla-notification'>;
    expect(r.data.ticket?.url).toBeUndefined();
  });

  it('refuses bad targets, and turns refusals and suppressions into non-retryable target errors', async () => {
    const { gateway } = recording();
    const adapter = createGatewayEmailAdapter(gateway);
    await expect(adapter.send({ ...delivery, target: 'https://not-an-address' })).rejects.toBeInstanceOf(UserError);
    await expect(adapter.send({ ...delivery, target: 'a@b.example\r\nBcc: x@y.example' })).rejects.toBeInstanceOf(UserError);
    await expect(createGatewayEmailAdapter(recording({ status: 'failed', error: '550 no such user' }).gateway).send(delivery)).rejects.toThrow(/550 no such user/);
    await expect(createGatewayEmailAdapter(recording({ status: 'suppressed' }).gateway).send(delivery)).rejects.toBeInstanceOf(UserError);
    const down: Pick<MailGateway, 'send'> = { send: async () => Promise.reject(new OperationalError('421 try later', 'smtp')) };
    await expect(createGatewayEmailAdapter(down).send(delivery)).rejects.toBeInstanceOf(OperationalError);
  });
});
