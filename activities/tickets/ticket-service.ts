import { assertClientAccess, clientScope, type Actor } from '../../lib/access';
import { Prisma, isUniqueViolation, type PrismaClient } from '../../lib/db/prisma';
import { NotFoundError, ValidationError } from '../../lib/errors';
import { workflowIds, type TicketWorkflowInput } from '../../workflows/definitions';
import { START_TICKET_WORKFLOW, enqueueEffect } from '../../lib/outbox/outbox';

/**
 * Ticket business actions, written once: the API, email intake and activities all call these.
 * They take their dependencies and an Actor; they never know who called them.
 */

export interface TicketDeps {
  prisma: PrismaClient;
  /** Test-only fault injection, inside the create transaction just before it commits. */
  beforeTicketCommit?: () => void;
  /** Test-only fault injection, right after the commit, before anything else can run. */
  afterTicketCommit?: () => void;
}

export interface CreateTicketInput {
  clientId: string;
  contactId?: string;
  subject: string;
  description?: string;
  priority?: 'P1' | 'P2' | 'P3' | 'P4';
  kind?: 'INCIDENT' | 'REQUEST';
  category?: string;
  source: 'API' | 'EMAIL' | 'RMM' | 'WORKFLOW';
  /** Idempotency key: creating twice with the same key returns the first ticket. */
  requestKey?: string;
}

const ticketDetail = {
  client: { select: { id: true, code: true, name: true } },
  contact: { select: { id: true, email: true, name: true } },
  assignee: { select: { id: true, name: true, email: true } },
  events: { orderBy: { at: 'asc' as const }, select: { type: true, at: true, data: true } },
} satisfies Prisma.TicketInclude;

export type TicketDetail = Prisma.TicketGetPayload<{ include: typeof ticketDetail }> & {
  /** Whether the outbox has started this ticket's workflow. */
  workflowDispatched: boolean;
};

export interface CreateTicketResult {
  ticket: TicketDetail;
  /** False when the request key matched an existing ticket. */
  created: boolean;
}

/**
 * Creates the ticket and, in the same transaction, the outbox entry that starts its workflow:
 * a committed ticket always gets its workflow (the dispatcher retries until it exists) and a
 * rolled-back one never does.
 */
export async function createTicket(deps: TicketDeps, actor: Actor, input: CreateTicketInput): Promise<CreateTicketResult> {
  const subject = input.subject.trim();
  if (!subject) throw new ValidationError('subject must not be empty');
  assertClientAccess(actor, input.clientId);

  if (input.requestKey) {
    const existing = await findByRequestKey(deps, input.requestKey);
    if (existing) return { ticket: await visibleTicket(deps, actor, existing.id), created: false };
  }

  try {
    const id = await deps.prisma.$transaction(async (tx) => {
      const ticketId = await insertTicket(tx, actor, input);
      deps.beforeTicketCommit?.();
      return ticketId;
    });
    deps.afterTicketCommit?.();
    return { ticket: await visibleTicket(deps, actor, id), created: true };
  } catch (err) {
    // Two concurrent requests with the same key: the loser returns the winner's ticket.
    if (input.requestKey && isUniqueViolation(err)) {
      const existing = await findByRequestKey(deps, input.requestKey);
      if (existing) return { ticket: await visibleTicket(deps, actor, existing.id), created: false };
    }
    throw err;
  }
}

export type TicketTx = Prisma.TransactionClient;

/**
 * The ticket, its `created` event and the outbox entry that starts its workflow, inside the
 * caller's transaction (the mail intake commits them together with its ledger row).
 */
export async function insertTicket(
  tx: TicketTx,
  actor: Actor,
  input: CreateTicketInput & { linkedTicketId?: number },
): Promise<number> {
  const subject = input.subject.trim();
  // One round trip checks the client and that the contact is one of its own (every ticket the
  // mail intake opens passes here).
  const [client] = await tx.$queryRaw<Array<{ id: string; name: string; contactClientId: string | null }>>`
    SELECT c.id::text AS id, c.name, ct."clientId"::text AS "contactClientId"
      FROM "Client" c LEFT JOIN "Contact" ct ON ct.id = ${input.contactId ?? null}::uuid
     WHERE c.id = ${input.clientId}::uuid`;
  if (!client) throw new NotFoundError(`Client ${input.clientId}`);
  if (input.contactId && client.contactClientId !== client.id) throw new ValidationError('contactId is not a contact of this client');
  const ticket = await tx.ticket.create({
    data: {
      clientId: client.id,
      contactId: input.contactId,
      subject,
      description: input.description ?? '',
      priority: input.priority ?? 'P3',
      kind: input.kind ?? 'INCIDENT',
      category: input.category,
      source: input.source,
      requestKey: input.requestKey,
      linkedTicketId: input.linkedTicketId,
      createdById: actor.kind === 'user' ? actor.userId : undefined,
    },
  });
  const workflowId = workflowIds.ticket(ticket.id);
  await tx.ticket.update({ where: { id: ticket.id }, data: { workflowId } });
  await tx.ticketEvent.create({
    data: {
      ticketId: ticket.id,
      type: 'created',
      dedupeKey: `created:${ticket.id}`,
      data: { source: input.source, by: actor.kind === 'user' ? actor.userId : actor.component },
    },
  });
  const workflowInput: TicketWorkflowInput = {
    ticketId: ticket.id,
    clientId: client.id,
    clientName: client.name,
    subject,
    priority: ticket.priority,
    createdAt: ticket.createdAt.getTime(),
  };
  await enqueueEffect(tx, { kind: START_TICKET_WORKFLOW, key: workflowId, payload: workflowInput });
  return ticket.id;
}

