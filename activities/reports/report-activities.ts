import { Context } from '@temporalio/activity';
import type { Audience } from '../../lib/reports/report-data';
import { REPORT_HEARTBEAT_INTERVAL_MS } from '../../workflows/report/heartbeat';
import { computeReport, sendReport, type ReportDeps } from './report-service';
import { planScheduledReport } from './schedules';

/** The report workflows' activities: thin wrappers over the business actions. */
export function createReportActivities(deps: ReportDeps) {
  return {
    async planScheduledReport(input: { clientId: string; firedAt: number }) {
      return planScheduledReport(deps.prisma, input);
    },
    async computeReport(input: { clientId: string; month: string; audience: Audience; trigger: string }) {
      return whileBeating(() => computeReport(deps, { ...input, workflowId: Context.current().info.workflowExecution?.workflowId }));
    },
    async sendReport(input: { reportId: string; key: string; requestedBy?: string }) {
      return whileBeating(() => sendReport(deps, input));
    },
  };
}

/**
 * Heartbeats for as long as `work` runs (collecting the month, waiting on Chromium, on the SMTP
 * relay): the beats say "this worker is alive", so the workflow's heartbeatTimeout retries the
 * step soon after a worker dies. A worker that is alive but stuck is the start-to-close
 * timeout's job (and Chromium's and SMTP's own timeouts').
 */
async function whileBeating<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), REPORT_HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

export type ReportActivities = ReturnType<typeof createReportActivities>;
