import { workflowIds } from '../../workflows/definitions';
import { startTestWorker, type AppProcess } from '../support/app-process';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';

/**
 * The schedule watch inside a real worker (`npm start`'s entry point, RUN_API=false): a client
 * already there gets its report schedule at start, and a client written to the database while
 * the worker runs (as a script or another service would, not through this worker) gets its
 * schedule by the watch's next pass (each minute).
 */
describe('report schedules kept by a running worker', () => {
  let ctx: TestContext;
  let worker: AppProcess | undefined;
  const suffix = Date.now().toString(36);
  const codes = [`early-${suffix}`, `late-${suffix}`];

  beforeAll(async () => {
    ctx = await createTestContext({ worker: false });
  }, 120_000);

  afterAll(async () => {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    for (const code of codes) await ctx?.temporal.client.schedule.getHandle(workflowIds.reportSchedule(code)).delete().catch(() => undefined);
    await ctx?.close();
  });

  it('gives a client created while the worker runs its report schedule', async () => {
    const early = await ctx.prisma.client.create({ data: { code: codes[0], name: 'Early Ltd', timezone: 'Europe/Paris' } });
    worker = await startTestWorker({ databaseUrl: ctx.databaseUrl, taskQueue: ctx.taskQueue, env: { RUN_MAIL_INTAKE: 'false' } });
    const describe = (code: string) => ctx.temporal.client.schedule.getHandle(workflowIds.reportSchedule(code)).describe();

    const atStart = await eventually(() => describe(early.code), { timeoutMs: 60_000, intervalMs: 500 });
    expect(atStart.spec.timezone).toBe('Europe/Paris');

    const late = await ctx.prisma.client.create({ data: { code: codes[1], name: 'Late Ltd', timezone: 'America/Montreal' } });
    const schedule = await eventually(() => describe(late.code), { timeoutMs: 150_000, intervalMs: 1000 });
    expect(schedule.spec.timezone).toBe('America/Montreal');
    expect(schedule.action).toMatchObject({
      workflowType: 'reportTickWorkflow',
      workflowId: workflowIds.reportTick(late.code),
      taskQueue: ctx.taskQueue,
      args: [{ clientId: late.id, clientCode: late.code }],
    });
    expect(worker.output()).toMatch(/report schedules synced/);

    worker.child.kill('SIGINT');
    expect((await worker.exited).code).toBe(0);
  }, 300_000);
});
