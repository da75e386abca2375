/**
 * Everything the outside world uses to talk to workflows: ids, search attributes, signals,
 * queries and updates. The API, the worker and the workflows all import from here, so a name
 * is spelled once.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const searchAttributes = {
  ClientId: defineSearchAttributeKey('ClientId', SearchAttributeType.KEYWORD),
  TicketId: defineSearchAttributeKey('TicketId', SearchAttributeType.KEYWORD),
  Priority: defineSearchAttributeKey('Priority', SearchAttributeType.KEYWORD),
  SlaStatus: defineSearchAttributeKey('SlaStatus', SearchAttributeType.KEYWORD),
  Assignee: defineSearchAttributeKey('Assignee', SearchAttributeType.KEYWORD),
  OnboardingStep: defineSearchAttributeKey('OnboardingStep', SearchAttributeType.KEYWORD),
  RolloutId: defineSearchAttributeKey('RolloutId', SearchAttributeType.KEYWORD),
  RolloutStatus: defineSearchAttributeKey('RolloutStatus', SearchAttributeType.KEYWORD),
  Ring: defineSearchAttributeKey('Ring', SearchAttributeType.KEYWORD),
  // the dev server allows 10 Keyword attributes per namespace: the report's status is in its Current details
  ReportMonth: defineSearchAttributeKey('ReportMonth', SearchAttributeType.KEYWORD),
} as const;

/** What the dev server is started with and what `npm run temporal:setup` registers. */
export const searchAttributeTypes: Record<keyof typeof searchAttributes, 'Keyword'> = {
  ClientId: 'Keyword',
  TicketId: 'Keyword',
  Priority: 'Keyword',
  SlaStatus: 'Keyword',
  Assignee: 'Keyword',
  OnboardingStep: 'Keyword',
  RolloutId: 'Keyword',
  RolloutStatus: 'Keyword',
  Ring: 'Keyword',
  ReportMonth: 'Keyword',
};

export const workflowIds = {
  ticket: (ticketId: number) => `ticket-${ticketId}`,
  onboarding: (clientCode: string) => `onboarding-${clientCode}`,
  rollout: (rolloutId: string) => `rollout-${rolloutId}`,
  report: (clientCode: string, month: string) => `report-${clientCode}-${month}`,
  /** Temporal appends the scheduled time to the workflows a schedule starts. */
  reportTick: (clientCode: string) => `report-tick-${clientCode}`,
  reportSchedule: (clientCode: string) => `report-schedule-${clientCode}`,
};

export const ticketNumber = (ticketId: number) => `T-${ticketId}`;

// ---------------------------------------------------------------- ticket (incident) workflow

export type TicketStatus = 'NEW' | 'ACKNOWLEDGED' | 'IN_PROGRESS' | 'WAITING_ON_CLIENT' | 'RESOLVED' | 'CLOSED';
export type TicketPriority = 'P1' | 'P2' | 'P3' | 'P4';
export type SlaStatusValue = 'none' | 'ok' | 'warning' | 'breached' | 'paused' | 'met';

export type TicketWorkflowInput = {
  ticketId: number;
  clientId: string;
  clientName: string;
  subject: string;
  priority: string;
  /** Epoch ms the ticket was created: the SLA clocks start here, not when the workflow starts. */
  createdAt?: number;
};

export interface SlaTimelineEntry {
  at: number;
  type:
    | 'started'
    | 'first-response'
    | 'paused'
    | 'resumed'
    | 'warned'
    | 'breached'
    | 'escalated'
    | 'recomputed'
    | 'status'
    | 'priority'
    | 'assigned'
    | 'auto-closed';
  clock?: 'firstResponse' | 'resolution';
  fraction?: number;
  level?: string;
  reason?: string;
  detail?: string;
}

export interface SlaClockView {
  targetMinutes: number;
  deadlineAt: number | null;
  elapsedMinutes: number;
  remainingMinutes: number;
  met: boolean;
}

export interface TicketView {
  ticketId: number;
  status: TicketStatus;
  priority: TicketPriority;
  assigneeId: string | null;
  sla: {
    status: SlaStatusValue;
    policy: string | null;
    paused: boolean;
    firstResponse: SlaClockView | null;
    resolution: SlaClockView | null;
    nextMilestone: { key: string; at: number } | null;
  };
}

/** @deprecated kept so the first recorded histories still replay; use TicketView. */
export interface TicketWorkflowState {
  ticketId: number;
  phase: 'starting' | 'open' | 'closed';
  recordedInDatabase: boolean;
}

export interface ChangeStatusRequest {
  to: TicketStatus;
  /** Who asks: a user id, or "system:<component>". */
  by: string;
  reason?: string;
}
export interface ChangePriorityRequest {
  priority: TicketPriority;
  by: string;
  reason?: string;
}
export interface AssignRequest {
  assigneeId: string | null;
  by: string;
}

export const ticketViewQuery = defineQuery<TicketView>('ticketView');
export const slaTimelineQuery = defineQuery<SlaTimelineEntry[]>('slaTimeline');
export const changeStatusUpdate = defineUpdate<TicketView, [ChangeStatusRequest]>('changeStatus');
export const changePriorityUpdate = defineUpdate<TicketView, [ChangePriorityRequest]>('changePriority');
export const assignUpdate = defineUpdate<TicketView, [AssignRequest]>('assign');
/** The client wrote (email intake): resumes a paused clock, reopens a resolved ticket. */
export const clientRepliedSignal = defineSignal<[{ at: number; reference?: string }]>('clientReplied');
/** A technician answered publicly: that is the first response if none happened yet. */
export const technicianRepliedSignal = defineSignal<[{ at: number; by: string }]>('technicianReplied');
/** The client's contract, SLA policy or calendar changed: reload it and recompute deadlines. */
export const slaPolicyChangedSignal = defineSignal<[{ reason: string }]>('slaPolicyChanged');
