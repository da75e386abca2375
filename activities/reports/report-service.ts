import crypto from 'node:crypto';
import type { Prisma, PrismaClient } from '../../lib/db/prisma';
import { NotFoundError, ValidationError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { assertMonth, monthOf } from '../../lib/reports/period';
import type { Audience, ReportData } from '../../lib/reports/report-data';
import type { MailGateway } from '../mail/gateway-types';
import type { CrashHook } from '../../lib/crash-points';
import type { HtmlPrinter } from './chromium';
import { collectReportData, type CollectDeps } from './collect';
import { renderReport } from './render';

export interface ReportDeps extends CollectDeps {
  log?: Logger;
  /** The one mail gateway; undefined when SMTP is not configured (sending then fails clearly). */
  gateway?: MailGateway;
  printer: HtmlPrinter;
  /** Staff addresses for the internal version (REPORTS_INTERNAL_TO); unset: active admins. */
  internalTo?: string[];
  now?: () => Date;
  /** Test-only fault injection (CRASH_AT), to prove that a killed worker sends no report twice. */
  crash?: CrashHook;
}

/**
 * Computes and stores the snapshot of (client, month, audience) once. A second call, from a
 * retried activity, a re-run or a manual trigger, returns the stored one: its asOf and numbers
 * never change. The month must be over in the client's time zone.
 */
export async function computeReport(
  deps: ReportDeps,
  input: { clientId: string; month: string; audience: Audience; trigger: string; workflowId?: string; asOf?: Date },
): Promise<{ reportId: string; created: boolean }> {
  assertMonth(input.month);
  const existing = await deps.prisma.report.findUnique({
    where: { clientId_month_audience: { clientId: input.clientId, month: input.month, audience: input.audience } },
    select: { id: true },
  });
  if (existing) return { reportId: existing.id, created: false };
  const client = await deps.prisma.client.findUnique({ where: { id: input.clientId }, select: { timezone: true, locale: true } });
  if (!client) throw new NotFoundError(`Client ${input.clientId}`);
  const asOf = input.asOf ?? (deps.now ?? (() => new Date()))();
  if (input.month >= monthOf(asOf.getTime(), client.timezone)) {
    throw new ValidationError(`month ${input.month} is not over yet in ${client.timezone}: reports cover complete months`);
  }
  const previous = await deps.prisma.report.findFirst({
    where: { clientId: input.clientId, audience: input.audience, month: { lt: input.month } },
    orderBy: { month: 'desc' },
    select: { month: true, data: true },
  });
  const data = await collectReportData(deps, {
    clientId: input.clientId,
    month: input.month,
    audience: input.audience,
    asOf,
    previous: previous && (previous.data as unknown as ReportData).month === shiftBack(input.month) ? (previous.data as unknown as ReportData) : null,
  });
  // unique (client, month, audience): of two racing computations one row wins, both return it
  const inserted = await deps.prisma.report.createMany({
    data: [
      {
        clientId: input.clientId,
        month: input.month,
        audience: input.audience,
        asOf,
        locale: client.locale,
        data: data as unknown as Prisma.InputJsonValue,
        trigger: input.trigger,
        workflowId: input.workflowId ?? null,
      },
    ],
    skipDuplicates: true,
  });
  const row = await deps.prisma.report.findUniqueOrThrow({
    where: { clientId_month_audience: { clientId: input.clientId, month: input.month, audience: input.audience } },
    select: { id: true },
  });
  return { reportId: row.id, created: inserted.count === 1 };
}

function shiftBack(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

export async function loadReport(prisma: PrismaClient, reportId: string) {
  const row = await prisma.report.findUnique({ where: { id: reportId }, include: { client: { select: { code: true, name: true } } } });
  if (!row) throw new NotFoundError(`Report ${reportId}`);
  return row;
}

/** Rendered HTML of a stored report (the snapshot; nothing recomputed). */
export async function reportHtml(prisma: PrismaClient, reportId: string) {
  const row = await loadReport(prisma, reportId);
  return { row, rendered: renderReport(row.data as unknown as ReportData) };
}

export async function reportPdf(deps: Pick<ReportDeps, 'prisma' | 'printer'>, reportId: string) {
  const { row, rendered } = await reportHtml(deps.prisma, reportId);
  return { row, pdf: await deps.printer.pdf(rendered.html), filename: `report-${row.client.code}-${row.month}${row.audience === 'INTERNAL' ? '-internal' : ''}.pdf` };
}

/** Who gets a report: the client's contacts flagged receivesReports, or staff for the internal one. */
export async function reportRecipients(deps: Pick<ReportDeps, 'prisma' | 'internalTo'>, clientId: string, audience: Audience): Promise<string[]> {
  if (audience === 'INTERNAL') {
    if (deps.internalTo?.length) return [...new Set(deps.internalTo)].sort();
    const admins = await deps.prisma.user.findMany({ where: { role: 'ADMIN', active: true }, select: { email: true } });
    return [...new Set(admins.map((a) => a.email.toLowerCase()))].sort();
  }
  const contacts = await deps.prisma.contact.findMany({ where: { clientId, receivesReports: true }, select: { email: true } });
  return [...new Set(contacts.map((c) => c.email.toLowerCase()))].sort();
}

export interface SendReportOutcome {
  sendId: string;
  status: 'sent' | 'partial' | 'none' | 'failed';
  recipients: string[];
  sent: number;
}

/**
 * Sends a stored report (HTML mail + PDF attachment) to each recipient through the mail gateway,
 * one mail per recipient under the key `report:<report id>:<send key>:<address>`: the gateway's
 * ledger never sends a key twice. `key` is "initial" for the workflow's send and
 * "resend:<uuid>" for an explicit re-send, recorded in ReportSend with who asked.
 */
export async function sendReport(
  deps: ReportDeps,
  input: { reportId: string; key: string; requestedBy?: string; recipients?: string[] },
): Promise<SendReportOutcome> {
  if (!/^(initial|resend:[0-9a-f-]{36})$/.test(input.key)) throw new ValidationError(`bad send key ${input.key}`);
  const row = await loadReport(deps.prisma, input.reportId);
  const done = await deps.prisma.reportSend.findUnique({ where: { reportId_key: { reportId: row.id, key: input.key } } });
  if (done && done.status !== 'failed') {
    return { sendId: done.id, status: done.status as SendReportOutcome['status'], recipients: done.recipients, sent: done.outboundIds.length };
  }
  const recipients = input.recipients?.length ? [...new Set(input.recipients.map((r) => r.trim().toLowerCase()))].sort() : await reportRecipients(deps, row.clientId, row.audience);
  const record = async (status: SendReportOutcome['status'], outboundIds: string[]) => {
    const saved = await deps.prisma.reportSend.upsert({
      where: { reportId_key: { reportId: row.id, key: input.key } },
      create: { reportId: row.id, key: input.key, recipients, requestedBy: input.requestedBy ?? null, status, outboundIds },
      update: { status, outboundIds, recipients },
    });
    if (input.key === 'initial' && status !== 'failed') await deps.prisma.report.updateMany({ where: { id: row.id, sentAt: null }, data: { sentAt: new Date() } });
    return saved.id;
  };
  if (!recipients.length) {
    deps.log?.warn(
      { reportId: row.id, audience: row.audience },
      row.audience === 'INTERNAL' ? 'internal monthly report has no recipient (REPORTS_INTERNAL_TO unset and no active admin)' : 'monthly report has no recipient (no contact with receivesReports)',
    );
    return { sendId: await record('none', []), status: 'none', recipients, sent: 0 };
  }
  if (!deps.gateway) throw new ValidationError('no mail gateway: set SMTP_HOST to send reports');
  const rendered = renderReport(row.data as unknown as ReportData);
  const pdf = await deps.printer.pdf(rendered.html);
  const filename = `report-${row.client.code}-${row.month}${row.audience === 'INTERNAL' ? '-internal' : ''}.pdf`;
  const outboundIds: string[] = [];
  let refused = 0;
  for (const to of recipients) {
    const outcome = await deps.gateway.send({
      idempotencyKey: `report:${row.id}:${input.key}:${to}`,
      template: 'reports/monthly',
      data: { reportSubject: rendered.subject, reportBody: rendered.body },
      to: [to],
      locale: rendered.locale,
      // automatic, never counted against a budget (our own monthly mail cannot loop), but an
      // address that bounced is still suppressed
      automatic: 'auto-generated',
      budgeted: false,
      attachments: [{ filename, content: pdf, contentType: 'application/pdf' }],
      extraHeaders: { 'X-Mspflow-Report': `${row.client.code}/${row.month}/${row.audience.toLowerCase()}` },
    });
    if (outcome.status === 'sent' || outcome.status === 'already-sent') outboundIds.push(outcome.outboundId);
    else refused++;
    // one mail out and in the gateway's ledger, the report's own record not yet written
    if (outcome.status === 'sent') deps.crash?.('after-report-mail-sent');
  }
  const status: SendReportOutcome['status'] = refused === 0 ? 'sent' : outboundIds.length ? 'partial' : 'failed';
  const sendId = await record(status, outboundIds);
  deps.crash?.('after-report-send-recorded');
  return { sendId, status, recipients, sent: outboundIds.length };
}

/** An explicit re-send (API): always a new, recorded send. */
export async function resendReport(deps: ReportDeps, input: { reportId: string; requestedBy: string; recipients?: string[] }) {
  return sendReport(deps, { reportId: input.reportId, key: `resend:${crypto.randomUUID()}`, requestedBy: input.requestedBy, recipients: input.recipients });
}
