import type { Config } from '../lib/config';
import type { PrismaClient } from '../lib/db/prisma';
import type { Logger } from '../lib/logger';
import { withFailureMapping } from '../lib/temporal-failure';
import { createConfiguredMailGateway } from './mail/gateway';
import { createGatewayEmailAdapter } from './mail/notification-email';
import { createChannelAdapters } from './notify/channels';
import { notify, type NotifyDeps } from './notify/notification-service';
import { createNotifyActivities } from './notify/notify-activities';
import { createSlaActivities } from './sla/sla-activities';
import { createTicketActivities } from './tickets/ticket-activities';

export interface ActivityDeps {
  prisma: PrismaClient;
  log: Logger;
  /** Notification channel adapters by channel (see createNotificationAdapters). */
  channels: NotifyDeps['adapters'];
}

/**
 * Channel adapters from configuration: webhooks always, email when an SMTP server is configured
 * (through the mail gateway, the one way mspflow sends mail).
 */
export function createNotificationAdapters(
  config: Config,
  deps: { prisma: PrismaClient; log?: Logger },
): { channels: NotifyDeps['adapters']; close(): void } {
  const gateway = createConfiguredMailGateway(config, deps);
  const channels = createChannelAdapters({ allowPrivateTargets: config.notify.allowPrivateTargets });
  if (gateway) channels.EMAIL = createGatewayEmailAdapter(gateway, { locale: config.mail.staffLocale });
  return { channels, close: () => gateway?.close() };
}

/** Every activity the worker registers, built from its dependencies (no globals). */
export function createActivities(deps: ActivityDeps) {
  const notifyDeps: NotifyDeps = { prisma: deps.prisma, adapters: deps.channels, log: deps.log.child({ component: 'notify' }) };
  return withFailureMapping({
    ...createTicketActivities(deps),
    ...createSlaActivities({ prisma: deps.prisma, notify: (input) => notify(notifyDeps, input) }),
    ...createNotifyActivities(notifyDeps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
