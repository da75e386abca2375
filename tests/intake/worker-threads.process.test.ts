import { startTestWorker, type AppProcess } from '../support/app-process';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { startMailServers, type MailServers } from '../support/mail-servers';
import { createClientWithContact, createMailbox, mailEnv, newMessageId, rawMail, SUPPORT } from './support';

/**
 * MAIL_INTAKE_THREADS through `npm start`'s entry point: the worker process starts the pool, and
 * mail is turned into tickets by the threads (their own log lines name the messages).
 */
describe('mail intake in worker threads, in a real worker', () => {
  let servers: MailServers;
  let ctx: TestContext;
  let worker: AppProcess | undefined;

  beforeAll(async () => {
    servers = await startMailServers();
    ctx = await createTestContext({ worker: false, env: mailEnv });
    await createMailbox(ctx.prisma, servers);
    await createClientWithContact(ctx.prisma, { domain: 'threaded.test' });
  }, 120_000);

  afterAll(async () => {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await ctx?.close();
    await servers?.stop();
  });

  it('processes mail in the configured threads', async () => {
    worker = await startTestWorker({
      databaseUrl: ctx.databaseUrl,
      taskQueue: ctx.taskQueue,
      env: { ...mailEnv, MAIL_INTAKE_THREADS: '2', MAIL_RECONCILE_SECONDS: '1', LOG_LEVEL: 'debug' },
    });
    expect(worker.output()).toMatch(/"threads":2,"msg":"mail intake processes in worker threads"/);

    const ids = Array.from({ length: 3 }, () => newMessageId('threaded.test'));
    for (const [i, messageId] of ids.entries()) {
      await servers.deliver(rawMail({ from: `person${i}@threaded.test`, subject: `Threaded start ${i}`, messageId }), SUPPORT);
    }
    const rows = await eventually(async () => {
      const r = await ctx.prisma.inboundMessage.findMany({ where: { messageIdHeader: { in: ids.map((m) => m.toLowerCase()) } } });
      expect(r.map((x) => x.outcome)).toEqual(['new-ticket', 'new-ticket', 'new-ticket']);
      return r;
    }, { timeoutMs: 60_000 });
    expect(await ctx.prisma.ticket.count({ where: { id: { in: rows.map((r) => r.ticketId!) } } })).toBe(3);
    const threadLines = worker
      .output()
      .split('\n')
      .filter((l) => l.includes('"name":"mail-intake-thread"') && l.includes('inbound batch processed in a thread'));
    for (const id of ids) expect(threadLines.some((l) => l.includes(id.toLowerCase()))).toBe(true);

    worker.child.kill('SIGINT');
    expect((await worker.exited).code).toBe(0);
  }, 240_000);
});
