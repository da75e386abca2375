/**
 * Everything the outside world uses to talk to workflows: ids, search attributes, signals,
 * queries and updates. The API, the worker and the workflows all import from here, so a name
 * is spelled once.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const searchAttributes = {
  ClientId: defineSearchAttributeKey('ClientId', SearchAttributeType.KEYWORD),
  TicketId: defineSearchAttributeKey('TicketId', SearchAttributeType.KEYWORD),
  Priority: defineSearchAttributeKey('Priority', SearchAttributeType.KEYWORD),
  SlaStatus: defineSearchAttributeKey('SlaStatus', SearchAttributeType.KEYWORD),
  Assignee: defineSearchAttributeKey('Assignee', SearchAttributeType.KEYWORD),
  OnboardingStep: defineSearchAttributeKey('OnboardingStep', SearchAttributeType.KEYWORD),
  RolloutId: defineSearchAttributeKey('RolloutId', SearchAttributeType.KEYWORD),
  RolloutStatus: defineSearchAttributeKey('RolloutStatus', SearchAttributeType.KEYWORD),
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
};

export const workflowIds = {
  ticket: (ticketId: number) => `ticket-${ticketId}`,
  onboarding: (clientCode: string) => `onboarding-${clientCode}`,
  rollout: (rolloutId: string) => `rollout-${rolloutId}`,
  report: (clientCode: string, month: string) => `report-${clientCode}-${month}`,
};

export const ticketNumber = (ticketId: number) => `T-${ticketId}`;

// ---------------------------------------------------------------- ticket workflow

export type TicketWorkflowInput = {
  ticketId: number;
  clientId: string;
  clientName: string;
  subject: string;
  priority: string;
};

export interface TicketWorkflowState {
  ticketId: number;
  phase: 'starting' | 'open' | 'closed';
  recordedInDatabase: boolean;
}

export const ticketStateQuery = defineQuery<TicketWorkflowState>('ticketState');
export const ticketClosedSignal = defineSignal<[{ reason: string }]>('ticketClosed');
