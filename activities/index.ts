import type { Config } from '../lib/config';
import type { CrashHook } from '../lib/crash-points';
import type { PrismaClient } from '../lib/db/prisma';
import type { Logger } from '../lib/logger';
import { withFailureMapping } from '../lib/temporal-failure';
import { createConfiguredMailGateway } from './mail/gateway';
import { createGatewayEmailAdapter } from './mail/notification-email';
import type { MailGateway } from './mail/gateway-types';
import { createChannelAdapters } from './notify/channels';
import { notify, type NotifyDeps } from './notify/notification-service';
import { createNotifyActivities } from './notify/notify-activities';
import type { RmmRegistry } from './rmm/port';
import { createRolloutActivities } from './rmm/rollout/rollout-activities';
import { createSlaActivities } from './sla/sla-activities';
import { createOnboardingActivities } from './onboarding/onboarding-activities';
import { createOnboardingPorts, type OnboardingPorts } from './onboarding/wiring';
import { createTicketActivities } from './tickets/ticket-activities';
import { createReportActivities } from './reports/report-activities';
import { createHtmlPrinter, type HtmlPrinter } from './reports/chromium';
import { reportConsumptionSource, reportMrrSource } from './reports/billing-sources';
import { createBillingActivities } from './billing/billing-activities';

export interface ActivityDeps {
  prisma: PrismaClient;
  log: Logger;
  /** Notification channel adapters by channel (see createNotificationAdapters). */
  channels: NotifyDeps['adapters'];
  /** How long a notification being sent counts as in flight (NOTIFY_LEASE_MS). */
  notificationLeaseMs?: number;
  /** Test-only fault injection (CRASH_AT). */
  crash?: CrashHook;
  /** RMM adapters by provider (activities/rmm/registry.ts); none: rollouts cannot reach devices. */
  rmm?: RmmRegistry;
  /** Onboarding mailer and RMM device groups; default: database device groups, mail only if SMTP is configured. */
  onboarding?: OnboardingPorts;
  /** Monthly reports: the mail gateway (none: reports are computed but cannot be sent), the shared Chromium, staff recipients. */
  reports?: { gateway?: MailGateway; printer?: HtmlPrinter; internalTo?: string[] };
}

/**
 * Channel adapters from configuration: webhooks always, email when an SMTP server is configured
 * (through the mail gateway, the one way mspflow sends mail).
 */
export function createNotificationAdapters(
  config: Config,
  deps: { prisma: PrismaClient; log?: Logger },
): { channels: NotifyDeps['adapters']; gateway?: MailGateway; close(): void } {
  const gateway = createConfiguredMailGateway(config, deps);
  const channels = createChannelAdapters({ allowPrivateTargets: config.notify.allowPrivateTargets });
  if (gateway) channels.EMAIL = createGatewayEmailAdapter(gateway, { locale: config.mail.staffLocale });
  return { channels, gateway, close: () => gateway?.close() };
}

/** Every activity the worker registers, built from its dependencies (no globals). */
export function createActivities(deps: ActivityDeps) {
  const notifyDeps: NotifyDeps = {
    prisma: deps.prisma,
    adapters: deps.channels,
    log: deps.log.child({ component: 'notify' }),
    inFlightLeaseMs: deps.notificationLeaseMs,
    crash: deps.crash,
  };
  return withFailureMapping({
    ...createTicketActivities(deps),
    ...createSlaActivities({ prisma: deps.prisma, notify: (input) => notify(notifyDeps, input) }),
    ...createNotifyActivities(notifyDeps),
    ...createRolloutActivities({ prisma: deps.prisma, rmm: deps.rmm ?? {}, log: deps.log.child({ component: 'rollout' }) }),
    ...createOnboardingActivities({
      prisma: deps.prisma,
      log: deps.log.child({ component: 'onboarding' }),
      notify: (input) => notify(notifyDeps, input),
      ...(deps.onboarding ?? createOnboardingPorts({ prisma: deps.prisma })),
    }),
    ...createReportActivities({
      prisma: deps.prisma,
      log: deps.log.child({ component: 'reports' }),
      gateway: deps.reports?.gateway,
      printer: deps.reports?.printer ?? createHtmlPrinter(),
      internalTo: deps.reports?.internalTo,
      crash: deps.crash,
      consumption: reportConsumptionSource,
      mrrCents: reportMrrSource,
    }),
    ...createBillingActivities({ prisma: deps.prisma, notify: (input) => notify(notifyDeps, input) }),
  });
}

export type Activities = ReturnType<typeof createActivities>;
