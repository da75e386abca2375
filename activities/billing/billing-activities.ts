import type { PrismaClient } from '../../lib/db/prisma';
import type { NotifyInput, NotifyResult } from '../notify/notification-service';
import { checkBlockAlerts } from './block-alerts';
import { summarizeConsumption, type ConsumptionSummary } from './consumption-summary';
import { recordTimeEntry } from './time-entry-service';

/**
 * Billing activities for workflows: a workflow that does work on a ticket records its time
 * (keyed on sourceKey, e.g. `rollout-<id>:device-<id>:install`, so a retried activity records it
 * once), and the monthly report reads a client's consumption (reproducible with asOf).
 */
export function createBillingActivities(deps: { prisma: PrismaClient; notify: (input: NotifyInput) => Promise<NotifyResult> }) {
  return {
    async recordTicketTime(input: { ticketId: number; userId: string; minutes: number; sourceKey: string; startedAt?: string; note?: string; category?: string; domain?: string; billable?: boolean; outOfScope?: boolean }) {
      const { entry, created, allocation } = await recordTimeEntry(deps, { ...input, startedAt: input.startedAt ? new Date(input.startedAt) : undefined });
      return { timeEntryId: entry.id, created, allocation: allocation.status, billedMinutes: allocation.billedMinutes };
    },
    async checkContractBlockAlerts(contractId: string): Promise<number[]> {
      return checkBlockAlerts(deps, contractId);
    },
    async summarizeClientConsumption(input: { clientId: string; periodStart: string; periodEnd: string; asOf?: string }): Promise<ConsumptionSummary> {
      return summarizeConsumption(deps.prisma, input.clientId, new Date(input.periodStart), new Date(input.periodEnd), { asOf: input.asOf ? new Date(input.asOf) : undefined });
    },
  };
}
