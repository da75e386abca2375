import { Context } from '@temporalio/activity';
import type { PrismaClient } from '../../../lib/db/prisma';
import type { Logger } from '../../../lib/logger';
import type { ApprovalRequest, DeviceOutcome, DeviceState, RolloutView } from '../../../workflows/rollout/definitions';
import type { RmmRegistry } from '../port';
import { patchDevice, type PatchDeviceInput } from './device-patcher';
import { markDevices, onlineDevices, planRollout, recordApproval, recordRolloutStatus, ringDevicePage } from './rollout-service';

export interface RolloutActivityDeps {
  prisma: PrismaClient;
  rmm: RmmRegistry;
  log: Logger;
  /** How often a rebooting device is polled. */
  rebootPollMs?: number;
}

/** Rollout activities: thin wrappers over the rollout service and the device patcher. */
export function createRolloutActivities(deps: RolloutActivityDeps) {
  return {
    planRollout: (input: { rolloutId: string }) => planRollout(deps, input.rolloutId),
    ringDevicePage: (input: { rolloutId: string; ring: string; after: string | null; limit: number }) => ringDevicePage(deps, input),
    onlineDevices: (input: { deviceIds: string[] }) => onlineDevices(deps, input.deviceIds),
    markDevices: (input: { rolloutId: string; deviceIds: string[] | null; state: DeviceState; reason: string }) => markDevices(deps, input),
    recordRolloutStatus: (input: { rolloutId: string; status: string; view: RolloutView; finished: boolean }) => recordRolloutStatus(deps, input),
    recordApproval: (input: { rolloutId: string } & ApprovalRequest) => recordApproval(deps, input),
    async patchDevice(input: PatchDeviceInput): Promise<DeviceOutcome> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), Math.min(10_000, (input.policy.heartbeatTimeoutMs ?? 30_000) / 3));
      try {
        return await patchDevice({ ...deps, heartbeat: () => ctx.heartbeat(), pollMs: deps.rebootPollMs }, input);
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type RolloutActivities = ReturnType<typeof createRolloutActivities>;
