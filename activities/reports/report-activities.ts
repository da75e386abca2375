import { Context } from '@temporalio/activity';
import type { Audience } from '../../lib/reports/report-data';
import { computeReport, sendReport, type ReportDeps } from './report-service';
import { planScheduledReport } from './schedules';

/** The report workflows' activities: thin wrappers over the business actions. */
export function createReportActivities(deps: ReportDeps) {
  return {
    async planScheduledReport(input: { clientId: string; firedAt: number }) {
      return planScheduledReport(deps.prisma, input);
    },
    async computeReport(input: { clientId: string; month: string; audience: Audience; trigger: string }) {
      return computeReport(deps, { ...input, workflowId: Context.current().info.workflowExecution?.workflowId });
    },
    async sendReport(input: { reportId: string; key: string; requestedBy?: string }) {
      return sendReport(deps, input);
    },
  };
}

export type ReportActivities = ReturnType<typeof createReportActivities>;
