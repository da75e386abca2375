import type { ReportAudienceName, ReportProgress } from './definitions';

/** The report workflow's progress and how the Temporal UI's Current details describe it (pure). */
export function newProgress(month: string, audiences: readonly ReportAudienceName[]): ReportProgress {
  return { month, status: 'computing', audiences: audiences.map((audience) => ({ audience, reportId: null, computed: false, send: null })) };
}

export function describeProgress(p: ReportProgress): string {
  const lines = [`**Monthly report ${p.month}**: ${p.status}`, ''];
  for (const a of p.audiences) {
    const send = a.send ? `${a.send.status} (${a.send.sent}/${a.send.recipients} recipients)` : a.computed ? 'computed, not sent yet' : 'computing';
    lines.push(`- ${a.audience}: ${send}${a.reportId ? ` · report ${a.reportId}` : ''}`);
  }
  return lines.join('\n');
}
