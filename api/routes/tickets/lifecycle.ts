import type { FastifyInstance } from 'fastify';
import {
  assignTicket,
  changeTicketPriority,
  changeTicketStatus,
  ticketSla,
} from '../../../activities/tickets/ticket-lifecycle-service';
import type { TicketPriority, TicketStatus } from '../../../workflows/definitions';
import type { ApiDeps } from '../../types';
import { assignSchema, changePrioritySchema, changeStatusSchema, slaSchema, ticketView } from './lifecycle-schemas';

const staff = ['ADMIN', 'TECHNICIAN', 'ONBOARDING_MANAGER'] as const;
const handlers = ['ADMIN', 'TECHNICIAN'] as const;

export async function ticketLifecycleRoutes(app: FastifyInstance, deps: ApiDeps) {
  app.addSchema(ticketView);
  const lifecycle = { prisma: deps.prisma, temporal: deps.temporal.client };

  app.post<{ Params: { id: number }; Body: { status: TicketStatus; reason?: string } }>(
    '/tickets/:id/status',
    { schema: changeStatusSchema, config: { access: [...handlers] } },
    async (request) => changeTicketStatus(lifecycle, request.actor, request.params.id, request.body.status, request.body.reason),
  );

  app.post<{ Params: { id: number }; Body: { priority: TicketPriority; reason?: string } }>(
    '/tickets/:id/priority',
    { schema: changePrioritySchema, config: { access: [...handlers] } },
    async (request) => changeTicketPriority(lifecycle, request.actor, request.params.id, request.body.priority, request.body.reason),
  );

  app.post<{ Params: { id: number }; Body: { assigneeId: string | null } }>(
    '/tickets/:id/assignee',
    { schema: assignSchema, config: { access: [...handlers] } },
    async (request) => assignTicket(lifecycle, request.actor, request.params.id, request.body.assigneeId),
  );

  app.get<{ Params: { id: number } }>(
    '/tickets/:id/sla',
    { schema: slaSchema, config: { access: [...staff] } },
    async (request) => ticketSla(lifecycle, request.actor, request.params.id),
  );
}
