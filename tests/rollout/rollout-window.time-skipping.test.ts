import fs from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createClient } from '../../activities/clients/client-service';
import { createChannelAdapters } from '../../activities/notify/channels';
import { linkDeviceGroup, syncClientDevices } from '../../activities/rmm/device-sync';
import { createRollout } from '../../activities/rmm/rollout/rollout-service';
import { SimulatedRmm } from '../../activities/rmm/simulator/simulated-rmm';
import { systemActor } from '../../lib/access';
import { createPrisma, type PrismaClient } from '../../lib/db/prisma';
import { createLogger } from '../../lib/logger';
import { rolloutProgressQuery, type RolloutView } from '../../workflows/rollout/definitions';
import { localToUtc, toLocalDateTime, WEEKDAYS, type BusinessCalendar } from '../../workflows/sla/calendar';
import { createTestDatabase, harness } from '../support/context';
import { eventually } from '../support/eventually';
import { startTimeSkippingEnv } from '../support/time-skipping';

/**
 * Maintenance windows on Temporal's time-skipping server: a rollout created days before its
 * client's window (in the client's time zone, with a holiday on the first occurrence) waits,
 * then patches inside the window, a week later than the weekday alone would say.
 */
jest.setTimeout(300_000);
const DAY = 86_400_000;
const log = createLogger({ log: { level: 'warn', format: 'json' } }, 'test');
let env: TestWorkflowEnvironment;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;

beforeAll(async () => {
  env = await startTimeSkippingEnv(log);
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { maxConnections: 5 });
}, 300_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
  await env?.teardown();
});

test('waits for the next open maintenance window (client time zone, holiday skipped) and patches inside it', async () => {
  const sim = new SimulatedRmm({ groups: [{ id: 'tokyo', name: 'Tokyo office', devices: 6 }], latencyMs: [5, 20] });
  const client = await createClient({ prisma }, { code: 'tokyo', name: 'Tokyo KK', timezone: 'Asia/Tokyo' });
  await linkDeviceGroup({ prisma, rmm: { simulator: sim } }, systemActor('test'), { clientId: client.id, provider: 'simulator', groupId: 'tokyo' });
  await syncClientDevices({ prisma, rmm: { simulator: sim } }, systemActor('test'), client.id);

  // Window: 02:00-04:00 Tokyo time on the weekday three days from now; that first date is a holiday.
  const now = await env.currentTimeMs();
  const first = toLocalDateTime('Asia/Tokyo', now + 3 * DAY);
  const weekly = Object.fromEntries(WEEKDAYS.map((d) => [d, d === first.weekday ? [['02:00', '04:00']] : []])) as unknown as BusinessCalendar['weekly'];
  const window: BusinessCalendar = { timezone: 'Asia/Tokyo', weekly, holidays: [first.date] };
  const expectedOpen = localToUtc('Asia/Tokyo', toLocalDateTime('Asia/Tokyo', now + 10 * DAY).date, '02:00');
  expect(expectedOpen - now).toBeGreaterThan(9 * DAY);

  const taskQueue = 'rollout-window';
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    workflowBundle: { code: fs.readFileSync(harness().workflowBundlePath, 'utf8') },
    activities: createActivities({ prisma, log, channels: createChannelAdapters({ allowPrivateTargets: true }), rmm: { simulator: sim } }),
  });
  await worker.runUntil(async () => {
    const rollout = await createRollout({ prisma, temporal: env.client, taskQueue }, systemActor('test'), {
      name: 'tokyo monthly',
      clientIds: [client.id],
      patchSet: { kind: 'os-updates', category: 'security' },
      policy: { rings: [{ name: 'all' }], window },
    });
    const handle = env.client.workflow.getHandle(rollout.workflowId);
    const waiting = await eventually(async () => {
      const v = await handle.query(rolloutProgressQuery);
      if (v.status !== 'waiting-window') throw new Error(v.status);
      return v;
    });
    expect(waiting.nextWindowAt).toBe(expectedOpen);
    expect(waiting.rings[0].succeeded).toBe(0);

    const done = (await handle.result()) as RolloutView;
    expect(done.status).toBe('completed');
    expect(done.rings[0].succeeded).toBe(6);
    expect(done.rings[0].startedAt).toBeGreaterThanOrEqual(expectedOpen);
    expect(done.rings[0].finishedAt).toBeLessThan(expectedOpen + 2 * 3_600_000);
    const local = toLocalDateTime('Asia/Tokyo', done.rings[0].startedAt!);
    expect(local.weekday).toBe(first.weekday);
    expect(local.date).not.toBe(first.date);
  });
});
