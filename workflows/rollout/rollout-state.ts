import type { DeviceOutcome, RingSpec, RingView, RolloutStatusValue, RolloutView } from './definitions';

export const DEFAULT_MAX_FAILURE_RATE = 0.1;
const RECENT_FAILURES = 20;

/** Failures a ring tolerates: more than this halts the rollout. */
export function maxFailuresFor(size: number, rate: number | undefined): number {
  return Math.floor(size * (rate ?? DEFAULT_MAX_FAILURE_RATE) + 1e-9);
}

export function needsApproval(spec: RingSpec, index: number): boolean {
  return spec.approval ?? index > 0;
}

/** Everything the rollout workflow remembers, carried across continue-as-new. Plain data. */
export interface RolloutCarry {
  status: RolloutStatusValue;
  rings: RingView[];
  ringIndex: number;
  /** Last device id fetched from the ring's (sorted) membership. */
  cursor: string | null;
  /** Fetched but not started yet (also devices deferred by a closing window). */
  queue: string[];
  /** Offline devices of the current ring, retried during catch-up. */
  offline: string[];
  exhausted: boolean;
  paused: boolean;
  cancelRequested: boolean;
  haltReason: string | null;
  recentFailures: RolloutView['recentFailures'];
  batchSeq: number;
  runs: number;
  planned: boolean;
}

export function newCarry(): RolloutCarry {
  return {
    status: 'planning',
    rings: [],
    ringIndex: 0,
    cursor: null,
    queue: [],
    offline: [],
    exhausted: false,
    paused: false,
    cancelRequested: false,
    haltReason: null,
    recentFailures: [],
    batchSeq: 0,
    runs: 0,
    planned: false,
  };
}

export function initRings(specs: RingSpec[], sizes: Record<string, number>): RingView[] {
  return specs.map((spec) => ({
    name: spec.name,
    size: sizes[spec.name] ?? 0,
    status: 'pending',
    succeeded: 0,
    failed: 0,
    offline: 0,
    missed: 0,
    maxFailures: maxFailuresFor(sizes[spec.name] ?? 0, spec.maxFailureRate),
    startedAt: null,
    finishedAt: null,
    approval: null,
    thresholdOverridden: false,
  }));
}

/**
 * Applies device outcomes to a ring; returns the ids to retry later (offline, deferred) and
 * whether the ring now exceeds its failure threshold.
 */
export function applyOutcomes(carry: RolloutCarry, ring: RingView, outcomes: DeviceOutcome[]): { deferred: string[]; breached: boolean } {
  const deferred: string[] = [];
  for (const o of outcomes) {
    if (o.state === 'succeeded') ring.succeeded += 1;
    else if (o.state === 'failed') {
      ring.failed += 1;
      carry.recentFailures.push({ deviceId: o.deviceId, ring: ring.name, reason: o.reason ?? 'failed' });
    } else if (o.state === 'offline') {
      if (!carry.offline.includes(o.deviceId)) carry.offline.push(o.deviceId);
    } else deferred.push(o.deviceId);
  }
  if (carry.recentFailures.length > RECENT_FAILURES) carry.recentFailures.splice(0, carry.recentFailures.length - RECENT_FAILURES);
  ring.offline = carry.offline.length;
  return { deferred, breached: !ring.thresholdOverridden && ring.failed > ring.maxFailures };
}

export function describe(view: RolloutView, name: string): string {
  const lines = [`**${name}**: ${view.status}${view.currentRing ? ` (ring ${view.currentRing})` : ''}`];
  for (const r of view.rings) {
    lines.push(
      `- ${r.name}: ${r.status}, ${r.succeeded}/${r.size} done, ${r.failed} failed (halt above ${r.maxFailures}), ${r.offline} offline, ${r.missed} missed` +
        (r.approval ? `, approved by ${r.approval.by} via ${r.approval.via}` : ''),
    );
  }
  if (view.haltReason) lines.push(`Halted: ${view.haltReason}`);
  if (view.nextWindowAt) lines.push(`Next maintenance window: ${new Date(view.nextWindowAt).toISOString()}`);
  if (view.inFlightDevices) lines.push(`In flight: ${view.inFlightDevices} devices`);
  return lines.join('\n');
}
