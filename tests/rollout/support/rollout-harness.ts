import fs from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../../activities';
import { createChannelAdapters } from '../../../activities/notify/channels';
import { linkDeviceGroup, syncClientDevices } from '../../../activities/rmm/device-sync';
import type { RmmRegistry } from '../../../activities/rmm/port';
import { createRollout, type CreateRolloutRequest } from '../../../activities/rmm/rollout/rollout-service';
import { createClient } from '../../../activities/clients/client-service';
import { systemActor } from '../../../lib/access';
import { rolloutProgressQuery, type RolloutView } from '../../../workflows/rollout/definitions';
import { harness, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';

/** A worker on the test's task queue whose activities use the given RMM adapters. */
export async function startRolloutWorker(ctx: TestContext, rmm: RmmRegistry) {
  const connection = await NativeConnection.connect({ address: ctx.temporal.address });
  const worker = await Worker.create({
    connection,
    taskQueue: ctx.taskQueue,
    workflowBundle: { code: fs.readFileSync(harness().workflowBundlePath, 'utf8') },
    activities: createActivities({ prisma: ctx.prisma, log: ctx.log, channels: createChannelAdapters({ allowPrivateTargets: true }), rmm }),
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

/** A client whose devices are the RMM group's, synced into the database. */
export async function clientWithDevices(ctx: TestContext, rmm: RmmRegistry, provider: 'simulator' | 'meshcentral' | 'tactical', groupId: string, code: string) {
  const client = await createClient(ctx, { code, name: `Client ${code}` });
  await linkDeviceGroup({ prisma: ctx.prisma, rmm }, systemActor('test'), { clientId: client.id, provider, groupId });
  const sync = await syncClientDevices({ prisma: ctx.prisma, rmm }, systemActor('test'), client.id);
  const devices = await ctx.prisma.device.findMany({ where: { clientId: client.id }, orderBy: { rmmDeviceId: 'asc' } });
  return { client, sync, devices };
}

export async function startRollout(ctx: TestContext, req: CreateRolloutRequest) {
  const rollout = await createRollout({ prisma: ctx.prisma, temporal: ctx.temporal.client, taskQueue: ctx.taskQueue }, systemActor('test'), req);
  const handle = ctx.temporal.client.workflow.getHandle(rollout.workflowId);
  return { rollout, handle };
}

export async function progress(ctx: TestContext, workflowId: string): Promise<RolloutView> {
  return ctx.temporal.client.workflow.getHandle(workflowId).query(rolloutProgressQuery);
}

export async function waitForStatus(ctx: TestContext, workflowId: string, status: RolloutView['status'] | ((v: RolloutView) => boolean), timeoutMs = 90_000): Promise<RolloutView> {
  return eventually(
    async () => {
      const v = await progress(ctx, workflowId);
      const ok = typeof status === 'function' ? status(v) : v.status === status;
      if (!ok) throw new Error(`rollout is ${v.status}: ${JSON.stringify(v.rings.map((r) => [r.name, r.status, r.succeeded, r.failed, r.offline, r.missed]))}`);
      return v;
    },
    { timeoutMs, intervalMs: 250 },
  );
}
