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

const TICKET_WORKFLOW_PREFIX = workflowIds.ticket(0).replace(/0$/, '');

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
  const priority = input.priority ?? 'P3';
  const createdAt = new Date();
  const at = createdAt.toISOString();
  const by = actor.kind === 'user' ? actor.userId : actor.component;
  // ONE statement checks the client and that the contact is one of its own, then writes the
  // ticket, its `created` event and its workflow's outbox entry: every ticket the mail intake
  // opens passes here, and each round trip is a large share of its cost. Nothing is written
  // when a check fails.
  const [row] = await tx.$queryRaw<Array<{ clientId: string | null; clientName: string | null; contactOk: boolean; id: number | null; workflowId: string | null }>>`
    WITH chk AS (
      SELECT c.id, c.name, (${input.contactId ?? null}::uuid IS NULL OR ct."clientId" = c.id) AS "contactOk"
        FROM "Client" c LEFT JOIN "Contact" ct ON ct.id = ${input.contactId ?? null}::uuid
       WHERE c.id = ${input.clientId}::uuid
    ), seq AS (
      SELECT nextval(pg_get_serial_sequence('"Ticket"', 'id'))::int AS id FROM chk WHERE chk."contactOk"
    ), t AS (
      INSERT INTO "Ticket" ("id", "workflowId", "clientId", "contactId", "subject", "description", "priority", "kind", "category", "source",
                            "requestKey", "linkedTicketId", "createdById", "createdAt", "updatedAt")
      SELECT seq.id, ${TICKET_WORKFLOW_PREFIX} || seq.id, chk.id, ${input.contactId ?? null}::uuid, ${subject}, ${input.description ?? ''},
             ${priority}::"Priority", ${input.kind ?? 'INCIDENT'}::"TicketKind", ${input.category ?? null}, ${input.source}::"TicketSource",
             ${input.requestKey ?? null}, ${input.linkedTicketId ?? null}::int, ${actor.kind === 'user' ? actor.userId : null}::uuid,
             ${at}::timestamptz AT TIME ZONE 'UTC', ${at}::timestamptz AT TIME ZONE 'UTC'
        FROM seq, chk
      RETURNING "id", "workflowId"
    ), ev AS (
      INSERT INTO "TicketEvent" ("id", "ticketId", "type", "data", "dedupeKey", "at")
      SELECT gen_random_uuid(), t.id, 'created', jsonb_build_object('source', ${input.source}::text, 'by', ${by}::text), 'created:' || t.id,
             ${at}::timestamptz AT TIME ZONE 'UTC'
        FROM t
    ), ob AS (
      INSERT INTO "OutboxEntry" ("id", "kind", "key", "payload", "createdAt", "attempts")
      SELECT gen_random_uuid(), ${START_TICKET_WORKFLOW}, t."workflowId",
             jsonb_build_object('ticketId', t.id, 'clientId', chk.id::text, 'clientName', chk.name, 'subject', ${subject}::text,
                                'priority', ${priority}::text, 'createdAt', ${createdAt.getTime()}::bigint),
             ${at}::timestamptz AT TIME ZONE 'UTC', 0
        FROM t, chk
    )
    SELECT chk.id::text AS "clientId", chk.name AS "clientName", chk."contactOk", t.id, t."workflowId"
      FROM chk LEFT JOIN t ON true`;
  if (!row) throw new NotFoundError(`Client ${input.clientId}`);
  if (!row.contactOk) throw new ValidationError('contactId is not a contact of this client');
  // The SQL above names the workflow itself (the id is only known there); it must agree.
  if (row.id === null || row.workflowId !== workflowIds.ticket(row.id)) throw new Error(`ticket workflow id mismatch: ${row.workflowId}`);
  return row.id;
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
