import fs from 'node:fs';
import nodemailer from 'nodemailer';
import { notifyDevicesChanged, recordClientReplyForItem } from '../../activities/onboarding/onboarding-service';
import { loadSlaPolicyForTicket } from '../../activities/sla/sla-policy-service';
import { createTicket } from '../../activities/tickets/ticket-service';
import { systemActor } from '../../lib/access';
import { searchAttributes } from '../../workflows/definitions';
import { onboardingViewQuery, type OnboardingView } from '../../workflows/onboarding/definitions';
import { startTemporalWorker } from '../../workers/temporal-worker';
import { Receiver } from '../notify/support/receiver';
import { createTestContext, harness, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { DEFAULT_MAIL_USERS, startMailServers, type MailServers } from '../support/mail-servers';
import { inbox, mailEnv, itemIdOf, stepOneFields } from './support';

/**
 * Onboarding end to end on the real Temporal dev server, PostgreSQL, Postfix + Dovecot and a
 * webhook receiver: the API, the workflow's gates and automated items, a client's email reply,
 * template versions, and a worker restart mid-onboarding.
 */
describe('client onboarding', () => {
  let ctx: TestContext;
  let servers: MailServers;
  let receiver: Receiver;
  let manager: { userId: string; token: string };
  let tech: { userId: string; token: string };
  let admin: { userId: string; token: string };
  const CLIENT = 'client@client.test';
  const BOSS = 'boss@restart.test';

  beforeAll(async () => {
    servers = await startMailServers({ users: [...DEFAULT_MAIL_USERS, BOSS] });
    receiver = await new Receiver().start();
    ctx = await createTestContext({ worker: true, env: mailEnv(servers) });
    manager = await ctx.userWithToken('ONBOARDING_MANAGER');
    tech = await ctx.userWithToken('TECHNICIAN');
    admin = await ctx.userWithToken('ADMIN');
    await ctx.prisma.notificationRoute.createMany({
      data: ['onboarding.new-client', 'onboarding.reminder', 'onboarding.escalation', 'onboarding.review'].map((event) => ({
        event,
        channel: 'WEBHOOK' as const,
        target: receiver.webhook('/onboarding', 'onboarding-secret'),
        secret: 'onboarding-secret',
      })),
    });
  }, 180_000);
  afterAll(async () => {
    await ctx?.close();
    await receiver?.close();
    await servers?.stop();
  });

  const as = (who: { token: string }) => ({ authorization: `Bearer ${who.token}` });
  const api = (who: { token: string }, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    ctx.app.inject({ method, url, headers: as(who), payload });
  const item = (code: string, key: string, action: string, payload: object, who = manager) => api(who, 'POST', `/onboardings/${code}/items/${key}/${action}`, payload);
  const view = (code: string) => ctx.temporal.client.workflow.getHandle(`onboarding-${code}`).query(onboardingViewQuery);
  const statusOf = (v: OnboardingView, key: string) => v.items.find((i) => i.key === key)!.status;
  const mailsTo = async (address: string, subject: RegExp) => (await inbox(servers, address)).filter((m) => subject.test(m.subject ?? ''));

  async function start(code: string, extra: object = {}) {
    const res = await api(manager, 'POST', '/onboardings', {
      clientCode: code,
      clientName: `${code.toUpperCase()} Industries`,
      contactName: 'Client Contact',
      contactEmail: CLIENT,
      locale: 'en',
      ...extra,
    });
    expect(res.statusCode).toBe(201);
    await eventually(async () => expect((await view(code)).items.length).toBeGreaterThan(0));
    return res.json();
  }

  async function completeStepOne(code: string, contact = CLIENT) {
    for (const [key, fields] of Object.entries(stepOneFields(contact.split('@')[1], contact))) {
      const res = await item(code, key, 'complete', { fields });
      expect(res.statusCode).toBe(200);
    }
    expect((await item(code, 'emergency-instructions', 'complete', { evidence: { kind: 'NOTE', text: 'Call the caretaker on +33 1 23 45 67 89' } })).statusCode).toBe(200);
    expect((await item(code, 'third-parties', 'skip', { reason: 'no third parties' })).statusCode).toBe(200);
    const link = await item(code, 'credentials-vaulted', 'complete', { evidence: { kind: 'LINK', url: 'https://vault.msp.example/acme' } }, tech);
    expect(link.statusCode).toBe(200);
  }

  it('runs all 10 steps: gates, automated items against the database, mail and devices, a client reply by email', async () => {
    const code = 'acme';
    const started = await start(code);
    expect(started.items).toHaveLength(30);
    expect(started.template).toMatchObject({ key: 'standard', version: 1 });

    // "Please send us X" emails go out for the client items, each with a reply token for its item.
    const requests = await eventually(async () => {
      const m = await mailsTo(CLIENT, /Please send us/);
      expect(m).toHaveLength(3);
      return m;
    });
    const docRequest = requests.find((m) => /network diagrams/.test(m.subject!))!;
    expect(new Set(requests.map(itemIdOf)).size).toBe(3);
    expect(docRequest.messageId).toContain(`o.${itemIdOf(docRequest)}.c.`);
    expect(docRequest.headers.get('auto-submitted')).toBe('auto-generated');

    // Gate: the SLA cannot be signed before step 1 is complete.
    const early = await item(code, 'sla-signed', 'complete', { evidence: { kind: 'FILE', file: { name: 'sla.pdf', contentType: 'application/pdf', base64: Buffer.from('%PDF signed').toString('base64') } } });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: 'GATE_CLOSED' });
    expect(early.json().message).toMatch(/"SLA signed by the client" \(step 2\) cannot be completed before step 1 is complete: still open: .*Company profile/);
    // The evidence sent with the refused request is kept.
    expect(await ctx.prisma.onboardingEvidence.count({ where: { kind: 'FILE', fileName: 'sla.pdf' } })).toBe(1);

    // Who may do what: a technician cannot complete a manager's item; bad input is explained.
    const techTry = await item(code, 'team-meeting', 'complete', { evidence: { kind: 'NOTE', text: 'held' } }, tech);
    expect(techTry.statusCode).toBe(403);
    const noFields = await item(code, 'device-inventory', 'complete', { fields: { servers: 1 } });
    expect(noFields.statusCode).toBe(400);
    expect(noFields.json().message).toMatch(/needs these fields: workstations/);

    // The client answers one request by email, with an attachment, through the real SMTP server
    // to the support mailbox. Until the email intake lands, the test plays its part: read the
    // reply over IMAP, parse it, and hand it to the business function the intake will call.
    const transport = nodemailer.createTransport({ host: servers.smtp.host, port: servers.smtp.port, secure: false, ignoreTLS: true });
    await transport.sendMail({
      from: `Client Contact <${CLIENT}>`,
      to: 'support@example.test',
      subject: `Re: ${docRequest.subject}`,
      inReplyTo: docRequest.messageId,
      text: 'Here is our network diagram.',
      attachments: [{ filename: '../../etc/network.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF diagram') }],
    });
    transport.close();
    const received = await eventually(async () => {
      const m = (await inbox(servers, 'support@example.test')).find((x) => (x.subject ?? '').startsWith('Re: '));
      expect(m).toBeDefined();
      return m!;
    });
    const reply = await recordClientReplyForItem(
      { prisma: ctx.prisma, dispatch: (key) => ctx.dispatcher.dispatchKey(key) },
      {
        itemId: itemIdOf(docRequest)!,
        from: received.from!.value[0].address!,
        messageId: received.messageId!,
        text: received.text ?? '',
        attachments: received.attachments.map((a) => ({ fileName: a.filename ?? 'attachment', contentType: a.contentType, content: a.content })),
      },
    );
    expect(reply).toMatchObject({ onboardingCode: code, itemKey: 'network-documentation', stored: true });
    await eventually(async () => expect(statusOf(await view(code), 'network-documentation')).toBe('DONE'));
    // The same reply seen twice (intake replay) is stored once; a stranger's reply is refused.
    const again = await recordClientReplyForItem({ prisma: ctx.prisma, dispatch: (key) => ctx.dispatcher.dispatchKey(key) }, {
      itemId: itemIdOf(docRequest)!,
      from: CLIENT,
      messageId: received.messageId!,
      text: 'Here is our network diagram.',
    });
    expect(again.stored).toBe(false);
    await expect(
      recordClientReplyForItem({ prisma: ctx.prisma, dispatch: (key) => ctx.dispatcher.dispatchKey(key) }, { itemId: itemIdOf(docRequest)!, from: 'evil@attacker.test', messageId: '<x@a>', text: 'hi' }),
    ).rejects.toThrow(/not a contact/);
    const attachment = await ctx.prisma.onboardingEvidence.findFirstOrThrow({ where: { kind: 'EMAIL', fileName: { not: null } } });
    expect(attachment.fileName).toBe('network.pdf');

    await completeStepOne(code);
    const sla = await item(code, 'sla-signed', 'complete', {});
    expect(sla.statusCode).toBe(200); // the FILE attached with the refused attempt counts

    // Step 7's automation: client, contacts, domains, contract and SLA policy in the database.
    const onboarding = await eventually(async () => {
      const o = await ctx.prisma.onboarding.findUniqueOrThrow({ where: { clientCode: code } });
      expect(o.clientId).not.toBeNull();
      return o;
    });
    const client = await ctx.prisma.client.findUniqueOrThrow({ where: { id: onboarding.clientId! }, include: { domains: true, contacts: true, contracts: true } });
    expect(client).toMatchObject({ code, name: 'ACME Industries SA', timezone: 'Europe/Paris', locale: 'en' });
    expect(client.domains.map((d) => d.domain)).toEqual(['client.test']);
    expect(client.contacts.map((c) => c.email).sort()).toEqual(['bob@client.test', CLIENT]);
    expect(client.contracts).toHaveLength(1);
    expect(client.contracts[0]).toMatchObject({ type: 'MONTHLY_FIXED', active: true });
    // The SLA policy really applies to the client's tickets.
    const { ticket } = await createTicket({ prisma: ctx.prisma }, systemActor('test'), { clientId: client.id, subject: 'First ticket', priority: 'P1', source: 'API' });
    const policy = await loadSlaPolicyForTicket({ prisma: ctx.prisma }, ticket.id);
    expect(policy?.targets.P1).toEqual({ firstResponseMinutes: 60, resolutionMinutes: 480, twentyFourSeven: true });

    // Welcome email (step 3) and the internal announcement.
    await eventually(async () => expect(await mailsTo(CLIENT, /^Welcome to ACME MSP/)).toHaveLength(1));
    await eventually(async () => expect(receiver.to('/onboarding').filter((r) => r.json?.event === 'onboarding.new-client')).toHaveLength(1));

    // Agents: 3 devices expected (1 server + 2 workstations); the device sync's signal re-counts.
    await eventually(async () => expect(statusOf(await view(code), 'rmm-group')).toBe('DONE'));
    const device = (n: number) => ({ clientId: client.id, rmmProvider: 'sim', rmmDeviceId: `d${n}`, hostname: `pc-${n}`, online: true, lastSeenAt: new Date() });
    await ctx.prisma.device.createMany({ data: [device(1), device(2)] });
    expect(await notifyDevicesChanged({ prisma: ctx.prisma, temporal: ctx.temporal.client }, client.id)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(statusOf(await view(code), 'agents-installed')).toBe('OPEN');
    await ctx.prisma.device.create({ data: device(3) });
    await notifyDevicesChanged({ prisma: ctx.prisma, temporal: ctx.temporal.client }, client.id);
    await eventually(async () => expect(statusOf(await view(code), 'agents-installed')).toBe('DONE'));

    // Gate: go-live only after steps 7 and 8.
    const note = (text: string) => ({ evidence: { kind: 'NOTE', text } });
    expect((await item(code, 'go-live-approved', 'complete', {})).json().message).toMatch(/before steps 7 and 8 are complete/);
    for (const key of ['passwords-rotated', 'accounts-audited', 'monitoring-tested']) expect((await item(code, key, 'complete', note('done'), tech)).statusCode).toBe(200);
    expect((await item(code, 'firewall-reviewed', 'skip', { reason: 'managed by the ISP' })).statusCode).toBe(200);
    expect((await item(code, 'team-meeting', 'complete', note('held on Monday'))).statusCode).toBe(200);
    expect((await item(code, 'meeting-recording', 'complete', { evidence: { kind: 'LINK', url: 'https://rec.example/1' } })).statusCode).toBe(200);
    const big = Buffer.alloc(3 * 1024 * 1024, 7); // beyond the API's default 2 MB body limit
    const plan = await api(manager, 'POST', `/onboardings/${code}/items/project-plan/evidence`, { kind: 'FILE', file: { name: 'plan.xlsx', base64: big.toString('base64') } });
    expect(plan.statusCode).toBe(201);
    expect(plan.json()).toMatchObject({ kind: 'FILE', fileName: 'plan.xlsx', size: big.length });
    const tooBig = await api(manager, 'POST', `/onboardings/${code}/items/project-plan/evidence`, { kind: 'FILE', file: { name: 'x.bin', base64: Buffer.alloc(10 * 1024 * 1024 + 1).toString('base64') } });
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.json().message).toMatch(/exceeds/);
    expect((await item(code, 'project-plan', 'complete', {})).statusCode).toBe(200);
    expect((await item(code, 'integration-started', 'complete', note('VPN up'), tech)).statusCode).toBe(200);
    // Reopen and complete again (managers only, with a reason).
    expect((await item(code, 'integration-started', 'reopen', { reason: 'VPN down again' }, tech)).statusCode).toBe(403);
    expect((await item(code, 'integration-started', 'reopen', { reason: 'VPN down again' })).statusCode).toBe(200);
    expect((await item(code, 'integration-started', 'complete', note('VPN fixed'), tech)).statusCode).toBe(200);
    expect((await item(code, 'go-live-approved', 'complete', {})).json().message).toMatch(/before step 8 is complete/);
    expect((await item(code, 'client-trained', 'complete', note('webinar'))).statusCode).toBe(200);
    expect((await item(code, 'go-live-approved', 'complete', {})).statusCode).toBe(200);

    // Go-live: recorded, email sent; step 10 starts with the feedback questionnaire.
    await eventually(async () => expect(await mailsTo(CLIENT, /is live: your SLA is in force/)).toHaveLength(1));
    await eventually(async () => expect(await mailsTo(CLIENT, /How was your onboarding/)).toHaveLength(1));
    const live = await eventually(async () => {
      const v = await view(code);
      expect(v.phase).toBe('following-up');
      expect(v.currentStep).toBe(10);
      return v;
    });
    expect(live.items.filter((i) => i.status === 'OPEN').map((i) => i.key)).toEqual(['review-30', 'review-60', 'review-90']);
    expect(await ctx.prisma.onboarding.findUniqueOrThrow({ where: { clientCode: code } })).toMatchObject({ status: 'LIVE' });

    // Temporal UI: search attributes, summary, details.
    const described = await eventually(async () => {
      const d = await ctx.temporal.client.workflow.getHandle(`onboarding-${code}`).describe();
      expect(d.typedSearchAttributes.get(searchAttributes.OnboardingStep)).toBe('10');
      expect(d.typedSearchAttributes.get(searchAttributes.ClientId)).toBe(client.id);
      return d;
    });
    expect(await described.staticSummary()).toMatch(/Onboarding ACME Industries \(acme\)/);
    const metadata = await ctx.temporal.client.workflow.getHandle(`onboarding-${code}`).query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain('following-up · 27/30 items (90 %)');
    expect(metadata.currentDetails).toMatch(/Waiting for:\n- 30-day progress review \(starts \d{4}-\d{2}-\d{2}\)/);

    // Live: steps 1-9 can no longer be reopened.
    const late = await item(code, 'team-meeting', 'reopen', { reason: 'redo' });
    expect(late.statusCode).toBe(409);
    expect(late.json().message).toMatch(/client is live/);

    // Tenants: a user restricted to other clients does not see this onboarding; one restricted to it does.
    const other = await ctx.prisma.client.create({ data: { code: 'otherco', name: 'Other Co' } });
    const outsider = await ctx.userWithToken('TECHNICIAN', [other.id]);
    expect((await api(outsider, 'GET', `/onboardings/${code}`)).statusCode).toBe(404);
    expect((await api(outsider, 'GET', '/onboardings')).json().items.map((o: { clientCode: string }) => o.clientCode)).not.toContain(code);
    const insider = await ctx.userWithToken('TECHNICIAN', [client.id]);
    expect((await api(insider, 'GET', `/onboardings/${code}`)).statusCode).toBe(200);

    // API views: list with progress and blocking items, full checklist with history and evidence.
    // The database follows the workflow (its writes are activities).
    await eventually(async () => {
      const list = (await api(tech, 'GET', '/onboardings')).json();
      const entry = list.items.find((o: { clientCode: string }) => o.clientCode === code);
      expect(entry).toMatchObject({ status: 'LIVE', progress: { done: 27, total: 30, percent: 90 }, currentStep: 10, blocking: [] });
    });
    const detail = (await api(manager, 'GET', `/onboardings/${code}`)).json();
    const historyTypes = detail.history.map((h: { type: string }) => h.type);
    expect(historyTypes).toEqual(expect.arrayContaining(['completed', 'skipped', 'reopened', 'automated', 'gate-opened']));
    const docs = detail.items.find((i: { key: string }) => i.key === 'network-documentation');
    expect(docs.evidence.map((e: { kind: string }) => e.kind)).toEqual(['EMAIL', 'EMAIL']);
    expect(docs.requestRef).toBeUndefined();
    const download = await api(manager, 'GET', `/onboardings/${code}/evidence/${attachment.id}/content`);
    expect(download.headers['content-disposition']).toBe('attachment; filename="network.pdf"');
    expect(download.rawPayload.toString()).toBe('%PDF diagram');

    // Nothing was sent twice.
    const all = await inbox(servers, CLIENT);
    expect(new Set(all.map((m) => m.messageId)).size).toBe(all.length);
    expect(all).toHaveLength(6); // 3 requests, welcome, go-live, feedback
    await ctx.temporal.client.workflow.getHandle(`onboarding-${code}`).terminate('test done (the 30/60/90-day reviews are covered on the time-skipping server)');
  });

  it('keeps a running onboarding on its template version while the template is edited', async () => {
    const v1 = (await api(manager, 'GET', '/onboarding-templates/standard')).json();
    expect(v1.version).toBe(1);
    await start('tplold');

    const definition = structuredClone(v1.definition);
    definition.steps[3].items.push({ key: 'site-visit', title: 'Site visit', owner: 'technician', dueDays: 6, required: false, evidence: 'note' });
    const saved = await api(manager, 'PUT', '/onboarding-templates/standard', { name: 'Standard with site visit', definition, basedOnVersion: 1 });
    expect(saved.statusCode).toBe(201);
    expect(saved.json()).toMatchObject({ key: 'standard', version: 2 });
    // A stale edit and an invalid one are refused, with the reason.
    const stale = await api(manager, 'PUT', '/onboarding-templates/standard', { name: 'x', definition, basedOnVersion: 1 });
    expect(stale.statusCode).toBe(409);
    const invalid = structuredClone(definition);
    invalid.steps[1].after = [9];
    const bad = await api(manager, 'PUT', '/onboarding-templates/standard', { name: 'x', definition: invalid });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details.problems).toContain('step 2: its gate may only wait for earlier steps (not 9)');
    expect((await api(tech, 'PUT', '/onboarding-templates/standard', { name: 'x', definition })).statusCode).toBe(403);

    await start('tplnew');
    expect((await view('tplnew')).items.map((i) => i.key)).toContain('site-visit');
    expect((await view('tplold')).items.map((i) => i.key)).not.toContain('site-visit');
    expect((await api(manager, 'GET', '/onboardings/tplold')).json().template.version).toBe(1);
    expect((await api(manager, 'GET', '/onboardings/tplnew')).json().template.version).toBe(2);
    expect((await api(manager, 'GET', '/onboarding-templates/standard/versions')).json().items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect((await api(manager, 'GET', '/onboarding-templates/standard?version=1')).json().definition.steps[3].items).toHaveLength(2);
    // One onboarding per client code.
    const dup = await api(admin, 'POST', '/onboardings', { clientCode: 'tplold', clientName: 'x', contactName: 'x', contactEmail: 'x@x.test' });
    expect(dup.statusCode).toBe(409);
    for (const code of ['tplold', 'tplnew']) await ctx.temporal.client.workflow.getHandle(`onboarding-${code}`).terminate('test done');
  });

  it('survives a worker restart mid-onboarding without sending any email twice', async () => {
    const code = 'restartco';
    await start(code, { contactEmail: BOSS });
    await eventually(async () => expect(await inbox(servers, BOSS)).toHaveLength(3));
    await completeStepOne(code, BOSS);
    await item(code, 'network-documentation', 'complete', { evidence: { kind: 'FILE', file: { name: 'net.pdf', base64: Buffer.from('x').toString('base64') } } });
    const sla = await item(code, 'sla-signed', 'complete', { evidence: { kind: 'FILE', file: { name: 'sla.pdf', base64: Buffer.from('x').toString('base64') } } });
    expect(sla.statusCode).toBe(200);

    // The worker goes away while the step-3/7 automations are under way, and a new one takes over.
    await ctx.worker!.shutdown();
    const worker = await startTemporalWorker({
      config: ctx.config,
      address: harness().temporalAddress,
      prisma: ctx.prisma,
      log: ctx.log,
      workflowBundle: { code: fs.readFileSync(harness().workflowBundlePath, 'utf8') },
    });
    try {
      await eventually(async () => {
        const v = await view(code);
        for (const key of ['welcome-email', 'provision-client', 'announce-internally', 'rmm-group']) expect(statusOf(v, key)).toBe('DONE');
      }, { timeoutMs: 60_000 });
      const o = await ctx.prisma.onboarding.findUniqueOrThrow({ where: { clientCode: code } });
      await ctx.prisma.device.createMany({
        data: [1, 2, 3].map((n) => ({ clientId: o.clientId!, rmmProvider: 'sim', rmmDeviceId: `${code}-${n}`, hostname: `h${n}`, lastSeenAt: new Date() })),
      });
      await notifyDevicesChanged({ prisma: ctx.prisma, temporal: ctx.temporal.client }, o.clientId!);
      await eventually(async () => expect(statusOf(await view(code), 'agents-installed')).toBe('DONE'));
      const mails = await inbox(servers, BOSS);
      expect(mails.map((m) => m.subject).filter((s) => /Please send us/.test(s ?? ''))).toHaveLength(3);
      expect(mails.map((m) => m.subject).filter((s) => /^Welcome/.test(s ?? ''))).toHaveLength(1);
      expect(mails).toHaveLength(4);
      expect(await ctx.prisma.outboundMail.count({ where: { idempotencyKey: { startsWith: `onboarding-${code}:` } } })).toBe(4);
      expect(await ctx.prisma.outboundMail.count({ where: { idempotencyKey: { startsWith: `onboarding-${code}:` }, attempts: { gt: 1 } } })).toBe(0);
      expect(await ctx.prisma.client.count({ where: { code } })).toBe(1);
      expect(await ctx.prisma.contract.count({ where: { clientId: o.clientId! } })).toBe(1);
      await ctx.temporal.client.workflow.getHandle(`onboarding-${code}`).terminate('test done');
    } finally {
      await worker.shutdown();
    }
  });
});
