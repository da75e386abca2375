import type { Prisma } from '../../lib/db/prisma';
import { applyTicketChange, markWorkflowStarted, type TicketChange, type TicketDeps } from './ticket-service';

/** Ticket activities: thin wrappers over the ticket service, each idempotent on its ticket. */
export function createTicketActivities(deps: TicketDeps) {
  return {
    async recordTicketWorkflowStarted(input: { ticketId: number }): Promise<void> {
      await markWorkflowStarted(deps, input.ticketId);
    },
    async persistTicketChange(input: {
      ticketId: number;
      change: TicketChange;
      events: Array<{ type: string; dedupeKey: string; at?: number; data?: Record<string, unknown> }>;
    }): Promise<{ applied: boolean }> {
      const events = input.events.map((e) => ({ ...e, data: e.data as Prisma.InputJsonValue }));
      return applyTicketChange(deps, input.ticketId, input.change, events);
    },
  };
}

export type TicketActivities = ReturnType<typeof createTicketActivities>;
