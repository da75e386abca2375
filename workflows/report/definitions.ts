import { defineQuery } from '@temporalio/workflow';

export type ReportTrigger = 'schedule' | 'manual';
export type ReportAudienceName = 'CLIENT' | 'INTERNAL';
export const REPORT_AUDIENCES: readonly ReportAudienceName[] = ['CLIENT', 'INTERNAL'];

export interface ReportWorkflowInput {
  clientId: string;
  clientCode: string;
  /** YYYY-MM in the client's time zone. */
  month: string;
  trigger: ReportTrigger;
  /** Who asked for a manual run (user id). */
  requestedBy?: string;
}

/** The report workflow's status, shown in its Current details and progress query. */
export type ReportStatusValue = 'computing' | 'sending' | 'sent' | 'failed';

export interface ReportProgress {
  month: string;
  status: ReportStatusValue;
  audiences: Array<{ audience: ReportAudienceName; reportId: string | null; computed: boolean; send: null | { status: string; recipients: number; sent: number } }>;
}

export const reportProgressQuery = defineQuery<ReportProgress>('reportProgress');

export interface ReportTickInput {
  clientId: string;
  clientCode: string;
}

export interface ReportTickResult {
  firedAt: string;
  month: string | null;
  reason: string;
  started: boolean;
}
