import fs from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createMailGateway } from '../../activities/mail/gateway';
import { createSmtpSender } from '../../activities/mail/smtp-sender';
import { createChannelAdapters } from '../../activities/notify/channels';
import { standardTemplate } from '../../activities/onboarding/default-template';
import { actOnItem, notifyDevicesChanged, startOnboarding, type EvidenceInput } from '../../activities/onboarding/onboarding-service';
import { createOnboardingPorts } from '../../activities/onboarding/wiring';
import { systemActor } from '../../lib/access';
import { createUser } from '../../lib/auth/users';
import { createPrisma, type PrismaClient } from '../../lib/db/prisma';
import { createLogger } from '../../lib/logger';
import { OutboxDispatcher } from '../../workers/outbox-dispatcher';
import { DAY_MS } from '../../workflows/onboarding/checklist';
import { onboardingViewQuery } from '../../workflows/onboarding/definitions';
import type { OnboardingSummary } from '../../workflows/onboarding/onboarding.workflow';
import { Receiver } from '../notify/support/receiver';
import { createTestDatabase, harness } from '../support/context';
import { eventually } from '../support/eventually';
import { DEFAULT_MAIL_USERS, startMailServers, type MailServers } from '../support/mail-servers';
import { inbox, stepOneFields } from './support';
import { startTimeSkippingEnv } from '../support/time-skipping';

/**
 * Shared set-up of the onboarding tests on Temporal's time-skipping test server, with a real
 * PostgreSQL, Postfix + Dovecot and a webhook receiver. Each test file gets its own server:
 * one long time-skipping run per server keeps the tests independent.
 */
const taskQueue = 'onboarding-time-skipping';
const log = createLogger({ log: { level: 'warn', format: 'json' } }, 'test');

export interface TimeSkippingOnboarding {
  env: TestWorkflowEnvironment;
  prisma: PrismaClient;
  receiver: Receiver;
  servers: MailServers;
  managerId: string;
  withWorker<T>(fn: () => Promise<T>): Promise<T>;
  deps(): { prisma: PrismaClient; temporal: TestWorkflowEnvironment['client']; log: typeof log };
  start(code: string, contactEmail: string): ReturnType<typeof startIn>;
  hooks(code: string, event: string): ReturnType<Receiver['to']>;
}

let env: TestWorkflowEnvironment;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;
let receiver: Receiver;
let servers: MailServers;
let smtp: ReturnType<typeof createSmtpSender>;
let gateway: ReturnType<typeof createMailGateway>;
let managerId: string;

/** Registers beforeAll/afterAll for a test file; the returned object is usable inside its tests. */
export function useTimeSkippingOnboarding(mailUsers: string[]): TimeSkippingOnboarding {
beforeAll(async () => {
  env = await startTimeSkippingEnv(log);
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { maxConnections: 5 });
  receiver = await new Receiver().start();
  servers = await startMailServers({ users: [...DEFAULT_MAIL_USERS, 'olivia@msp.test', ...mailUsers] });
  smtp = createSmtpSender({ host: servers.smtp.host, port: servers.smtp.port, secure: false, from: 'ACME MSP <support@example.test>' });
  gateway = createMailGateway({
    prisma,
    sender: smtp,
    settings: {
      domain: 'example.test',
      supportAddress: 'support@example.test',
      fromName: 'ACME MSP',
      replySecrets: ['onboarding-time-skipping-reply-secret-0123456789'],
      autoBudget: { count: 20, windowMinutes: 60 },
    },
  });
  managerId = (await createUser(prisma, { email: 'olivia@msp.test', name: 'Olivia Manager', role: 'ONBOARDING_MANAGER' })).id;
  await prisma.notificationRoute.createMany({
    data: ['onboarding.new-client', 'onboarding.reminder', 'onboarding.escalation', 'onboarding.review'].map((event) => ({
      event,
      channel: 'WEBHOOK' as const,
      target: receiver.webhook('/onboarding', 'secret'),
      secret: 'secret',
    })),
  });
}, 300_000);

afterAll(async () => {
  smtp?.close();
  await servers?.stop();
  await receiver?.close();
  await prisma?.$disconnect();
  await db?.drop();
  await env?.teardown();
});
  return {
    get env() {
      return env;
    },
    get prisma() {
      return prisma;
    },
    get receiver() {
      return receiver;
    },
    get servers() {
      return servers;
    },
    get managerId() {
      return managerId;
    },
    withWorker,
    deps,
    start: startIn,
    hooks,
  };
}

function withWorker<T>(fn: () => Promise<T>): Promise<T> {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    workflowBundle: { code: fs.readFileSync(harness().workflowBundlePath, 'utf8') },
    activities: createActivities({
      prisma,
      log,
      channels: createChannelAdapters({ allowPrivateTargets: true }),
      onboarding: createOnboardingPorts({ prisma, gateway, config: { mail: { from: 'ACME MSP <support@example.test>', supportAddress: 'support@example.test', domain: 'example.test' } as never } }),
    }),
  }).then((worker) => worker.runUntil(fn));
}

const deps = () => ({ prisma, temporal: env.client, log });

/** Starts an onboarding dated in the test server's time (it runs ahead of the wall clock once time was skipped). */
async function startIn(code: string, contactEmail: string) {
  const row = await startOnboarding(deps(), systemActor('test'), { clientCode: code, clientName: `${code} corp`, contactName: 'IT Lead', contactEmail, locale: 'fr', managerId });
  const now = await env.currentTimeMs();
  const entry = await prisma.outboxEntry.findUniqueOrThrow({ where: { key: row.workflowId } });
  await prisma.outboxEntry.update({ where: { id: entry.id }, data: { payload: { ...(entry.payload as object), startedAt: now } } });
  expect(await new OutboxDispatcher({ prisma, temporal: env.client, taskQueue, log }, 60_000).dispatchKey(row.workflowId)).toBe(true);
  const handle = env.client.workflow.getHandle(row.workflowId);
  await eventually(async () => expect((await handle.query(onboardingViewQuery)).items.length).toBe(30));
  return { handle, startedAt: now, row };
}

const hooks = (code: string, event: string) =>
  receiver.to('/onboarding').filter((r) => r.json?.event === event && String(r.json?.message?.title ?? '').includes(`${code} corp`));

