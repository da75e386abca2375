import fs from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, createNotificationAdapters } from '../../activities';
import type { MailIntake } from '../../activities/intake/mail-intake';
import { createOnboardingPorts } from '../../activities/onboarding/wiring';
import { SimulatedRmm } from '../../activities/rmm/simulator/simulated-rmm';
import { ticketEffectHandlers } from '../../activities/tickets/ticket-effect-handlers';
import { parseReplyToken, tokenFromAddress } from '../../lib/mail/reply-token';
import { onboardingViewQuery } from '../../workflows/onboarding/definitions';
import { OutboxDispatcher } from '../../workers/outbox-dispatcher';
import { clientWithDevices, progress, startRollout, waitForStatus } from '../rollout/support/rollout-harness';
import { createTestContext, harness, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { startMailServers, type MailServers } from '../support/mail-servers';
import { readFolder } from './mail-helpers';
import { createMailbox, mailEnv, newMessageId, rawMail, startIntake, SUPPORT } from './support';

/**
 * Replies whose reply token names an onboarding item or a rollout ring, on real Dovecot/Postfix,
 * the real Temporal dev server and PostgreSQL: the request and approval emails are read from the
 * recipients' real mailboxes, the answers are real RFC 822 messages stored in the support mailbox
 * and taken in by the running intake.
 */
jest.setTimeout(240_000);

const CLIENT = 'it@tokenco.test';
const TECH = 'tech@example.test';
const OPS = 'ops@example.test'; // on the approval route, but not a registered user

let servers: MailServers;
let ctx: TestContext;
let intake: MailIntake;
let dispatcher: OutboxDispatcher;
let sim: SimulatedRmm;
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  servers = await startMailServers({ users: [SUPPORT, CLIENT, TECH, OPS] });
  ctx = await createTestContext({ env: { ...mailEnv, SMTP_HOST: servers.smtp.host, SMTP_PORT: String(servers.smtp.port) } });
  sim = new SimulatedRmm({ groups: [{ id: 'appr', name: 'Approval Co', devices: 6 }], latencyMs: [5, 20] });
  // One worker with everything this test crosses: onboarding mail and rollout alerts through the
  // mail gateway, rollouts on the simulator.
  const notifications = createNotificationAdapters(ctx.config, { prisma: ctx.prisma, log: ctx.log });
  const connection = await NativeConnection.connect({ address: ctx.temporal.address });
  const worker = await Worker.create({
    connection,
    taskQueue: ctx.taskQueue,
    workflowBundle: { code: fs.readFileSync(harness().workflowBundlePath, 'utf8') },
    activities: createActivities({
      prisma: ctx.prisma,
      log: ctx.log,
      channels: notifications.channels,
      rmm: { simulator: sim },
      onboarding: createOnboardingPorts({ prisma: ctx.prisma, gateway: notifications.gateway, config: ctx.config }),
    }),
  });
  const running = worker.run();
  stopWorker = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => undefined);
    notifications.close();
    await connection.close().catch(() => undefined);
  };
  dispatcher = new OutboxDispatcher(
    {
      prisma: ctx.prisma,
      temporal: ctx.temporal.client,
      taskQueue: ctx.taskQueue,
      log: ctx.log,
      handlers: ticketEffectHandlers({ prisma: ctx.prisma, temporal: ctx.temporal.client, log: ctx.log, gateway: notifications.gateway }),
    },
    200,
  );
  dispatcher.start();
  await ctx.prisma.user.create({ data: { email: TECH, name: 'Theo Tech', role: 'TECHNICIAN' } });
  await createMailbox(ctx.prisma, servers);
  intake = startIntake(ctx.prisma, ctx.config, ctx.log, { reconcileMs: 1000 });
  await intake.start();
}, 180_000);

afterAll(async () => {
  await intake?.stop();
  await dispatcher?.stop();
  await stopWorker?.();
  await sim?.close();
  await ctx?.close();
  await servers?.stop();
});

/** The ledger row of a message once the intake has decided on it. */
async function ledger(messageId: string) {
  return eventually(
    async () => {
      const r = await ctx.prisma.inboundMessage.findFirst({ where: { messageIdHeader: messageId.toLowerCase() } });
      expect(r?.status).toMatch(/^(PROCESSED|HELD|REJECTED|IGNORED)$/);
      return r!;
    },
    { timeoutMs: 60_000 },
  );
}

