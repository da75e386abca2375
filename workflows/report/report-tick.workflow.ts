import { ParentClosePolicy, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ReportActivities } from '../../activities/reports/report-activities';
import { searchAttributes, workflowIds } from '../definitions';
import type { ReportTickInput, ReportTickResult } from './definitions';
import { reportWorkflow } from './report.workflow';

// bounded: a tick that cannot decide (client deleted, database down for long) gives up; the next day's firing tries again
const acts = proxyActivities<ReportActivities>({ startToCloseTimeout: '1 minute', retry: { maximumInterval: '1 minute', maximumAttempts: 20 } });

/** Set by Temporal on every workflow a schedule starts: the time the action was due (not run). */
const scheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * What the per-client schedule starts on days 1-7 of each month (client time zone). It asks
 * whether this firing, taken at its *scheduled* time (so a firing caught up after downtime
 * counts as the day it was due), is on or after the month's first business day; if so it starts
 * `report-<client>-<previous month>`. That id, with REJECT_DUPLICATE, makes the later firings of
 * the month (and any manual run already done) no-ops.
 */
export async function reportTickWorkflow(input: ReportTickInput): Promise<ReportTickResult> {
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(scheduledStartTime);
  const firedAt = (scheduled ?? info.startTime).getTime();
  const decision = await acts.planScheduledReport({ clientId: input.clientId, firedAt });
  if (!decision.month) return { firedAt: new Date(firedAt).toISOString(), month: null, reason: decision.reason, started: false };
  try {
    await startChild(reportWorkflow, {
      workflowId: workflowIds.report(input.clientCode, decision.month),
      args: [{ clientId: input.clientId, clientCode: input.clientCode, month: decision.month, trigger: 'schedule' }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: searchAttributes.ClientId, value: input.clientId },
        { key: searchAttributes.ReportMonth, value: decision.month },
      ],
      staticSummary: `Monthly report · ${input.clientCode} · ${decision.month}`,
    });
    return { firedAt: new Date(firedAt).toISOString(), month: decision.month, reason: decision.reason, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { firedAt: new Date(firedAt).toISOString(), month: decision.month, reason: 'report already started', started: false };
    }
    throw err;
  }
}
