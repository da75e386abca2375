import { killLeftoverWorkers, startWorkerThatCrashesAt, type AppProcess } from '../support/app-process';
import { createTestContext, type TestContext } from '../support/context';
import { readInbox } from '../support/inbox';
import { DEFAULT_MAIL_USERS, startMailServers, type MailServers } from '../support/mail-servers';
import { seedReportMonth, type Fixture } from './support/fixture';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface ActivityAttempt {
  activity: string;
  /** The attempt that finished the activity (1: never retried). */
  attempt: number;
  /** Why the attempt before it ended, when there was one ('heartbeat' for a worker that stopped beating). */
  previousEnded: string | null;
}

const TIMEOUT_NAMES: Record<number, string> = {
  [temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT]: 'heartbeat',
  [temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE]: 'start-to-close',
  [temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START]: 'schedule-to-start',
  [temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE]: 'schedule-to-close',
};

/**
 * Each activity of the workflow's history, in order, with the attempt that ran it to the end and
 * how the attempt before it ended (the server records the last failure on the started event):
 * proof of WHY a killed worker's step was retried, with no clock involved.
 */
export async function activityAttempts(handle: WorkflowHandle): Promise<ActivityAttempt[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const typeOf = new Map<string, string>();
  const attempts: ActivityAttempt[] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) typeOf.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const failure = started.lastFailure;
      const timeout = failure?.timeoutFailureInfo?.timeoutType;
      attempts.push({
        activity: typeOf.get(String(started.scheduledEventId)) ?? '?',
        attempt: started.attempt ?? 1,
        previousEnded: !failure ? null : timeout != null ? (TIMEOUT_NAMES[timeout] ?? `timeout ${timeout}`) : (failure.message ?? 'failure'),
      });
    }
  }
  return attempts;
}

/** The recipients of the kill tests' report: the client's two contacts and the MSP's staff. */
export const CLIENT = 'client@client.test';
export const CFO = 'cfo@client.test';
export const STAFF = 'tech@example.test';

export interface ReportKillScene {
  ctx: TestContext;
  servers: MailServers;
  f: Fixture;
  manager: { token: string };
  /** A worker on this scene's database, Postfix and task queue that dies at `crashAt`. */
  startWorker(crashAt: string): Promise<AppProcess>;
  /** The report mails in a recipient's mailbox, read over IMAP. */
  reportMails(address: string): ReturnType<typeof readInbox>;
}

/**
 * The kill tests' common ground (registers beforeAll/afterAll): Postfix/Dovecot with the CFO's
 * mailbox, a test context without in-process worker, a seeded report month for CLIENT and CFO,
 * an onboarding manager, and workers started with `workerEnv` on top of the report mail settings.
 */
export function reportKillScene(workerEnv: Record<string, string> = {}): ReportKillScene {
  const workers: AppProcess[] = [];
  const scene = {
    startWorker: (crashAt: string) =>
      startWorkerThatCrashesAt(crashAt, {
        databaseUrl: scene.ctx.databaseUrl,
        taskQueue: scene.ctx.taskQueue,
        started: workers,
        env: { ...reportWorkerMailEnv(scene.servers, STAFF), ...workerEnv },
      }),
    reportMails: async (address: string) => (await readInbox(scene.servers, address)).filter((m) => m.headers.get('x-mspflow-report')),
  } as ReportKillScene;
  beforeAll(async () => {
    scene.servers = await startMailServers({ users: [...DEFAULT_MAIL_USERS, CFO] });
    scene.ctx = await createTestContext({ worker: false });
    scene.f = await seedReportMonth(scene.ctx.prisma, { recipients: [CLIENT, CFO] });
    scene.manager = await scene.ctx.userWithToken('ONBOARDING_MANAGER');
  }, 180_000);
  afterAll(async () => {
    killLeftoverWorkers(workers);
    await scene.ctx?.close();
    await scene.servers?.stop();
  });
  return scene;
}

/** A report worker's mail settings on the test's Postfix (the kill tests' workers). */
export function reportWorkerMailEnv(servers: MailServers, internalTo: string): Record<string, string> {
  return {
    RUN_MAIL_INTAKE: 'false',
    SMTP_HOST: servers.smtp.host,
    SMTP_PORT: String(servers.smtp.port),
    MAIL_FROM: 'ACME MSP <support@example.test>',
    MAIL_DOMAIN: 'example.test',
    REPORTS_INTERNAL_TO: internalTo,
  };
}