async function mailsTo(address: string, subject: RegExp, count = 1) {
  return eventually(
    async () => {
      const found = (await readFolder(servers, address)).filter((m) => subject.test(m.parsed.subject ?? ''));
      expect(found.length).toBeGreaterThanOrEqual(count);
      return found;
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
}

/** The same address with one character of the token's signature changed. */
function forge(replyTo: string): string {
  const token = tokenFromAddress(replyTo, SUPPORT)!;
  const last = token.at(-1) === 'a' ? 'b' : 'a';
  return replyTo.replace(token, token.slice(0, -1) + last);
}

/** A multipart reply with attachments, as a mail client writes it. */
function replyWithFiles(o: { from: string; to: string; subject: string; inReplyTo: string; messageId: string; text: string; files: Array<{ name: string; type: string; content: Buffer }> }): string {
  const boundary = 'b-0123456789';
  const parts = [
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${o.text}\r\n`,
    ...o.files.map(
      (f) => `--${boundary}\r\nContent-Type: ${f.type}; name="${f.name}"\r\nContent-Disposition: attachment; filename="${f.name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${f.content.toString('base64')}\r\n`,
    ),
    `--${boundary}--\r\n`,
  ];
  return rawMail({ from: o.from, to: o.to, subject: o.subject, inReplyTo: o.inReplyTo, messageId: o.messageId, mime: { contentType: `multipart/mixed; boundary="${boundary}"`, body: parts.join('') } });
}

test('a client reply to an onboarding request lands on its item (attachments screened); a forged token is ordinary mail (held for triage)', async () => {
  const manager = await ctx.userWithToken('ONBOARDING_MANAGER');
  const started = await ctx.app.inject({
    method: 'POST',
    url: '/onboardings',
    headers: { authorization: `Bearer ${manager.token}` },
    payload: { clientCode: 'tokenco', clientName: 'Token Co', contactName: 'IT Lead', contactEmail: CLIENT, locale: 'en' },
  });
  expect(started.statusCode).toBe(201);
  const [request] = await mailsTo(CLIENT, /Please send us: .*network diagrams/i);
  const replyTo = request.parsed.replyTo!.value[0].address!;
  const token = parseReplyToken(tokenFromAddress(replyTo, SUPPORT)!)!;
  expect(token).toMatchObject({ kind: 'onboarding', role: 'contact' });
  const item = await ctx.prisma.onboardingItem.findUniqueOrThrow({ where: { id: token.entityId } });
  expect(item.key).toBe('network-documentation');
  expect(request.parsed.headers.get('auto-submitted')).toBe('auto-generated');
  const view = () => ctx.temporal.client.workflow.getHandle('onboarding-tokenco').query(onboardingViewQuery);

  // Forged: the token altered by one character. Ordinary mail from a sender no client knows yet
  // (the onboarding has not created the client): held for triage, nothing on the item.
  const forgedId = newMessageId('tokenco.test');
  await servers.deliver(rawMail({ from: CLIENT, to: forge(replyTo), subject: `Re: ${request.parsed.subject}`, messageId: forgedId, body: 'Diagram attached (forged)' }), SUPPORT);
  expect(await ledger(forgedId)).toMatchObject({ status: 'HELD', outcome: 'unknown-sender', ticketId: null });
  expect(await ctx.prisma.onboardingEvidence.count({ where: { itemId: item.id } })).toBe(0);

  // Genuine: to the signed Reply-To, with a PDF and an executable dressed as a PDF.
  const replyId = newMessageId('tokenco.test');
  const raw = replyWithFiles({
    from: `IT Lead <${CLIENT}>`,
    to: replyTo,
    subject: `Re: ${request.parsed.subject}`,
    inReplyTo: request.parsed.messageId!,
    messageId: replyId,
    text: 'Here is our network diagram.\n\nOn Monday, support wrote:\n> please send us',
    files: [
      { name: '../../etc/network.pdf', type: 'application/pdf', content: Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n') },
      { name: 'invoice.pdf', type: 'application/pdf', content: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 1)]) },
    ],
  });
  await servers.deliver(raw, SUPPORT);
  expect(await ledger(replyId)).toMatchObject({ status: 'PROCESSED', outcome: 'onboarding-reply', ticketId: null });
  const evidence = await ctx.prisma.onboardingEvidence.findMany({ where: { itemId: item.id }, orderBy: { dedupeKey: 'asc' } });
  expect(evidence).toHaveLength(2);
  const [file, body] = evidence;
  expect(file).toMatchObject({ kind: 'EMAIL', fileName: 'network.pdf', contentType: 'application/pdf', by: `client:${CLIENT}` });
  expect(body.text).toMatch(/^Here is our network diagram\./);
  expect(body.text).toContain('invoice.pdf');
  expect(body.text).not.toContain('please send us');
  expect(await ctx.prisma.ticketMessage.count({ where: { messageId: replyId.toLowerCase() } })).toBe(0);
  await eventually(async () => expect((await view()).items.find((i) => i.key === 'network-documentation')!.status).toBe('DONE'), { timeoutMs: 60_000 });

  // The same reply delivered again: the ledger knows it, nothing is stored twice.
  await servers.deliver(raw, SUPPORT);
  await new Promise((r) => setTimeout(r, 3000));
  expect(await ctx.prisma.onboardingEvidence.count({ where: { itemId: item.id } })).toBe(2);
  await ctx.temporal.client.workflow.getHandle('onboarding-tokenco').terminate('test done');
});

