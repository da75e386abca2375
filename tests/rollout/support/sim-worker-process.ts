/**
 * A Temporal worker process whose RMM is the simulator (with an install journal on disk), for
 * tests that kill the worker with SIGKILL mid-rollout. Configured by environment variables.
 */
import fs from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../../activities';
import { createChannelAdapters } from '../../../activities/notify/channels';
import { SimulatedRmm, type SimulatorOptions } from '../../../activities/rmm/simulator/simulated-rmm';
import { createPrisma } from '../../../lib/db/prisma';
import { createLogger } from '../../../lib/logger';

async function main() {
  const env = (k: string) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is required`);
    return v;
  };
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const log = createLogger({ log: { level: 'warn', format: 'json' } }, 'sim-worker');
  const prisma = createPrisma(env('SIM_DATABASE_URL'), { maxConnections: 5 });
  const simulator = new SimulatedRmm(JSON.parse(env('SIM_OPTIONS')) as SimulatorOptions);
  const connection = await NativeConnection.connect({ address: env('SIM_TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    taskQueue: env('SIM_TASK_QUEUE'),
    workflowBundle: { code: fs.readFileSync(env('SIM_WORKFLOW_BUNDLE'), 'utf8') },
    activities: createActivities({ prisma, log, channels: createChannelAdapters({ allowPrivateTargets: true }), rmm: { simulator } }),
  });
  process.stdout.write('worker ready\n');
  await worker.run();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
