import {
  CancellationScope,
  ParentClosePolicy,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { NotificationMessage } from '../../activities/notify/channels';
import { searchAttributes } from '../definitions';
import {
  APPROVAL_REPLY_TOKEN_KIND,
  approvalReplyEntity,
  approveRingUpdate,
  batchPausedSignal,
  cancelRolloutUpdate,
  pauseRolloutUpdate,
  resumeRolloutUpdate,
  rolloutBatchWorkflowId,
  rolloutProgressQuery,
  type BatchResult,
  type RingView,
  type RolloutInput,
  type RolloutStatusValue,
  type RolloutView,
} from './definitions';
import { applyOutcomes, describe, initRings, needsApproval, newCarry, type RolloutCarry } from './rollout-state';
import { windowAt } from './window';
import { rolloutBatchWorkflow } from './rollout-batch.workflow';

const db = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
const notifier = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '5 minutes', maximumAttempts: 20 },
});

const DEFAULT_BATCH = 50;
const DEFAULT_PARALLEL = 8;
/** Continue as new well before Temporal's limits (and the bench's 10k-event target). */
const HISTORY_BUDGET = 4000;

/**
 * A staged patch rollout: rings in order (canary → pilot → broad), each started only inside the
 * maintenance window and, from the second ring, after an approval; devices fan out to child
 * workflows in a bounded sliding window; a ring whose failures exceed its threshold halts the
 * rollout and alerts; pause / resume / cancel at any time. Decisions live in rollout-state.ts.
 */