test('an approval reply from a registered technician moves the rollout to its next ring; a forged token or an unregistered approver does not', async () => {
  const { client } = await clientWithDevices(ctx, { simulator: sim }, 'simulator', 'appr', 'apprco');
  await ctx.prisma.notificationRoute.create({ data: { clientId: client.id, event: 'rollout.approval-needed', channel: 'EMAIL', target: `${TECH}, ${OPS}` } });
  const { rollout } = await startRollout(ctx, {
    name: 'Agent 3.0',
    clientIds: [client.id],
    patchSet: { kind: 'script', id: 'agent-3.0', install: 'install agent 3.0', verify: 'agent is 3.0' },
    policy: { rings: [{ name: 'canary', percent: 0.34 }, { name: 'broad' }], batchSize: 3, maxParallelBatches: 1, concurrencyPerBatch: 2 },
  });
  await waitForStatus(ctx, rollout.workflowId, (v) => v.status === 'waiting-approval' && v.currentRing === 'broad');

  const [toTech] = await mailsTo(TECH, /approve ring broad/);
  const [toOps] = await mailsTo(OPS, /approve ring broad/);
  const techReplyTo = toTech.parsed.replyTo!.value[0].address!;
  expect(parseReplyToken(tokenFromAddress(techReplyTo, SUPPORT)!)).toMatchObject({ kind: 'approval', role: 'staff', entityId: `${rollout.id}-1` });

  // Forged token from the technician; a valid token from an address that is no approver.
  const forgedId = newMessageId('example.test');
  await servers.deliver(rawMail({ from: TECH, to: forge(techReplyTo), subject: `Re: ${toTech.parsed.subject}`, messageId: forgedId, body: 'Approved' }), SUPPORT);
  const opsId = newMessageId('example.test');
  await servers.deliver(rawMail({ from: OPS, to: toOps.parsed.replyTo!.value[0].address!, subject: `Re: ${toOps.parsed.subject}`, inReplyTo: toOps.parsed.messageId!, messageId: opsId, body: 'Approved' }), SUPPORT);
  // Neither is a contact of any client: ordinary mail from unknown senders, held for triage.
  expect(await ledger(forgedId)).toMatchObject({ status: 'HELD', outcome: 'unknown-sender' });
  expect(await ledger(opsId)).toMatchObject({ status: 'HELD', outcome: 'unknown-sender' });
  await eventually(async () => expect(await ctx.prisma.outboxEntry.count({ where: { dispatchedAt: null } })).toBe(0), { timeoutMs: 30_000 });
  const still = await progress(ctx, rollout.workflowId);
  expect(still).toMatchObject({ status: 'waiting-approval', currentRing: 'broad' });
  expect(still.rings[1].approval).toBeNull();

  // The technician answers the approval email.
  const approvalId = newMessageId('example.test');
  await servers.deliver(
    rawMail({ from: `Theo <${TECH}>`, to: techReplyTo, subject: `Re: ${toTech.parsed.subject}`, inReplyTo: toTech.parsed.messageId!, messageId: approvalId, body: 'OK for broad.' }),
    SUPPORT,
  );
  expect(await ledger(approvalId)).toMatchObject({ status: 'PROCESSED', outcome: 'rollout-approval', ticketId: null });
  const done = await waitForStatus(ctx, rollout.workflowId, 'completed', 120_000);
  expect(done.rings[1].size).toBeGreaterThan(0);
  expect(done.rings[1]).toMatchObject({ status: 'done', succeeded: done.rings[1].size, failed: 0 });
  expect(done.rings[1].approval).toMatchObject({ by: `email:${TECH}`, via: 'email' });
});
