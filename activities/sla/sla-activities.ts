import type { PrismaClient } from '../../lib/db/prisma';
import type { SlaPolicySnapshot } from '../../workflows/incident/sla-tracker';
import { loadSlaPolicyForTicket } from './sla-policy-service';

export interface SlaNotificationInput {
  clientId: string;
  ticketId: number;
  /** Routed per client: sla.warning, sla.breach, escalation.L1..L3, ticket.new-p1. */
  event: string;
  /** Same key, same notification: a retry or a worker restart never sends twice. */
  dedupeKey: string;
  message: {
    title: string;
    text: string;
    severity: 'info' | 'warning' | 'critical';
    ticket?: { id: number; number: string; subject: string };
  };
}

export interface SlaActivityDeps {
  prisma: PrismaClient;
  notify(input: SlaNotificationInput): Promise<unknown>;
}

export function createSlaActivities(deps: SlaActivityDeps) {
  return {
    async loadSlaPolicy(input: { ticketId: number }): Promise<SlaPolicySnapshot | null> {
      return loadSlaPolicyForTicket(deps, input.ticketId);
    },
    async sendSlaNotification(input: SlaNotificationInput): Promise<void> {
      await deps.notify(input);
    },
  };
}

export type SlaActivities = ReturnType<typeof createSlaActivities>;
