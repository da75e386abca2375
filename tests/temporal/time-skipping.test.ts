import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { loadConfig } from '../../lib/config';
import { ensureTimeSkippingServer } from '../../lib/temporal/test-server';
import {
  acknowledge,
  acknowledgeOrEscalate,
  clientId,
  sleepyWorkflow,
  slaStatus,
  statusQuery,
  type SleepyActivities,
} from './fixtures/sleepy.workflow';

/**
 * The real time-skipping test server (Temporal's Java test server from Maven Central, behind the
 * wrapper that lib/temporal/test-server.ts installs) skips days of timers in seconds.
 */

const DAY_MS = 24 * 3600_000;
const taskQueue = 'time-skipping-test';
const timings: Record<string, number> = {};
const wakeUps: number[] = [];
const activities: SleepyActivities = {
  async wakeUp(sleptMs) {
    wakeUps.push(sleptMs);
    return `woke after ${Math.round(sleptMs / 3600_000)} hours`;
  },
};

let env: TestWorkflowEnvironment | undefined;
let worker: Worker | undefined;
let workerRun: Promise<void> | undefined;

beforeAll(async () => {
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      shutdownSignals: [],
      // Core warns that this server lacks a heartbeat capability of Temporal Server 1.16+; expected.
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
    });
  } catch {
    // Already installed by another test in this process.
  }
  const log = { info: (m: string) => console.info(m), warn: (m: string) => console.warn(m) };
  let started = Date.now();
  const { executable } = await ensureTimeSkippingServer({ cacheDir: loadConfig().cacheDir, log });
  timings.ensureMs = Date.now() - started;

  started = Date.now();
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: executable } } });
  timings.envStartMs = Date.now() - started;
  // Like a real server, the test server rejects unregistered search attributes. It implements
  // AddSearchAttributes but not ListSearchAttributes, so register directly (not through
  // registerSearchAttributes in lib/temporal/dev-server.ts, which lists first).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: { [slaStatus.name]: 2, [clientId.name]: 2 }, // 2 = IndexedValueType KEYWORD
  });

  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    workflowsPath: require.resolve('./fixtures/sleepy.workflow'),
    activities,
  });
  workerRun = worker.run();
  workerRun.catch(() => undefined); // awaited (and so reported) in afterAll
}, 300_000);

afterAll(async () => {
  // Worker first (it polls the server), then the server: teardown kills the JVM.
  if (worker && worker.getState() === 'RUNNING') worker.shutdown();
  try {
    await workerRun;
  } finally {
    await env?.teardown();
  }
  console.info(`time-skipping test server timings: ${JSON.stringify(timings)}`);
});

test('skips a 3-day timer in seconds, then runs the activity', async () => {
  const realStart = Date.now();
  const envStart = await env!.currentTimeMs();

  const result = await env!.client.workflow.execute(sleepyWorkflow, { taskQueue, workflowId: 'sleepy-1' });

  timings.sleepyWorkflowMs = Date.now() - realStart;
  const skipped = (await env!.currentTimeMs()) - envStart;
  expect(result).toBe('woke after 72 hours');
  expect(wakeUps).toHaveLength(1);
  expect(wakeUps[0]).toBeGreaterThanOrEqual(3 * DAY_MS); // workflow time, measured inside it
  expect(wakeUps[0]).toBeLessThan(3 * DAY_MS + 60_000);
  expect(skipped).toBeGreaterThanOrEqual(3 * DAY_MS);
  expect(skipped).toBeLessThan(4 * DAY_MS); // no leap to a leftover timer (see the fixture)
  expect(timings.sleepyWorkflowMs).toBeLessThan(20_000);
});

test('a signal, a query and typed search attributes work against it', async () => {
  const handle = await env!.client.workflow.start(acknowledgeOrEscalate, {
    taskQueue,
    workflowId: 'sla-acknowledged',
    typedSearchAttributes: [{ key: clientId, value: 'acme' }],
  });
  expect(await handle.query(statusQuery)).toBe('waiting');
  await handle.signal(acknowledge, 'alice');

  expect(await handle.result()).toEqual({ status: 'acknowledged by alice', afterMinutes: 0 });
  const { typedSearchAttributes } = await handle.describe();
  expect(typedSearchAttributes.get(slaStatus)).toBe('acknowledged');
  expect(typedSearchAttributes.get(clientId)).toBe('acme');
});

test('an SLA timeout of 4 hours escalates in real seconds', async () => {
  const realStart = Date.now();
  const handle = await env!.client.workflow.start(acknowledgeOrEscalate, { taskQueue, workflowId: 'sla-escalated' });

  expect(await handle.result()).toEqual({ status: 'escalated', afterMinutes: 240 });
  expect(Date.now() - realStart).toBeLessThan(20_000);
  expect(await handle.query(statusQuery)).toBe('escalated'); // queries still answer once it is closed
  expect((await handle.describe()).typedSearchAttributes.get(slaStatus)).toBe('escalated');
});
