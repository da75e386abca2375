import type { NotificationChannelAdapter, NotificationDeliveryRequest } from '../notify/channels';
import { NotificationTargetError, httpUrl } from '../notify/channels';
import type { MailGateway } from './gateway-types';
import { isRoutableMailAddress } from '../../lib/mail/address';

/**
 * The EMAIL notification channel on the mail gateway: one `sla-notification` mail per address of
 * the route, keyed `notify:<delivery key>:<address>` in the gateway's ledger, so a retried
 * delivery never sends twice. Notifications are automatic mail (`Auto-Submitted:
 * auto-generated`) that honours the suppression list but not the per-recipient budget: they go
 * to staff, are triggered by our own SLA events and cannot loop with an auto-responder.
 */


export function createGatewayEmailAdapter(gateway: Pick<MailGateway, 'send'>, opts: { locale?: string } = {}): NotificationChannelAdapter {
  return {
    async send(d: NotificationDeliveryRequest) {
      const addresses = d.target
        .split(',')
        .map((a) => a.trim().toLowerCase())
        .filter(Boolean);
      if (!addresses.length || !addresses.every((a) => isRoutableMailAddress(a))) {
        throw new NotificationTargetError('email route target is not a list of email addresses');
      }
      const m = d.message;
      const oneLine = (v: string) => v.replace(/[\r\n\t]+/g, ' ').trim().slice(0, 200);
      const extraHeaders: Record<string, string> = {
        'X-Mspflow-Delivery': oneLine(d.idempotencyKey),
        'X-Mspflow-Event': oneLine(d.event),
        ...(m.ticket ? { 'X-Mspflow-Ticket': oneLine(m.ticket.number) } : {}),
        ...(m.severity === 'critical' ? { Importance: 'high', 'X-Priority': '1' } : {}),
      };
      for (const to of new Set(addresses)) {
        const out = await gateway.send({
          idempotencyKey: `notify:${d.idempotencyKey}:${to}`,
          template: 'sla-notification',
          data: {
            title: m.title,
            text: m.text,
            severity: m.severity,
            ticket: m.ticket ? { id: m.ticket.id, number: m.ticket.number, subject: m.ticket.subject, url: httpUrl(m.ticket.url) } : undefined,
            fields: [...Object.entries(m.fields ?? {}).map(([name, value]) => ({ name, value })), { name: 'Event', value: d.event }],
          },
          to: [to],
          locale: opts.locale,
          automatic: 'auto-generated',
          budgeted: false,
          ...(m.replyToken ? { replyToken: { ...m.replyToken, role: 'staff' as const } } : {}),
          ticketId: m.ticket?.id ?? null,
          extraHeaders,
        });
        if (out.status === 'failed') throw new NotificationTargetError(`email to ${to} was refused: ${out.error ?? 'permanent failure'}`);
        if (out.status === 'suppressed') throw new NotificationTargetError(`email to ${to} not sent: the address bounced recently`);
      }
    },
  };
}
