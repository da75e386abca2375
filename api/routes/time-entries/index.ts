import type { FastifyInstance } from 'fastify';
import { correctTimeEntry, listTimeEntries, recordTimeEntry, type CorrectionInput } from '../../../activities/billing/time-entry-service';
import { createBillingDeps } from '../../../activities/billing/wiring';
import { assertClientAccess, clientScope } from '../../../lib/access';
import { ForbiddenError, NotFoundError, ValidationError } from '../../../lib/errors';
import type { ApiDeps } from '../../types';
import { correctTimeEntrySchema, createTimeEntrySchema, listTimeEntriesSchema } from './schemas';

const staff = { access: ['ADMIN' as const, 'ONBOARDING_MANAGER' as const, 'TECHNICIAN' as const] };

interface CreateBody {
  ticketId: number;
  minutes: number;
  startedAt?: string;
  note?: string;
  category?: string | null;
  domain?: string | null;
  billable?: boolean;
  outOfScope?: boolean;
  contractId?: string;
  userId?: string;
  idempotencyKey: string;
}

/** Time entries: record (idempotent), list, correct. A technician records and corrects their own time. */
export async function timeEntryRoutes(app: FastifyInstance, deps: ApiDeps) {
  const billing = createBillingDeps(deps.config, deps);
  app.addHook('onClose', async () => billing.close());

  app.post<{ Body: CreateBody }>('/time-entries', { schema: createTimeEntrySchema, config: staff }, async (request, reply) => {
    const actor = request.actor;
    if (actor.kind !== 'user') throw new ForbiddenError('only a person records time');
    const body = request.body;
    if (body.userId && body.userId !== actor.userId && actor.role !== 'ADMIN') throw new ForbiddenError('only an administrator records time for someone else');
    const ticket = await deps.prisma.ticket.findFirst({ where: { id: body.ticketId, ...clientScope(actor) }, select: { clientId: true } });
    if (!ticket) throw new NotFoundError(`Ticket ${body.ticketId}`);
    assertClientAccess(actor, ticket.clientId);
    const startedAt = body.startedAt ? new Date(body.startedAt) : undefined;
    if (startedAt && Number.isNaN(startedAt.getTime())) throw new ValidationError('startedAt: not a valid date-time');
    const result = await recordTimeEntry(billing, {
      ticketId: body.ticketId,
      userId: body.userId ?? actor.userId,
      minutes: body.minutes,
      startedAt,
      note: body.note,
      category: body.category,
      domain: body.domain,
      billable: body.billable,
      outOfScope: body.outOfScope,
      contractId: body.contractId,
      sourceKey: `api:${actor.userId}:${body.idempotencyKey}`,
    });
    return reply.status(result.created ? 201 : 200).send({ created: result.created, entry: result.entry, allocation: { status: result.allocation.status, billedMinutes: result.allocation.billedMinutes, rows: result.allocation.rows } });
  });

  app.get<{ Querystring: { clientId?: string; ticketId?: number; userId?: string; from?: string; to?: string; includeSuperseded?: boolean; limit?: number; offset?: number } }>(
    '/time-entries',
    { schema: listTimeEntriesSchema, config: staff },
    async (request) => {
      const q = request.query;
      if (q.clientId) assertClientAccess(request.actor, q.clientId);
      return { items: await listTimeEntries(deps, request.actor, { ...q, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined }) };
    },
  );

  app.post<{ Params: { id: string }; Body: Omit<CorrectionInput, 'startedAt'> & { startedAt?: string } }>(
    '/time-entries/:id/corrections',
    { schema: correctTimeEntrySchema, config: staff },
    async (request, reply) => {
      const actor = request.actor;
      if (actor.kind !== 'user') throw new ForbiddenError('only a person corrects time');
      const entry = await deps.prisma.timeEntry.findFirst({ where: { id: request.params.id, ticket: clientScope(actor) }, select: { userId: true } });
      if (!entry) throw new NotFoundError(`Time entry ${request.params.id}`);
      if (entry.userId !== actor.userId && actor.role !== 'ADMIN') throw new ForbiddenError("only an administrator corrects someone else's time");
      const { startedAt, ...rest } = request.body;
      const result = await correctTimeEntry(billing, actor, request.params.id, { ...rest, startedAt: startedAt ? new Date(startedAt) : undefined, idempotencyKey: rest.idempotencyKey ? `${actor.userId}:${rest.idempotencyKey}` : undefined });
      return reply.status(result.created ? 201 : 200).send(result);
    },
  );
}
