import { condition, proxyActivities, setHandler, setCurrentDetails } from '@temporalio/workflow';
import type { TicketActivities } from '../activities/tickets/ticket-activities';
import {
  ticketClosedSignal,
  ticketNumber,
  ticketStateQuery,
  type TicketWorkflowInput,
  type TicketWorkflowState,
} from './definitions';

const { recordTicketWorkflowStarted, recordTicketWorkflowClosed } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** One per ticket, id `ticket-<id>`: the ticket's durable life (the SLA lifecycle grows here). */
export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketWorkflowState> {
  const state: TicketWorkflowState = { ticketId: input.ticketId, phase: 'starting', recordedInDatabase: false };
  let closeReason: string | undefined;
  setHandler(ticketStateQuery, () => state);
  setHandler(ticketClosedSignal, ({ reason }) => {
    closeReason = reason;
  });

  setCurrentDetails(`Recording ${ticketNumber(input.ticketId)} as tracked in the database`);
  await recordTicketWorkflowStarted({ ticketId: input.ticketId });
  state.recordedInDatabase = true;
  state.phase = 'open';

  setCurrentDetails(`Open: waiting for the ticket to be closed`);
  await condition(() => closeReason !== undefined);
  await recordTicketWorkflowClosed({ ticketId: input.ticketId, reason: closeReason! });
  state.phase = 'closed';
  setCurrentDetails(`Closed: ${closeReason}`);
  return state;
}
