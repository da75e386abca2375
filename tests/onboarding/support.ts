import type { ParsedMail } from 'mailparser';
import { parseReplyToken, tokenFromAddress } from '../../lib/mail/reply-token';
import { readInbox } from '../support/inbox';
import type { MailServers } from '../support/mail-servers';

/** Every message in a user's INBOX, parsed. */
export const inbox = readInbox;

/** The onboarding item a "please send us X" email asks for, read from the reply token in its Reply-To. */
export function itemIdOf(mail: ParsedMail): string | undefined {
  const replyTo = mail.replyTo?.value[0]?.address ?? '';
  const token = tokenFromAddress(replyTo, 'support@example.test');
  const parsed = token ? parseReplyToken(token) : null;
  return parsed?.kind === 'onboarding' ? parsed.entityId : undefined;
}

/** Answers for the standard template's step-1 form items. */
export const stepOneFields = (domain: string, contactEmail: string) => ({
  'company-profile': { legalName: 'ACME Industries SA', domains: [domain], timezone: 'Europe/Paris' },
  contacts: { contacts: [{ name: 'Bob Accounting', email: `bob@${domain}` }, { name: 'Client Contact', email: contactEmail }] },
  'service-level': { tier: 'better', contractType: 'MONTHLY_FIXED', siteHours: '08:00-18:00' },
  'device-inventory': { servers: 1, workstations: 2 },
});

export const mailEnv = (servers: MailServers) => ({
  SMTP_HOST: servers.smtp.host,
  SMTP_PORT: String(servers.smtp.port),
  MAIL_FROM: 'ACME MSP <support@example.test>',
  MAIL_DOMAIN: 'example.test',
});
