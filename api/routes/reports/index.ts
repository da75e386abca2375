import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { createConfiguredMailGateway } from '../../../activities/mail/gateway';
import { createHtmlPrinter } from '../../../activities/reports/chromium';
import { loadReport, reportHtml, reportPdf, resendReport } from '../../../activities/reports/report-service';
import { syncReportSchedules } from '../../../activities/reports/schedules';
import { assertClientAccess, clientScope, type Actor } from '../../../lib/access';
import { NotFoundError, ValidationError } from '../../../lib/errors';
import { monthOf } from '../../../lib/reports/period';
import { searchAttributes, workflowIds } from '../../../workflows/definitions';
import { reportWorkflow } from '../../../workflows/report/report.workflow';
import type { ApiDeps } from '../../types';
import { getReportSchema, listReportsSchema, reportHtmlSchema, reportPdfSchema, resendReportSchema, runReportSchema, syncSchedulesSchema } from './schemas';

const isAdmin = (actor: Actor) => actor.kind === 'system' || actor.role === 'ADMIN';

/** Monthly reports: list, view (JSON/HTML/PDF), re-send, run now, schedule sync. */
export async function reportRoutes(app: FastifyInstance, deps: ApiDeps) {
  const staff = { access: ['ADMIN' as const, 'ONBOARDING_MANAGER' as const, 'TECHNICIAN' as const] };
  const managers = { access: ['ADMIN' as const, 'ONBOARDING_MANAGER' as const] };
  // Chromium starts on the first PDF asked for, and stops with the API
  const printer = createHtmlPrinter({ chromiumPath: deps.config.reports.chromiumPath, concurrency: deps.config.reports.pdfConcurrency });
  const gateway = createConfiguredMailGateway(deps.config, { prisma: deps.prisma, log: deps.log.child({ component: 'mail' }) });
  app.addHook('onClose', async () => {
    gateway?.close();
    await printer.close();
  });

  /** The report if the actor may see it: its client's access, and the internal version for admins only (else 404). */
  const visibleReport = async (actor: Actor, id: string) => {
    const row = await loadReport(deps.prisma, id);
    assertClientAccess(actor, row.clientId);
    if (row.audience === 'INTERNAL' && !isAdmin(actor)) throw new NotFoundError(`Report ${id}`);
    return row;
  };

  app.get<{ Querystring: { clientId?: string; month?: string; audience?: 'CLIENT' | 'INTERNAL'; limit?: number } }>('/reports', { schema: listReportsSchema, config: staff }, async (request) => {
    const q = request.query;
    if (q.clientId) assertClientAccess(request.actor, q.clientId);
    const items = await deps.prisma.report.findMany({
      where: {
        ...clientScope(request.actor),
        ...(q.clientId ? { clientId: q.clientId } : {}),
        ...(q.month ? { month: q.month } : {}),
        ...(isAdmin(request.actor) ? (q.audience ? { audience: q.audience } : {}) : { audience: 'CLIENT' as const }),
      },
      select: {
        id: true,
        clientId: true,
        month: true,
        audience: true,
        asOf: true,
        locale: true,
        trigger: true,
        workflowId: true,
        sentAt: true,
        createdAt: true,
        client: { select: { code: true, name: true } },
        sends: { select: { id: true, key: true, recipients: true, requestedBy: true, status: true, createdAt: true }, orderBy: { createdAt: 'asc' } },
      },
      orderBy: [{ month: 'desc' }, { createdAt: 'desc' }],
      take: q.limit ?? 100,
    });
    return { items };
  });

  app.get<{ Params: { id: string } }>('/reports/:id', { schema: getReportSchema, config: staff }, async (request) => {
    const row = await visibleReport(request.actor, request.params.id);
    return { id: row.id, clientId: row.clientId, month: row.month, audience: row.audience, asOf: row.asOf, sentAt: row.sentAt, data: row.data };
  });

  app.get<{ Params: { id: string } }>('/reports/:id/html', { schema: reportHtmlSchema, config: staff }, async (request, reply) => {
    await visibleReport(request.actor, request.params.id);
    const { rendered } = await reportHtml(deps.prisma, request.params.id);
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'")
      .header('x-content-type-options', 'nosniff')
      .send(rendered.html);
  });

  app.get<{ Params: { id: string } }>('/reports/:id/pdf', { schema: reportPdfSchema, config: staff }, async (request, reply) => {
    await visibleReport(request.actor, request.params.id);
    const { pdf, filename } = await reportPdf({ prisma: deps.prisma, printer }, request.params.id);
    return reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"`)
      .header('x-content-type-options', 'nosniff')
      .send(pdf);
  });

  app.post<{ Params: { id: string }; Body: { recipients?: string[] } }>('/reports/:id/resend', { schema: resendReportSchema, config: managers }, async (request) => {
    await visibleReport(request.actor, request.params.id);
    const by = request.actor.kind === 'user' ? `user:${request.actor.userId}` : `system:${request.actor.component}`;
    return resendReport(
      { prisma: deps.prisma, printer, gateway, internalTo: deps.config.reports.internalTo, log: deps.log },
      { reportId: request.params.id, requestedBy: by, recipients: request.body?.recipients },
    );
  });

  app.post<{ Body: { clientId: string; month: string } }>('/reports/run', { schema: runReportSchema, config: managers }, async (request, reply) => {
    assertClientAccess(request.actor, request.body.clientId);
    const client = await deps.prisma.client.findUnique({ where: { id: request.body.clientId }, select: { id: true, code: true, timezone: true } });
    if (!client) throw new NotFoundError(`Client ${request.body.clientId}`);
    if (request.body.month >= monthOf(Date.now(), client.timezone)) {
      throw new ValidationError(`month ${request.body.month} is not over yet in ${client.timezone}: only past months can be reported`);
    }
    const workflowId = workflowIds.report(client.code, request.body.month);
    const requestedBy = request.actor.kind === 'user' ? `user:${request.actor.userId}` : 'system';
    try {
      await deps.temporal.client.workflow.start(reportWorkflow, {
        workflowId,
        taskQueue: deps.config.temporal.taskQueue,
        args: [{ clientId: client.id, clientCode: client.code, month: request.body.month, trigger: 'manual', requestedBy }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: searchAttributes.ClientId, value: client.id },
          { key: searchAttributes.ReportMonth, value: request.body.month },
        ],
        staticSummary: `Monthly report · ${client.code} · ${request.body.month} (manual)`,
      });
      return reply.status(202).send({ workflowId, alreadyStarted: false });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // that month already ran (or runs): never a second send; use resend to send again
      return reply.status(200).send({ workflowId, alreadyStarted: true });
    }
  });

  app.post<{ Body: { clientIds?: string[] } }>('/reports/schedules/sync', { schema: syncSchedulesSchema, config: { access: ['ADMIN'] } }, async (request) =>
    syncReportSchedules(
      { prisma: deps.prisma, temporal: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue, hour: deps.config.reports.scheduleHour, log: deps.log },
      request.body?.clientIds,
    ),
  );
}
