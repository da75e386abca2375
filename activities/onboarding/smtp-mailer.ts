import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import type { PrismaClient } from '../../lib/db/prisma';
import { OperationalError, ValidationError, errorKind } from '../../lib/errors';
import type { SmtpSender } from '../mail/smtp-sender';
import type { OnboardingMail, OnboardingMailer } from './ports';

export const ONBOARDING_TEMPLATES_DIR = path.resolve(__dirname, '../../templates/onboarding');

const LEASE_MS = 120_000;

/** Renders templates/onboarding/<template>.<locale>.ejs: first line "Subject: ...", then the text body. */
export function renderOnboardingMail(mail: Pick<OnboardingMail, 'template' | 'locale' | 'data'>, dir = ONBOARDING_TEMPLATES_DIR): { subject: string; text: string } {
  const file = path.join(dir, `${mail.template}.${mail.locale}.ejs`);
  if (!fs.existsSync(file)) throw new ValidationError(`no onboarding email template ${mail.template}.${mail.locale}.ejs`);
  // Plain-text mail: no HTML escaping; header safety is handled on the subject below.
  const out = ejs.render(fs.readFileSync(file, 'utf8'), mail.data, { escape: (v: unknown) => String(v ?? ''), filename: file });
  const [first, ...rest] = out.split('\n');
  const m = /^Subject:\s*(.*)$/.exec(first);
  if (!m) throw new ValidationError(`${file} must start with a "Subject:" line`);
  return { subject: m[1].replace(/[\r\n\t]+/g, ' ').trim().slice(0, 250), text: rest.join('\n').replace(/^\n+/, '') };
}

/**
 * The onboarding mailer for now: EJS templates sent through the SMTP sender, with a ledger row
 * per idempotency key (OnboardingMail). A retried activity or a restarted worker finds the row
 * SENT and sends nothing. Same guarantee and same narrow window as the notification ledger: a
 * crash after the server accepted the message but before the row says SENT resends it once the
 * lease expires, with the same Message-ID (so mail clients collapse it).
 */
export function createSmtpOnboardingMailer(deps: { prisma: PrismaClient; smtp: SmtpSender | undefined; messageIdDomain: string; templatesDir?: string }): OnboardingMailer {
  return {
    async send(mail) {
      const rendered = renderOnboardingMail(mail, deps.templatesDir);
      const digest = crypto.createHash('sha256').update(mail.idempotencyKey).digest('hex').slice(0, 32);
      const messageId = `<onboarding-${digest}@${deps.messageIdDomain}>`;
      await deps.prisma.onboardingMail.createMany({
        data: [{ idempotencyKey: mail.idempotencyKey, onboardingId: mail.onboardingId, template: mail.template, locale: mail.locale, to: mail.to, subject: rendered.subject, messageId }],
        skipDuplicates: true,
      });
      const row = await deps.prisma.onboardingMail.findUniqueOrThrow({ where: { idempotencyKey: mail.idempotencyKey } });
      if (row.status === 'SENT') return { messageId: row.messageId, alreadySent: true };
      if (!deps.smtp) throw new OperationalError('no outgoing mail server is configured (SMTP_HOST): the onboarding email waits until one is', 'smtp');
      if (row.status === 'PENDING' && row.attempts > 0 && Date.now() - row.updatedAt.getTime() < LEASE_MS) {
        throw new OperationalError('another attempt is sending this email right now', 'smtp');
      }
      const claimed = await deps.prisma.onboardingMail.updateMany({
        where: { id: row.id, attempts: row.attempts, status: row.status },
        data: { attempts: row.attempts + 1, status: 'PENDING', updatedAt: new Date() },
      });
      if (claimed.count === 0) throw new OperationalError('another attempt claimed this email', 'smtp');
      try {
        await deps.smtp.send({
          to: [row.to],
          subject: row.subject,
          text: rendered.text,
          messageId: row.messageId,
          headers: mail.replyRef ? { 'X-Mspflow-Onboarding-Ref': mail.replyRef } : undefined,
          autoSubmitted: 'auto-generated',
        });
      } catch (err) {
        await deps.prisma.onboardingMail.updateMany({
          where: { id: row.id, status: { not: 'SENT' } },
          data: { status: 'FAILED', lastError: (err instanceof Error ? err.message : String(err)).slice(0, 1000) },
        });
        if (errorKind(err) === 'user') throw err;
        throw new OperationalError(`sending the onboarding email failed: ${(err as Error).message}`, 'smtp', { cause: err });
      }
      await deps.prisma.onboardingMail.update({ where: { id: row.id }, data: { status: 'SENT', sentAt: new Date(), lastError: null } });
      return { messageId: row.messageId, alreadySent: false };
    },
  };
}
