/**
 * The onboarding workflow's contract with the outside world (API, email intake, device sync):
 * checklist data types, input, signals, queries and updates. Spelled once, imported by all.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export type OwnerRole = 'onboarding-manager' | 'technician' | 'sales' | 'client';
export const OWNER_ROLES: readonly OwnerRole[] = ['onboarding-manager', 'technician', 'sales', 'client'];

export type EvidenceType = 'none' | 'note' | 'file' | 'link' | 'field';
export const EVIDENCE_TYPES: readonly EvidenceType[] = ['none', 'note', 'file', 'link', 'field'];

/** Items the workflow does itself, as activities. */
export type Automation =
  | 'welcome-email'
  | 'provision-client'
  | 'announce-internally'
  | 'rmm-group'
  | 'agents-installed'
  | 'go-live-email'
  | 'record-go-live'
  | 'feedback-questionnaire'
  | 'review-reminder';
export const AUTOMATIONS: readonly Automation[] = [
  'welcome-email',
  'provision-client',
  'announce-internally',
  'rmm-group',
  'agents-installed',
  'go-live-email',
  'record-go-live',
  'feedback-questionnaire',
  'review-reminder',
];

export interface ItemDefinition {
  key: string;
  title: string;
  owner: OwnerRole;
  /** Due this many days after the onboarding starts (shifted when a gate holds the item). */
  dueDays: number;
  required: boolean;
  evidence: EvidenceType;
  /** For evidence "field": the form fields the answer must carry. */
  fields?: string[];
  automation?: Automation;
  /** Items that must be done (or skipped) first, beyond the step's own gate. */
  after?: string[];
  /** Becomes ready this many days after its prerequisites are done (follow-up reviews). */
  waitDays?: number;
  /** Client-owned: a "please send us X" email goes out when the item opens; the reply answers it. */
  requestByEmail?: boolean;
}

export interface StepDefinition {
  number: number;
  title: string;
  /** Gate: steps whose required items must all be done (or skipped) before this step opens. */
  after?: number[];
  items: ItemDefinition[];
}

export interface TemplateDefinition {
  steps: StepDefinition[];
  /** An overdue item escalates to the onboarding manager this many days after its reminder. */
  escalateAfterDays: number;
}

export type ItemStatus = 'OPEN' | 'DONE' | 'SKIPPED';

export interface OnboardingWorkflowInput {
  onboardingId: string;
  clientCode: string;
  clientName: string;
  locale: 'fr' | 'en';
  contactName: string;
  contactEmail: string;
  managerId: string;
  template: { id: string; key: string; version: number; definition: TemplateDefinition };
  /** Epoch ms the onboarding started (due dates count from here). */
  startedAt: number;
}

export type StaffRole = 'ADMIN' | 'ONBOARDING_MANAGER' | 'TECHNICIAN';

export interface ItemActionRequest {
  action: 'complete' | 'skip' | 'reopen';
  itemKey: string;
  /** A user id, or "client:<address>" / "system:<component>". */
  by: string;
  role: StaffRole | 'client' | 'system';
  reason?: string;
  /** Evidence stored for this item so far (kinds), as the API knows it when asking. */
  evidenceKinds?: string[];
  /** Form answers when the item's evidence is "field". */
  fields?: Record<string, unknown>;
}

export interface ItemView {
  key: string;
  step: number;
  title: string;
  owner: OwnerRole;
  required: boolean;
  evidence: EvidenceType;
  automation: Automation | null;
  status: ItemStatus;
  /** Ready: its gates are open. */
  ready: boolean;
  dueAt: number | null;
  doneAt: number | null;
  doneBy: string | null;
  skipReason: string | null;
  reminded: boolean;
  escalated: boolean;
}

export interface OnboardingView {
  clientCode: string;
  phase: 'running' | 'live' | 'following-up' | 'completed';
  currentStep: number | null;
  done: number;
  total: number;
  percent: number;
  items: ItemView[];
  waitingFor: string[];
  clientId: string | null;
}

export interface ItemEvent {
  at: number;
  itemKey: string | null;
  type: 'completed' | 'skipped' | 'reopened' | 'reminded' | 'escalated' | 'automated' | 'automation-failed' | 'gate-opened' | 'live' | 'completed-onboarding';
  by: string | null;
  detail?: string;
}

export const onboardingViewQuery = defineQuery<OnboardingView>('onboardingView');
export const itemActionUpdate = defineUpdate<OnboardingView, [ItemActionRequest]>('onboardingItemAction');
/** Evidence was stored for an item (API); the workflow only records the kind, for validation. */
export const evidenceAttachedSignal = defineSignal<[{ itemKey: string; kind: string }]>('onboardingEvidenceAttached');
/** The client answered a "please send us X" email (stored as evidence already): completes the item. */
export const clientAnsweredSignal = defineSignal<[{ itemKey: string; from: string; evidenceId: string }]>('onboardingClientAnswered');
/** Device sync saw this client's devices change: re-count reporting agents. */
export const devicesChangedSignal = defineSignal<[]>('onboardingDevicesChanged');