function findByRequestKey(deps: TicketDeps, requestKey: string) {
  return deps.prisma.ticket.findUnique({ where: { requestKey }, select: { id: true } });
}

async function visibleTicket(deps: TicketDeps, actor: Actor, id: number): Promise<TicketDetail> {
  const ticket = await deps.prisma.ticket.findFirst({ where: { id, ...clientScope(actor) }, include: ticketDetail });
  // Same answer for "absent" and "not yours": ticket ids must not leak across clients.
  if (!ticket) throw new NotFoundError(`Ticket ${id}`);
  const effect = ticket.workflowId
    ? await deps.prisma.outboxEntry.findUnique({ where: { key: ticket.workflowId }, select: { dispatchedAt: true } })
    : null;
  return { ...ticket, workflowDispatched: Boolean(effect?.dispatchedAt) };
}

export function getTicket(deps: TicketDeps, actor: Actor, id: number): Promise<TicketDetail> {
  return visibleTicket(deps, actor, id);
}

export async function listTickets(
  deps: TicketDeps,
  actor: Actor,
  filter: { clientId?: string; status?: string; limit: number; afterId?: number },
) {
  return deps.prisma.ticket.findMany({
    where: {
      ...clientScope(actor),
      ...(filter.clientId ? { AND: [{ clientId: filter.clientId }] } : {}),
      ...(filter.status ? { status: filter.status as Prisma.TicketWhereInput['status'] } : {}),
      ...(filter.afterId ? { id: { gt: filter.afterId } } : {}),
    },
    orderBy: { id: 'asc' },
    take: filter.limit,
    include: { client: { select: { id: true, code: true, name: true } } },
  });
}

/** Appends a history event once per dedupeKey; a replayed activity finds it already there. */
export async function recordTicketEvent(
  deps: TicketDeps,
  ticketId: number,
  event: { type: string; dedupeKey: string; data?: Prisma.InputJsonValue },
): Promise<{ recorded: boolean }> {
  const result = await deps.prisma.ticketEvent.createMany({
    data: [{ ticketId, type: event.type, dedupeKey: event.dedupeKey, data: event.data ?? {} }],
    skipDuplicates: true,
  });
  return { recorded: result.count === 1 };
}

export async function markWorkflowStarted(deps: TicketDeps, ticketId: number): Promise<void> {
  await deps.prisma.$transaction(async (tx) => {
    const updated = await tx.ticket.updateMany({
      where: { id: ticketId, workflowStartedAt: null },
      data: { workflowStartedAt: new Date() },
    });
    if (updated.count === 0 && !(await tx.ticket.findUnique({ where: { id: ticketId }, select: { id: true } }))) {
      throw new NotFoundError(`Ticket ${ticketId}`);
    }
    await tx.ticketEvent.createMany({
      data: [{ ticketId, type: 'workflow-started', dedupeKey: `workflow-started:${ticketId}` }],
      skipDuplicates: true,
    });
  });
}

export interface TicketChange {
  status?: 'NEW' | 'ACKNOWLEDGED' | 'IN_PROGRESS' | 'WAITING_ON_CLIENT' | 'RESOLVED' | 'CLOSED';
  priority?: 'P1' | 'P2' | 'P3' | 'P4';
  assigneeId?: string | null;
  firstResponseAt?: number;
  resolvedAt?: number | null;
  closedAt?: number | null;
}

/**
 * Writes a change the ticket's workflow decided, with its history events, once: the events'
 * dedupeKeys make a retried or replayed activity a no-op (the change is applied only together
 * with the first write of its events).
 */
export async function applyTicketChange(
  deps: TicketDeps,
  ticketId: number,
  change: TicketChange,
  events: Array<{ type: string; dedupeKey: string; data?: Prisma.InputJsonValue; at?: number }>,
): Promise<{ applied: boolean }> {
  return deps.prisma.$transaction(async (tx) => {
    const inserted = await tx.ticketEvent.createMany({
      data: events.map((e) => ({ ticketId, type: e.type, dedupeKey: e.dedupeKey, data: e.data ?? {}, at: e.at ? new Date(e.at) : undefined })),
      skipDuplicates: true,
    });
    if (inserted.count === 0 || Object.keys(change).length === 0) return { applied: inserted.count > 0 };
    const toDate = (ms: number | null | undefined) => (ms === undefined ? undefined : ms === null ? null : new Date(ms));
    await tx.ticket.update({
      where: { id: ticketId },
      data: {
        status: change.status,
        priority: change.priority,
        assigneeId: change.assigneeId,
        firstResponseAt: toDate(change.firstResponseAt),
        resolvedAt: toDate(change.resolvedAt),
        closedAt: toDate(change.closedAt),
      },
    });
    return { applied: true };
  });
}
