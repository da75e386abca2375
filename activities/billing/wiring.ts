import type { Config } from '../../lib/config';
import type { PrismaClient } from '../../lib/db/prisma';
import type { Logger } from '../../lib/logger';
import { createNotificationAdapters } from '../index';
import { notify } from '../notify/notification-service';
import type { BillingPort } from './billing-port';
import type { BlockAlertDeps } from './block-alerts';
import { RestInvoiceAdapter } from './rest-invoice-adapter';

export interface BillingDeps extends BlockAlertDeps {
  prisma: PrismaClient;
  billing?: BillingPort;
}

/** The billing services' dependencies from configuration: notifications for block alerts, the invoicing adapter. */
export function createBillingDeps(config: Config, deps: { prisma: PrismaClient; log: Logger }): BillingDeps & { close(): void } {
  const adapters = createNotificationAdapters(config, deps);
  const log = deps.log.child({ component: 'billing' });
  return {
    prisma: deps.prisma,
    notify: (input) => notify({ prisma: deps.prisma, adapters: adapters.channels, log, inFlightLeaseMs: config.notify.leaseMs }, input),
    billing: config.billing.rest ? new RestInvoiceAdapter(config.billing.rest) : undefined,
    close: () => adapters.close(),
  };
}
