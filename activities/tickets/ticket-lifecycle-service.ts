import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Actor } from '../../lib/access';
import type { PrismaClient } from '../../lib/db/prisma';
import { ConflictError, OperationalError, ValidationError } from '../../lib/errors';
import {
  assignUpdate,
  changePriorityUpdate,
  changeStatusUpdate,
  slaTimelineQuery,
  ticketViewQuery,
  type SlaTimelineEntry,
  type TicketPriority,
  type TicketStatus,
  type TicketView,
} from '../../workflows/definitions';
import { getTicket } from './ticket-service';

/**
 * Changes to a ticket's lifecycle go through its workflow (the one place that decides status,
 * SLA clocks and escalations), never straight to the database. Written once; the API and
 * email commands call these.
 */
export interface LifecycleDeps {
  prisma: PrismaClient;
  temporal: Client;
}

function actorName(actor: Actor): string {
  return actor.kind === 'user' ? actor.userId : `system:${actor.component}`;
}

async function workflowOf(deps: LifecycleDeps, actor: Actor, ticketId: number) {
  const ticket = await getTicket(deps, actor, ticketId);
  if (!ticket.workflowId || !ticket.workflowDispatched) {
    throw new OperationalError(`The workflow of ticket ${ticketId} is not started yet (Temporal was unreachable); try again shortly`, 'temporal');
  }
  return deps.temporal.workflow.getHandle(ticket.workflowId);
}

/** Maps the workflow's refusal (its update validator) onto the error taxonomy. */
async function asUserErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      if (err.cause.type === 'InvalidTransition') throw new ConflictError(err.cause.message);
      throw new ValidationError(err.cause.message);
    }
    if (err instanceof WorkflowNotFoundError) throw new ConflictError('This ticket\'s workflow has ended (closed and past its reopen window)');
    throw err;
  }
}

export async function changeTicketStatus(deps: LifecycleDeps, actor: Actor, ticketId: number, to: TicketStatus, reason?: string): Promise<TicketView> {
  const handle = await workflowOf(deps, actor, ticketId);
  return asUserErrors(() => handle.executeUpdate(changeStatusUpdate, { args: [{ to, by: actorName(actor), reason }] }));
}

export async function changeTicketPriority(deps: LifecycleDeps, actor: Actor, ticketId: number, priority: TicketPriority, reason?: string): Promise<TicketView> {
  const handle = await workflowOf(deps, actor, ticketId);
  return asUserErrors(() => handle.executeUpdate(changePriorityUpdate, { args: [{ priority, by: actorName(actor), reason }] }));
}

export async function assignTicket(deps: LifecycleDeps, actor: Actor, ticketId: number, assigneeId: string | null): Promise<TicketView> {
  if (assigneeId) {
    const user = await deps.prisma.user.findUnique({ where: { id: assigneeId }, select: { active: true } });
    if (!user?.active) throw new ValidationError('assigneeId is not an active user');
  }
  const handle = await workflowOf(deps, actor, ticketId);
  return asUserErrors(() => handle.executeUpdate(assignUpdate, { args: [{ assigneeId, by: actorName(actor) }] }));
}

export async function ticketSla(deps: LifecycleDeps, actor: Actor, ticketId: number): Promise<{ view: TicketView; timeline: SlaTimelineEntry[] }> {
  const handle = await workflowOf(deps, actor, ticketId);
  return asUserErrors(async () => ({ view: await handle.query(ticketViewQuery), timeline: await handle.query(slaTimelineQuery) }));
}
