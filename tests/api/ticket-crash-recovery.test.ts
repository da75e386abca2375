import { WorkflowNotFoundError } from '@temporalio/client';
import { workflowIds } from '../../workflows/definitions';
import { spawnApp, waitUntilUp, type AppProcess } from '../support/app-process';
import { createTestContext, harness, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { freePort } from '../support/free-port';

/**
 * The API process is really killed (SIGKILL, no cleanup) around the ticket commit. The
 * database and Temporal must still agree afterwards: one workflow per committed ticket,
 * none for a transaction that never committed.
 */
describe('ticket creation survives the API process dying', () => {
  let ctx: TestContext;
  let clientId: string;
  let token: string;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    ctx = await createTestContext({ worker: true });
    clientId = (await ctx.prisma.client.create({ data: { code: 'crashco', name: 'Crash Co' } })).id;
    ({ token } = await ctx.userWithToken('TECHNICIAN'));
  });
  afterEach(async () => {
    if (app && app.child.exitCode === null && app.child.signalCode === null) {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    app = undefined;
  });
  afterAll(() => ctx?.close());

  async function startApp(extra: Record<string, string> = {}) {
    const port = await freePort();
    app = spawnApp({
      DATABASE_URL: ctx.databaseUrl,
      TEMPORAL_ADDRESS: harness().temporalAddress,
      TEMPORAL_TASK_QUEUE: ctx.taskQueue,
      RUN_WORKER: 'false', // the test's own worker serves the task queue
      MIGRATE_ON_START: 'false',
      API_PORT: String(port),
      OUTBOX_POLL_MS: '200',
      ...extra,
    });
    await waitUntilUp(app);
    return `http://127.0.0.1:${port}`;
  }

  const post = (base: string, subject: string) =>
    fetch(`${base}/tickets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientId, subject }),
    });

  it('killed after the commit: the restarted process starts exactly one workflow', async () => {
    // Its background outbox poll must not get there first: one pass at start, then 10 minutes.
    const crashing = await startApp({ CRASH_AT: 'after-ticket-commit', OUTBOX_POLL_MS: '600000' });
    await expect(post(crashing, 'Server room too hot')).rejects.toThrow(); // connection dies with the process
    expect((await app!.exited).signal).toBe('SIGKILL');

    const ticket = await ctx.prisma.ticket.findFirstOrThrow({ where: { subject: 'Server room too hot' } });
    const workflowId = workflowIds.ticket(ticket.id);
    expect(ticket.workflowStartedAt).toBeNull();
    expect(await ctx.prisma.outboxEntry.findUnique({ where: { key: workflowId } })).toMatchObject({ dispatchedAt: null });
    await expect(ctx.temporal.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    await startApp(); // restart, no fault: the outbox dispatcher finishes the job
    const recovered = await eventually(() =>
      ctx.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } }).then((t) => {
        expect(t.workflowStartedAt).not.toBeNull();
        return t;
      }),
    );
    expect(recovered.workflowId).toBe(workflowId);
    // The workflow's first activity may write back before the dispatcher marks its entry done.
    await eventually(async () =>
      expect((await ctx.prisma.outboxEntry.findUniqueOrThrow({ where: { key: workflowId } })).dispatchedAt).not.toBeNull(),
    );

    // Exactly one run for this ticket, even though the dispatcher and restarts may retry.
    await ctx.dispatcher.dispatchKey(workflowId);
    const runs = await eventually(async () => {
      const found: string[] = [];
      for await (const wf of ctx.temporal.client.workflow.list({ query: `TicketId = "${ticket.id}"` })) found.push(wf.runId);
      expect(found.length).toBeGreaterThan(0);
      return found;
    });
    expect(runs).toHaveLength(1);
    await ctx.temporal.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('killed inside the transaction: no ticket, no outbox entry, no workflow', async () => {
    const before = await ctx.prisma.ticket.count();
    const crashing = await startApp({ CRASH_AT: 'before-ticket-commit' });
    await expect(post(crashing, 'Never committed')).rejects.toThrow();
    expect((await app!.exited).signal).toBe('SIGKILL');
    const base = await startApp();
    // The id the dead transaction took is gone with it; the next ticket works normally.
    const res = await post(base, 'After the crash');
    expect(res.status).toBe(201);
    expect(await ctx.prisma.ticket.count({ where: { subject: 'Never committed' } })).toBe(0);
    expect(await ctx.prisma.ticket.count()).toBe(before + 1);
    const pending = await ctx.prisma.outboxEntry.findMany({ where: { dispatchedAt: null } });
    expect(pending).toEqual([]);
    const body = (await res.json()) as { workflow: { id: string } };
    await ctx.temporal.client.workflow.getHandle(body.workflow.id).terminate('test done');
  });
});
