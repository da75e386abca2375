import type { Config } from '../../lib/config';
import type { PrismaClient } from '../../lib/db/prisma';
import type { SmtpSender } from '../mail/smtp-sender';
import { createDatabaseDeviceGroups } from './database-device-groups';
import type { DeviceGroupPort, OnboardingMailer } from './ports';
import { createSmtpOnboardingMailer } from './smtp-mailer';

export interface OnboardingPorts {
  mailer: OnboardingMailer;
  devices: DeviceGroupPort;
  mail: { supportAddress: string; msp: string };
}

/** The address part of MAIL_FROM ("mspflow <support@x>" gives support@x) and its display name. */
function fromParts(from: string): { address: string; name: string } {
  const m = /^\s*"?([^"<]*?)"?\s*<([^<>]+)>\s*$/.exec(from);
  return m ? { name: m[1].trim() || m[2], address: m[2] } : { name: from, address: from };
}

/**
 * Today's implementations of the onboarding ports: EJS + the SMTP sender for mail, the Device
 * table for the RMM. The email and RMM branches replace these two lines' worth of wiring.
 */
export function createOnboardingPorts(deps: { prisma: PrismaClient; smtp?: SmtpSender; config?: Pick<Config, 'mail'> }): OnboardingPorts {
  const from = fromParts(deps.config?.mail.from ?? 'mspflow <support@mspflow.local>');
  return {
    mailer: createSmtpOnboardingMailer({ prisma: deps.prisma, smtp: deps.smtp, messageIdDomain: deps.config?.mail.domain ?? 'mspflow.local' }),
    devices: createDatabaseDeviceGroups({ prisma: deps.prisma }),
    mail: { supportAddress: from.address, msp: from.name },
  };
}
