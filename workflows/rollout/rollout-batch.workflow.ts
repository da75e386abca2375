import { ActivityFailure, ApplicationFailure, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { batchPausedSignal, type BatchInput, type BatchResult, type DeviceOutcome } from './definitions';

const DEFAULT_CONCURRENCY = 10;

/**
 * One slice of a ring: patches its devices with a bounded number at once. A device whose step
 * activity keeps failing counts as failed (with the reason); devices not started before the
 * window closes or the rollout is paused come back as "deferred"; in-flight devices finish.
 */
export async function rolloutBatchWorkflow(input: BatchInput): Promise<BatchResult> {
  const policy = input.policy;
  const { patchDevice } = proxyActivities<Activities>({
    startToCloseTimeout: (policy.scriptTimeoutMs ?? 30 * 60_000) * 3 + (policy.rebootTimeoutMs ?? 20 * 60_000),
    heartbeatTimeout: policy.heartbeatTimeoutMs ?? 30_000,
    retry: {
      initialInterval: policy.retryInitialMs ?? 10_000,
      backoffCoefficient: 2,
      maximumInterval: '10 minutes',
      maximumAttempts: Math.max(2, (policy.installAttempts ?? 2) + 2),
    },
  });
  const { markDevices: recordDevices } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumInterval: '1 minute' } });
  let paused = input.paused;
  setHandler(batchPausedSignal, (p) => {
    paused = p;
  });

  const outcomes: DeviceOutcome[] = [];
  const queue = [...input.deviceIds];
  const concurrency = Math.max(1, policy.concurrencyPerBatch ?? DEFAULT_CONCURRENCY);

  const worker = async () => {
    for (;;) {
      const deviceId = queue.shift();
      if (deviceId === undefined) return;
      if (paused) {
        // Paused: hand the devices not started back to the parent, which keeps them queued.
        outcomes.push({ deviceId, state: 'deferred', reason: 'rollout paused' });
        continue;
      }
      if (input.notAfter !== null && Date.now() >= input.notAfter) {
        outcomes.push({ deviceId, state: 'deferred', reason: 'maintenance window closed' });
        continue;
      }
      try {
        outcomes.push(await patchDevice({ rolloutId: input.rolloutId, ring: input.ring, deviceId, patchSet: input.patchSet, policy }));
      } catch (err) {
        if (isCancellation(err)) throw err;
        const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.message : (err as Error).message;
        outcomes.push({ deviceId, state: 'failed', reason: `gave up after retries: ${cause}` });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  const gaveUp = outcomes.filter((o) => o.state === 'failed' && o.reason?.startsWith('gave up'));
  for (const o of gaveUp) await recordDevices({ rolloutId: input.rolloutId, deviceIds: [o.deviceId], state: 'failed', reason: o.reason! });
  return { outcomes };
}
