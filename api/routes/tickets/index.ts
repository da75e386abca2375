import type { FastifyInstance } from 'fastify';
import { createTicket, getTicket, listTickets, type TicketDetail } from '../../../activities/tickets/ticket-service';
import { ticketNumber } from '../../../workflows/definitions';
import type { ApiDeps } from '../../types';
import { crashIfAsked } from '../../../lib/crash-points';
import { createTicketSchema, getTicketSchema, listTicketsSchema, ticketDetail } from './schemas';

const staff = ['ADMIN', 'TECHNICIAN', 'ONBOARDING_MANAGER'] as const;

export function present(t: TicketDetail) {
  return {
    ...t,
    number: ticketNumber(t.id),
    workflow: { id: t.workflowId ?? '', state: workflowState(t), startedAt: t.workflowStartedAt },
  };
}

/** queued: committed, start waiting in the outbox; started: exists in Temporal; running: it has reported in. */
function workflowState(t: TicketDetail): 'queued' | 'started' | 'running' {
  if (t.workflowStartedAt) return 'running';
  return t.workflowDispatched ? 'started' : 'queued';
}

export async function ticketRoutes(app: FastifyInstance, deps: ApiDeps) {
  app.addSchema(ticketDetail);

  app.post<{ Body: { clientId: string; contactId?: string; subject: string; description?: string; priority?: 'P1' | 'P2' | 'P3' | 'P4'; kind?: 'INCIDENT' | 'REQUEST'; category?: string }; Headers: { 'idempotency-key'?: string } }>(
    '/tickets',
    { schema: createTicketSchema, config: { access: [...staff] } },
    async (request, reply) => {
      const faults = {
        beforeTicketCommit: () => crashIfAsked(deps.config, 'before-ticket-commit'),
        afterTicketCommit: () => crashIfAsked(deps.config, 'after-ticket-commit'),
      };
      const { ticket, created } = await createTicket({ prisma: deps.prisma, ...faults }, request.actor, {
        ...request.body,
        source: 'API',
        requestKey: request.headers['idempotency-key'] ? `api:${request.headers['idempotency-key']}` : undefined,
      });
      // Happy path: start the workflow now. If Temporal is down the outbox retries later;
      // the ticket is committed either way, so the caller still gets 201.
      const started = await deps.dispatcher.dispatchKey(ticket.workflowId!).catch(() => false);
      const fresh = started ? await getTicket(deps, request.actor, ticket.id) : ticket;
      return reply.status(created ? 201 : 200).send(present(fresh));
    },
  );

  app.get<{ Params: { id: number } }>(
    '/tickets/:id',
    { schema: getTicketSchema, config: { access: [...staff] } },
    async (request) => present(await getTicket(deps, request.actor, request.params.id)),
  );

  app.get<{ Querystring: { clientId?: string; status?: string; limit: number; afterId?: number } }>(
    '/tickets',
    { schema: listTicketsSchema, config: { access: [...staff] } },
    async (request) => {
      const items = await listTickets(deps, request.actor, request.query);
      return {
        items: items.map((t) => ({ ...t, number: ticketNumber(t.id) })),
        nextAfterId: items.length === request.query.limit ? items[items.length - 1].id : null,
      };
    },
  );
}
