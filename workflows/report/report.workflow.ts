import { proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { ReportActivities } from '../../activities/reports/report-activities';
import { REPORT_AUDIENCES, reportProgressQuery, type ReportWorkflowInput } from './definitions';
import { REPORT_HEARTBEAT_TIMEOUT_MS } from './heartbeat';
import { describeProgress, newProgress } from './progress';

// startToClose stays generous (a large client's PDF, a slow SMTP relay); a dead worker is noticed
// by its missing heartbeats instead, and the step retried within about half a minute.
const acts = proxyActivities<ReportActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: REPORT_HEARTBEAT_TIMEOUT_MS,
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', backoffCoefficient: 2 },
});

/**
 * The monthly report of one client for one month (id `report-<client code>-<YYYY-MM>`): compute
 * and store the snapshot of each audience (client, MSP internal), then send each once. Every
 * step is idempotent on business keys (Report unique per client/month/audience, ReportSend per
 * report/key, the gateway's OutboundMail per recipient), so a retried activity, a replaced worker
 * or a second start of the same id sends nothing twice.
 */
export async function reportWorkflow(input: ReportWorkflowInput) {
  const progress = newProgress(input.month, REPORT_AUDIENCES);
  const show = () => setCurrentDetails(describeProgress(progress));
  setHandler(reportProgressQuery, () => progress);
  show();

  for (const a of progress.audiences) {
    const { reportId } = await acts.computeReport({ clientId: input.clientId, month: input.month, audience: a.audience, trigger: input.trigger });
    a.reportId = reportId;
    a.computed = true;
    show();
  }
  progress.status = 'sending';
  show();
  for (const a of progress.audiences) {
    const outcome = await acts.sendReport({ reportId: a.reportId!, key: 'initial', requestedBy: input.requestedBy ?? `workflow:${input.trigger}` });
    a.send = { status: outcome.status, recipients: outcome.recipients.length, sent: outcome.sent };
    show();
  }
  progress.status = progress.audiences.every((a) => a.send?.status !== 'failed') ? 'sent' : 'failed';
  show();
  return progress;
}
