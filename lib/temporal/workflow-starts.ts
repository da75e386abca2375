import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { OperationalError } from '../errors';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { searchAttributes, ticketNumber, workflowIds, type TicketWorkflowInput } from '../../workflows/definitions';
import { ticketWorkflow } from '../../workflows/ticket.workflow';

/**
 * Starts the ticket workflow; starting it again is a no-op. REJECT_DUPLICATE keeps even a
 * finished workflow's id from being reused, so a replayed outbox entry can never run twice.
 */
export async function startTicketWorkflow(
  client: Client,
  taskQueue: string,
  input: TicketWorkflowInput,
): Promise<{ workflowId: string; alreadyStarted: boolean }> {
  const workflowId = workflowIds.ticket(input.ticketId);
  try {
    await client.workflow.start(ticketWorkflow, {
      workflowId,
      taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: searchAttributes.ClientId, value: input.clientId },
        { key: searchAttributes.TicketId, value: String(input.ticketId) },
        { key: searchAttributes.Priority, value: input.priority },
      ],
      staticSummary: `${ticketNumber(input.ticketId)} · ${input.priority} · ${input.clientName}: ${input.subject}`.slice(0, 200),
      staticDetails: `Ticket ${ticketNumber(input.ticketId)} for client ${input.clientName} (${input.clientId}), priority ${input.priority}.`,
    });
    return { workflowId, alreadyStarted: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    await assertSameTicket(client, workflowId, input);
    return { workflowId, alreadyStarted: true };
  }
}

/**
 * "Already started" is only success if that workflow is this ticket's. A workflow of the same
 * id for another client means this database and the Temporal namespace have diverged (a
 * database restored or recreated against an old namespace): refuse loudly instead of
 * silently leaving the ticket without a workflow.
 */
async function assertSameTicket(client: Client, workflowId: string, input: TicketWorkflowInput): Promise<void> {
  const existing = await client.workflow.getHandle(workflowId).describe();
  const existingClient = existing.typedSearchAttributes.get(searchAttributes.ClientId);
  if (existingClient !== input.clientId) {
    throw new OperationalError(
      `Workflow ${workflowId} already exists for client ${existingClient ?? '(none)'}, not ${input.clientId}: ` +
        'the database and the Temporal namespace are out of step. Point TEMPORAL_NAMESPACE at the namespace this database was used with.',
      'temporal',
    );
  }
}
