import type { FastifyInstance } from 'fastify';
import { draftAsCsv, draftAsJson, generateInvoiceDraft, getInvoiceDraft, listInvoiceDrafts } from '../../../activities/billing/invoice-draft-service';
import { pushInvoiceDraft } from '../../../activities/billing/invoice-push';
import { createBillingDeps } from '../../../activities/billing/wiring';
import type { ApiDeps } from '../../types';
import { exportDraftSchema, generateDraftSchema, getDraftSchema, listDraftsSchema, pushDraftSchema } from './schemas';

/** Invoice drafts are money: administrators only (and still limited to the clients they may see). */
const admins = { access: ['ADMIN' as const] };

export async function invoiceRoutes(app: FastifyInstance, deps: ApiDeps) {
  const billing = createBillingDeps(deps.config, deps);
  app.addHook('onClose', async () => billing.close());
  const clientOf = (clientId: string) => deps.prisma.client.findUniqueOrThrow({ where: { id: clientId }, select: { code: true, name: true } });

  app.post<{ Body: { clientId: string; month: string } }>('/invoices/drafts', { schema: generateDraftSchema, config: admins }, async (request, reply) => {
    const { draft, created } = await generateInvoiceDraft(deps, request.actor, request.body.clientId, request.body.month);
    return reply.status(created ? 201 : 200).send({ created, draft: draftAsJson(draft, await clientOf(draft.clientId)) });
  });
  app.get<{ Querystring: { clientId?: string; month?: string } }>('/invoices/drafts', { schema: listDraftsSchema, config: admins }, async (request) => ({
    items: (await listInvoiceDrafts(deps, request.actor, request.query)).map(({ lines: _lines, ...d }) => d),
  }));
  app.get<{ Params: { id: string } }>('/invoices/drafts/:id', { schema: getDraftSchema, config: admins }, async (request) => {
    const draft = await getInvoiceDraft(deps, request.actor, request.params.id);
    return { ...draftAsJson(draft, await clientOf(draft.clientId)), externalSystem: draft.externalSystem, externalId: draft.externalId, pushedAt: draft.pushedAt };
  });
  app.get<{ Params: { id: string }; Querystring: { format?: 'csv' | 'json' } }>('/invoices/drafts/:id/export', { schema: exportDraftSchema, config: admins }, async (request, reply) => {
    const draft = await getInvoiceDraft(deps, request.actor, request.params.id);
    const client = await clientOf(draft.clientId);
    const name = `invoice-${client.code}-${draft.period}-v${draft.version}`.replace(/[^A-Za-z0-9._-]/g, '_');
    if (request.query.format === 'json') {
      return reply.header('content-disposition', `attachment; filename="${name}.json"`).type('application/json; charset=utf-8').send(JSON.stringify(draftAsJson(draft, client), null, 2));
    }
    return reply.header('content-disposition', `attachment; filename="${name}.csv"`).type('text/csv; charset=utf-8').send(draftAsCsv(draft, client));
  });
  app.post<{ Params: { id: string } }>('/invoices/drafts/:id/push', { schema: pushDraftSchema, config: admins }, async (request) => pushInvoiceDraft(billing, request.actor, request.params.id));
}
