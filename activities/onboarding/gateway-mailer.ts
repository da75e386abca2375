import { OperationalError, UserError } from '../../lib/errors';
import type { MailGateway } from '../mail/gateway-types';
import type { OnboardingMailer } from './ports';

/**
 * Onboarding mail through the mail gateway, the one way mspflow sends mail: the gateway renders
 * templates/onboarding/<template>.<locale>.ejs, records the send in OutboundMail under the
 * workflow's business key (a retried activity or a restarted worker sends nothing twice), stamps
 * Auto-Submitted and, for "please send us X" mail, signs a reply token of kind 'onboarding' for
 * the contact into the Message-ID and the Reply-To, so the intake files the answer on the item.
 *
 * Onboarding mail is automatic but not budgeted: it is triggered by the checklist's own timers,
 * never by inbound mail, so it cannot loop with an auto-responder (bounced addresses are still
 * suppressed).
 */
export function createGatewayOnboardingMailer(gateway: Pick<MailGateway, 'send'> | undefined): OnboardingMailer {
  return {
    async send(mail) {
      if (!gateway) throw new OperationalError('no outgoing mail server is configured (SMTP_HOST): the onboarding email waits until one is', 'smtp');
      const outcome = await gateway.send({
        idempotencyKey: mail.idempotencyKey,
        template: `onboarding/${mail.template}`,
        data: mail.data as never,
        to: [mail.to],
        locale: mail.locale,
        automatic: 'auto-generated',
        budgeted: false,
        ...(mail.replyItemId ? { replyToken: { kind: 'onboarding', entityId: mail.replyItemId, role: 'contact' } } : {}),
        extraHeaders: { 'X-Mspflow-Onboarding': mail.onboardingId },
      });
      if (outcome.status === 'sent' || outcome.status === 'already-sent') {
        return { messageId: outcome.messageId, alreadySent: outcome.status === 'already-sent' };
      }
      // refused for good by the server, or the address bounced before: retrying cannot help
      throw new UserError(`onboarding email ${mail.template} to ${mail.to} not sent (${outcome.status}${outcome.error ? `: ${outcome.error}` : ''})`);
    },
  };
}
