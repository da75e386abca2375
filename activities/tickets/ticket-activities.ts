import { markWorkflowStarted, recordTicketEvent, type TicketDeps } from './ticket-service';

/** Ticket activities: thin wrappers over the ticket service, each idempotent on its ticket. */
export function createTicketActivities(deps: TicketDeps) {
  return {
    async recordTicketWorkflowStarted(input: { ticketId: number }): Promise<void> {
      await markWorkflowStarted(deps, input.ticketId);
    },
    async recordTicketWorkflowClosed(input: { ticketId: number; reason: string }): Promise<void> {
      await recordTicketEvent(deps, input.ticketId, {
        type: 'workflow-closed',
        dedupeKey: `workflow-closed:${input.ticketId}`,
        data: { reason: input.reason },
      });
    },
  };
}

export type TicketActivities = ReturnType<typeof createTicketActivities>;
