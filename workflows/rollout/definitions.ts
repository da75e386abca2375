/**
 * The patch rollout's contract with the outside world (API, email intake, tests): input, view,
 * queries, updates and signals. Spelled once here.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BusinessCalendar } from '../sla/calendar';

/** What to install. Linux agents get apt/dnf commands, Windows agents PowerShell (PSWindowsUpdate). */
export type PatchSet =
  | { kind: 'os-updates'; category: 'security' | 'all' }
  | { kind: 'packages'; packages: string[] }
  | { kind: 'windows-kbs'; kbs: string[] }
  /** A custom, MSP-written patch: install script, verify script (exit 0 = applied), optional reboot. */
  | { kind: 'script'; id: string; install: string; verify: string; rebootAfter?: boolean };

export interface RingSpec {
  name: string;
  /** Explicit device ids (ours), or a rule; a device lands in the first ring that claims it. */
  deviceIds?: string[];
  /** Devices carrying any of these tags. */
  tags?: string[];
  /** A share of the devices not claimed by earlier rings (0-1], e.g. 0.05 for a 5 % canary. */
  percent?: number;
  /** Halt when failed devices exceed this share of the ring (0-1). Default 0.1. */
  maxFailureRate?: number;
  /** Wait for an approval before this ring starts. Default: true for every ring but the first. */
  approval?: boolean;
}

export interface RolloutPolicy {
  rings: RingSpec[];
  /** Maintenance windows: devices start only while this calendar is open (client's time zone). */
  window?: BusinessCalendar | null;
  /** Devices per child workflow and child workflows in flight (the sliding window). */
  batchSize?: number;
  maxParallelBatches?: number;
  /** Devices patched at once inside one child workflow. */
  concurrencyPerBatch?: number;
  /** Offline devices are retried while the rollout is within its window, until this long after the ring's pass. */
  offlineCatchUpMs?: number;
  offlinePollMs?: number;
  /** Minimum free disk (KiB) at pre-check. Default 1 GiB. */
  minFreeDiskKb?: number;
  /** Install attempts per device (retries with backoff). Default 2. */
  installAttempts?: number;
  /** Activity retry backoff base (ms). Default 10 s. */
  retryInitialMs?: number;
  /** How long a rebooted device may take to come back. Default 20 minutes. */
  rebootTimeoutMs?: number;
  /** A device activity not heard from for this long is retried (worker died, completion lost). Default 30 s. */
  heartbeatTimeoutMs?: number;
  /** The rollout continues as new past this many history events. Default 4000. */
  historyBudget?: number;
  /** Script timeout on the device. Default 30 minutes. */
  scriptTimeoutMs?: number;
}

export interface RolloutInput {
  rolloutId: string;
  name: string;
  clientIds: string[];
  patchSet: PatchSet;
  policy: RolloutPolicy;
}

export type RolloutStatusValue =
  | 'planning'
  | 'waiting-window'
  | 'waiting-approval'
  | 'running'
  | 'catching-up'
  | 'paused'
  | 'halted'
  | 'cancelled'
  | 'completed';

export type DeviceState = 'pending' | 'succeeded' | 'failed' | 'offline' | 'missed' | 'cancelled';

export interface DeviceOutcome {
  deviceId: string;
  state: 'succeeded' | 'failed' | 'offline' | 'deferred';
  reason?: string;
  rebooted?: boolean;
}

export interface RingView {
  name: string;
  size: number;
  status: 'pending' | 'waiting-approval' | 'running' | 'catching-up' | 'done' | 'halted' | 'cancelled';
  succeeded: number;
  failed: number;
  offline: number;
  missed: number;
  maxFailures: number;
  startedAt: number | null;
  finishedAt: number | null;
  approval: { by: string; via: string; at: number } | null;
  /** Failures beyond the threshold were accepted by a resume. */
  thresholdOverridden: boolean;
}

export interface RolloutView {
  rolloutId: string;
  status: RolloutStatusValue;
  currentRing: string | null;
  rings: RingView[];
  inFlightDevices: number;
  haltReason: string | null;
  nextWindowAt: number | null;
  /** Recent failures (device id → reason), newest last, bounded. */
  recentFailures: Array<{ deviceId: string; ring: string; reason: string }>;
  /** How many times the workflow continued as new (history kept small). */
  runs: number;
}

export interface ApprovalRequest {
  ring: string;
  /** A user id, or "email:<address>" when approved by email reply. */
  by: string;
  via: 'api' | 'email';
  comment?: string;
}

export interface ControlRequest {
  by: string;
  reason?: string;
}

export const rolloutProgressQuery = defineQuery<RolloutView>('rolloutProgress');
export const approveRingUpdate = defineUpdate<RolloutView, [ApprovalRequest]>('approveRing');
export const pauseRolloutUpdate = defineUpdate<RolloutView, [ControlRequest]>('pauseRollout');
export const resumeRolloutUpdate = defineUpdate<RolloutView, [ControlRequest]>('resumeRollout');
export const cancelRolloutUpdate = defineUpdate<RolloutView, [ControlRequest]>('cancelRollout');

/** Parent → batch child: stop or restart starting devices (in-flight ones finish). */
export const batchPausedSignal = defineSignal<[boolean]>('batchPaused');

export interface BatchInput {
  rolloutId: string;
  ring: string;
  deviceIds: string[];
  patchSet: PatchSet;
  policy: RolloutPolicy;
  /** Epoch ms: no device starts after this (the maintenance window closes). */
  notAfter: number | null;
  paused: boolean;
}

export interface BatchResult {
  outcomes: DeviceOutcome[];
}

/** Reply-token kind the email intake uses for approval replies (lib/mail/reply-token.ts). */
export const APPROVAL_REPLY_TOKEN_KIND = 'approval';

/**
 * The entity an approval reply token names: one ring of one rollout (`<rollout id>-<ring index>`),
 * so replying to an old approval request never approves a later ring.
 */
export const approvalReplyEntity = (rolloutId: string, ringIndex: number): string => `${rolloutId}-${ringIndex}`.toLowerCase();

export function parseApprovalReplyEntity(entityId: string): { rolloutId: string; ringIndex: number } | null {
  const m = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(\d{1,2})$/.exec(entityId);
  return m ? { rolloutId: m[1], ringIndex: Number(m[2]) } : null;
}

export const rolloutBatchWorkflowId = (rolloutId: string, ring: string, seq: number) => `rollout-${rolloutId}-${ring}-b${seq}`;