export async function rolloutWorkflow(input: RolloutInput, carried?: RolloutCarry): Promise<RolloutView> {
  const state: RolloutCarry = carried ?? newCarry();
  const policy = input.policy;
  const inFlight = new Map<string, { handle: ChildWorkflowHandle<typeof rolloutBatchWorkflow>; size: number }>();
  const finished: Array<{ ring: string; result: BatchResult | null; ids: string[]; error?: string }> = [];
  let nextWindowAt: number | null = null;
  let batchScope: CancellationScope | null = null;

  const view = (): RolloutView => ({
    rolloutId: input.rolloutId,
    status: state.status,
    currentRing: state.rings[state.ringIndex]?.name ?? null,
    rings: state.rings,
    inFlightDevices: [...inFlight.values()].reduce((n, b) => n + b.size, 0),
    haltReason: state.haltReason,
    nextWindowAt,
    recentFailures: state.recentFailures,
    runs: state.runs,
  });
  const publish = () => setCurrentDetails(describe(view(), input.name));
  const setStatus = async (status: RolloutStatusValue, opts: { finished?: boolean } = {}) => {
    const changed = state.status !== status;
    state.status = status;
    if (changed) upsertSearchAttributes([{ key: searchAttributes.RolloutStatus, value: status }]);
    publish();
    if (changed || opts.finished) await db.recordRolloutStatus({ rolloutId: input.rolloutId, status, view: view(), finished: opts.finished ?? false });
  };
  const forwardPause = (paused: boolean) => {
    for (const b of inFlight.values()) void b.handle.signal(batchPausedSignal, paused).catch(() => undefined);
  };

  setHandler(rolloutProgressQuery, view);
  setHandler(
    approveRingUpdate,
    async (req) => {
      const ring = state.rings.find((r) => r.name === req.ring)!;
      ring.approval = { by: req.by, via: req.via, at: Date.now() };
      await db.recordApproval({ rolloutId: input.rolloutId, ...req });
      publish();
      return view();
    },
    {
      validator: (req) => {
        const index = state.rings.findIndex((r) => r.name === req.ring);
        if (index < 0) throw new Error(`Unknown ring "${req.ring}"; rings: ${state.rings.map((r) => r.name).join(', ')}`);
        if (state.rings[index].approval) throw new Error(`Ring "${req.ring}" is already approved`);
        if (!needsApproval(policy.rings[index], index)) throw new Error(`Ring "${req.ring}" needs no approval`);
        if (isFinal(state.status)) throw new Error(`The rollout is ${state.status}`);
      },
    },
  );
  setHandler(
    pauseRolloutUpdate,
    (_req) => {
      state.paused = true;
      forwardPause(true);
      publish();
      return view();
    },
    { validator: (_req) => assertControllable(state, 'paused', (s) => s.paused) },
  );
  setHandler(
    resumeRolloutUpdate,
    (_req) => {
      if (state.status === 'halted' && state.haltReason) {
        // Resuming a halted ring accepts its failures so far: it will not halt again on them.
        state.rings[state.ringIndex].thresholdOverridden = true;
        state.haltReason = null;
      }
      state.paused = false;
      forwardPause(false);
      publish();
      return view();
    },
    { validator: (_req) => assertControllable(state, 'running', (s) => !s.paused && !s.haltReason) },
  );
  setHandler(
    cancelRolloutUpdate,
    (_req) => {
      state.cancelRequested = true;
      batchScope?.cancel();
      publish();
      return view();
    },
    { validator: (_req) => assertControllable(state, 'cancelled', (s) => s.cancelRequested) },
  );

  if (carried) publish();
  if (!state.planned) {
    upsertSearchAttributes([
      { key: searchAttributes.RolloutId, value: input.rolloutId },
      ...(input.clientIds.length === 1 ? [{ key: searchAttributes.ClientId, value: input.clientIds[0] }] : []),
    ]);
    publish();
    const plan = await db.planRollout({ rolloutId: input.rolloutId });
    state.rings = initRings(policy.rings, plan.sizes);
    state.planned = true;
  }

  /** Blocks while paused or halted (still counting the devices in flight); false on cancel. */
  const waitRunnable = async (): Promise<boolean> => {
    while (!state.cancelRequested) {
      if (state.haltReason) await setStatus('halted');
      else if (state.paused) await setStatus('paused');
      else return true;
      await condition(() => state.cancelRequested || (!state.paused && !state.haltReason) || finished.length > 0);
      const ring = state.rings[state.ringIndex];
      if (ring) absorb(ring);
    }
    return false;
  };

  /** Waits for the maintenance window; returns when it closes (epoch ms) or false on cancel. */
  const waitWindow = async (): Promise<number | false> => {
    for (;;) {
      if (!(await waitRunnable())) return false;
      const w = windowAt(policy.window, Date.now());
      if (w.open) {
        nextWindowAt = null;
        return w.closesAt;
      }
      nextWindowAt = w.opensAt;
      await setStatus('waiting-window');
      const waitMs = w.opensAt === null ? 86_400_000 : Math.max(1000, w.opensAt - Date.now());
      await condition(() => state.cancelRequested || state.paused, waitMs);
    }
  };

  const launch = async (ring: RingView, ids: string[], closesAt: number) => {
    ring.startedAt ??= Date.now();
    state.batchSeq += 1;
    const workflowId = rolloutBatchWorkflowId(input.rolloutId, ring.name, state.batchSeq);
    const handle = await batchScope!.run(() =>
      startChild(rolloutBatchWorkflow, {
        workflowId,
        args: [{ rolloutId: input.rolloutId, ring: ring.name, deviceIds: ids, patchSet: input.patchSet, policy, notAfter: Number.isFinite(closesAt) ? closesAt : null, paused: state.paused }],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `${input.name}: ring ${ring.name}, ${ids.length} devices`,
      }),
    );
    inFlight.set(workflowId, { handle, size: ids.length });
    handle
      .result()
      .then((result) => finished.push({ ring: ring.name, result, ids }))
      .catch((err: unknown) => finished.push({ ring: ring.name, result: null, ids, error: isCancellation(err) ? 'cancelled' : String((err as Error)?.message ?? err) }))
      .finally(() => inFlight.delete(workflowId));
  };

  const absorb = (ring: RingView) => {
    while (finished.length > 0) {
      const done = finished.shift()!;
      if (!done.result) {
        if (done.error !== 'cancelled') state.queue.unshift(...done.ids);
        continue;
      }
      const { deferred, breached } = applyOutcomes(state, ring, done.result.outcomes);
      state.queue.unshift(...deferred);
      if (breached && !state.haltReason) {
        state.haltReason = `ring ${ring.name}: ${ring.failed} failed devices, more than the ${ring.maxFailures} allowed`;
        ring.status = 'halted';
        void alert('rollout.halted', `Rollout ${input.name} halted`, state.haltReason, `${input.rolloutId}:halted:${ring.name}:${ring.failed}`);
      }
    }
    publish();
  };

  const alert = (event: string, title: string, text: string, dedupeKey: string, replyToken?: NotificationMessage['replyToken']) =>
    Promise.all(
      (input.clientIds.length ? input.clientIds : [null]).map((clientId) =>
        notifier.sendNotification({
          clientId,
          event,
          dedupeKey: `${dedupeKey}:${clientId ?? 'msp'}`,
          message: { title, text, severity: event === 'rollout.halted' ? 'critical' : 'info', fields: { rollout: input.rolloutId, name: input.name }, ...(replyToken ? { replyToken } : {}) },
        } as Parameters<Activities['sendNotification']>[0]),
      ),
    ).catch(() => undefined);

  const drain = async () => {
    await condition(() => inFlight.size === 0);
  };

  const maybeContinueAsNew = async () => {
    if (workflowInfo().historyLength < (policy.historyBudget ?? HISTORY_BUDGET) && !workflowInfo().continueAsNewSuggested) return;
    await drain();
    const ring = state.rings[state.ringIndex];
    if (ring) absorb(ring);
    state.runs += 1;
    await continueAsNew<typeof rolloutWorkflow>(input, state);
  };

  const batchSize = policy.batchSize ?? DEFAULT_BATCH;
  const maxParallel = policy.maxParallelBatches ?? DEFAULT_PARALLEL;

  while (state.ringIndex < state.rings.length && !state.cancelRequested) {
    const ring = state.rings[state.ringIndex];
    const spec = policy.rings[state.ringIndex];
    upsertSearchAttributes([{ key: searchAttributes.Ring, value: ring.name }]);
    if (needsApproval(spec, state.ringIndex) && !ring.approval && ring.size > 0) {
      ring.status = 'waiting-approval';
      await setStatus('waiting-approval');
      void alert(
        'rollout.approval-needed',
        `Rollout ${input.name}: approve ring ${ring.name}`,
        `Ring ${ring.name} (${ring.size} devices) waits for approval. Approve with POST /rollouts/${input.rolloutId}/approve, or reply to this email from your registered address.`,
        `${input.rolloutId}:approval:${ring.name}`,
        { kind: APPROVAL_REPLY_TOKEN_KIND, entityId: approvalReplyEntity(input.rolloutId, state.ringIndex) },
      );
      await condition(() => state.cancelRequested || ring.approval !== null);
      if (state.cancelRequested) break;
    }
    ring.status = 'running';

    batchScope = new CancellationScope();
    // Main pass: stream the ring's pending devices through batch children (sliding window).
    while (!state.cancelRequested) {
      absorb(ring);
      await maybeContinueAsNew();
      const closesAt = await waitWindow();
      if (closesAt === false) break;
      ring.status = 'running';
      await setStatus('running');
      if (state.queue.length < batchSize && !state.exhausted) {
        const page = await db.ringDevicePage({ rolloutId: input.rolloutId, ring: ring.name, after: state.cursor, limit: batchSize * maxParallel });
        if (page.length === 0) state.exhausted = true;
        else {
          state.cursor = page[page.length - 1];
          state.queue.push(...page);
        }
      }
      if (state.queue.length === 0 && inFlight.size === 0 && finished.length === 0) break;
      if (state.queue.length > 0 && inFlight.size < maxParallel && Date.now() < closesAt) {
        await launch(ring, state.queue.splice(0, batchSize), closesAt);
        continue;
      }
      await condition(
        () => finished.length > 0 || state.cancelRequested || state.paused || Boolean(state.haltReason),
        Number.isFinite(closesAt) ? Math.max(1000, closesAt - Date.now()) : undefined,
      );
    }
    if (state.cancelRequested) break;

    // Catch-up: offline devices are patched when they come back, while the window allows.
    const catchUpUntil = Date.now() + (policy.offlineCatchUpMs ?? 3_600_000);
    while (state.offline.length > 0 && Date.now() < catchUpUntil && !state.cancelRequested) {
      ring.status = 'catching-up';
      const closesAt = await waitWindow();
      if (closesAt === false) break;
      await setStatus('catching-up');
      const online = await db.onlineDevices({ deviceIds: state.offline });
      if (online.length > 0) {
        state.offline = state.offline.filter((id) => !online.includes(id));
        ring.offline = state.offline.length;
        for (let i = 0; i < online.length; i += batchSize) await launch(ring, online.slice(i, i + batchSize), closesAt);
        await drain();
        absorb(ring);
        while (state.queue.length > 0) {
          // Deferred by a closing window: they go again in the next round.
          state.offline.push(...state.queue.splice(0));
        }
        continue;
      }
      await condition(() => state.cancelRequested, Math.min(policy.offlinePollMs ?? 60_000, Math.max(1000, catchUpUntil - Date.now())));
    }
    if (state.cancelRequested) break;
    if (state.offline.length > 0) {
      await db.markDevices({ rolloutId: input.rolloutId, deviceIds: state.offline, state: 'missed', reason: 'offline for the whole catch-up period' });
      ring.missed += state.offline.length;
      state.offline = [];
      ring.offline = 0;
    }
    ring.status = 'done';
    ring.finishedAt = Date.now();
    state.cursor = null;
    state.exhausted = false;
    state.queue = [];
    state.ringIndex += 1;
    publish();
    await maybeContinueAsNew();
  }

  if (state.cancelRequested) {
    await CancellationScope.nonCancellable(async () => {
      await drain();
      for (const r of state.rings) if (r.status !== 'done') r.status = 'cancelled';
      await db.markDevices({ rolloutId: input.rolloutId, deviceIds: null, state: 'cancelled', reason: 'rollout cancelled' });
      await setStatus('cancelled', { finished: true });
    });
    return view();
  }
  await setStatus('completed', { finished: true });
  const totals = state.rings.reduce((t, r) => ({ ok: t.ok + r.succeeded, failed: t.failed + r.failed, missed: t.missed + r.missed }), { ok: 0, failed: 0, missed: 0 });
  await alert('rollout.completed', `Rollout ${input.name} completed`, `${totals.ok} devices patched, ${totals.failed} failed, ${totals.missed} missed (offline).`, `${input.rolloutId}:completed`);
  return view();
}

function isFinal(status: RolloutStatusValue): boolean {
  return status === 'completed' || status === 'cancelled';
}

function assertControllable(state: RolloutCarry, target: string, already: (s: RolloutCarry) => boolean) {
  if (isFinal(state.status)) throw new Error(`The rollout is ${state.status}`);
  if (state.cancelRequested) throw new Error('The rollout is being cancelled');
  if (already(state)) throw new Error(`The rollout is already ${target}`);
}
