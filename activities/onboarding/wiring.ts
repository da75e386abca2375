import type { Config } from '../../lib/config';
import type { PrismaClient } from '../../lib/db/prisma';
import type { MailGateway } from '../mail/gateway-types';
import { createDatabaseDeviceGroups } from './database-device-groups';
import type { DeviceGroupPort, OnboardingMailer } from './ports';
import { createGatewayOnboardingMailer } from './gateway-mailer';

export interface OnboardingPorts {
  mailer: OnboardingMailer;
  devices: DeviceGroupPort;
  mail: { supportAddress: string; msp: string; staffLocale?: 'fr' | 'en' };
}

/** The address part of MAIL_FROM ("mspflow <support@x>" gives support@x) and its display name. */
function fromParts(from: string): { address: string; name: string } {
  const m = /^\s*"?([^"<]*?)"?\s*<([^<>]+)>\s*$/.exec(from);
  return m ? { name: m[1].trim() || m[2], address: m[2] } : { name: from, address: from };
}

/**
 * The onboarding ports: mail through the mail gateway (none configured: onboarding mail waits,
 * retried, until one is), device groups over the Device table the RMM sync fills.
 */
export function createOnboardingPorts(deps: { prisma: PrismaClient; gateway?: Pick<MailGateway, 'send'>; config?: Pick<Config, 'mail'> }): OnboardingPorts {
  const from = fromParts(deps.config?.mail.from ?? 'mspflow <support@mspflow.local>');
  return {
    mailer: createGatewayOnboardingMailer(deps.gateway),
    devices: createDatabaseDeviceGroups({ prisma: deps.prisma }),
    mail: { supportAddress: deps.config?.mail.supportAddress ?? from.address, msp: from.name, staffLocale: deps.config?.mail.staffLocale },
  };
}
