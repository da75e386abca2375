import fs from 'node:fs';
import { onboardingViewQuery } from '../../workflows/onboarding/definitions';
import { startTemporalWorker, type WorkerHandle } from '../../workers/temporal-worker';
import { startTestWorker, type AppProcess } from '../support/app-process';
import { createTestContext, harness, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { DEFAULT_MAIL_USERS, startMailServers, type MailServers } from '../support/mail-servers';
import { inbox, mailEnv, stepOneFields } from './support';

/**
 * The worker process is killed (SIGKILL, no cleanup) right after the SLA is signed, while the
 * onboarding's automated items (welcome email, client creation, announcement, RMM group) are
 * being scheduled or run; a new worker takes over. Every email goes out once, the client once.
 */
describe('onboarding survives its worker process being killed', () => {
  let ctx: TestContext;
  let servers: MailServers;
  let child: AppProcess | undefined;
  let worker: WorkerHandle | undefined;
  const CONTACT = 'it@crash.test';

  beforeAll(async () => {
    servers = await startMailServers({ users: [...DEFAULT_MAIL_USERS, CONTACT] });
    ctx = await createTestContext({ env: mailEnv(servers) });
  }, 180_000);
  afterAll(async () => {
    if (child && child.child.exitCode === null && child.child.signalCode === null) {
      child.child.kill('SIGTERM');
      await child.exited;
    }
    await worker?.shutdown();
    await ctx?.close();
    await servers?.stop();
  });

  it('finishes the automations after a SIGKILL without sending any email twice', async () => {
    child = await startTestWorker({ databaseUrl: ctx.databaseUrl, taskQueue: ctx.taskQueue, env: { ...mailEnv(servers), NOTIFY_ALLOW_PRIVATE_TARGETS: 'true' } });
    const manager = await ctx.userWithToken('ONBOARDING_MANAGER');
    const api = (url: string, payload: object) =>
      ctx.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${manager.token}` }, payload });
    const code = 'crashco';
    expect((await api('/onboardings', { clientCode: code, clientName: 'Crash Co', contactName: 'IT', contactEmail: CONTACT })).statusCode).toBe(201);
    await eventually(async () => expect(await inbox(servers, CONTACT)).toHaveLength(3), { timeoutMs: 60_000 });

    const fields = stepOneFields('crash.test', CONTACT) as Record<string, object>;
    for (const [key, f] of Object.entries(fields)) expect((await api(`/onboardings/${code}/items/${key}/complete`, { fields: f })).statusCode).toBe(200);
    const file = { kind: 'FILE', file: { name: 'doc.pdf', base64: Buffer.from('pdf').toString('base64') } };
    for (const [key, evidence] of Object.entries({
      'network-documentation': file,
      'emergency-instructions': { kind: 'NOTE', text: 'call' },
      'credentials-vaulted': { kind: 'LINK', url: 'https://vault.example/c' },
      'sla-signed': file,
    })) {
      expect((await api(`/onboardings/${code}/items/${key}/complete`, { evidence })).statusCode).toBe(200);
    }
    child.child.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');

    worker = await startTemporalWorker({
      config: ctx.config,
      address: harness().temporalAddress,
      prisma: ctx.prisma,
      log: ctx.log,
      workflowBundle: { code: fs.readFileSync(harness().workflowBundlePath, 'utf8') },
    });
    const handle = ctx.temporal.client.workflow.getHandle(`onboarding-${code}`);
    // Activities the dead worker held come back after their start-to-close timeout (1 minute).
    await eventually(
      async () => {
        const v = await handle.query(onboardingViewQuery);
        for (const key of ['welcome-email', 'provision-client', 'announce-internally', 'rmm-group']) {
          expect(v.items.find((i) => i.key === key)!.status).toBe('DONE');
        }
      },
      { timeoutMs: 150_000, intervalMs: 500 },
    );
    const mails = await inbox(servers, CONTACT);
    expect(mails.filter((m) => /^Bienvenue/.test(m.subject ?? ''))).toHaveLength(1);
    expect(mails).toHaveLength(4);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(4);
    const o = await ctx.prisma.onboarding.findUniqueOrThrow({ where: { clientCode: code } });
    expect(await ctx.prisma.outboundMail.count({ where: { idempotencyKey: { startsWith: `onboarding-${code}:` }, status: 'SENT' } })).toBe(4);
    expect(await ctx.prisma.client.count({ where: { code } })).toBe(1);
    expect(await ctx.prisma.contract.count({ where: { clientId: o.clientId! } })).toBe(1);
    expect(await ctx.prisma.contact.count({ where: { clientId: o.clientId! } })).toBe(2);
    await handle.terminate('test done');
  }, 300_000);
});
