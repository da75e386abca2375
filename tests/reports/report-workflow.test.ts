import { sendReport } from '../../activities/reports/report-service';
import { createHtmlPrinter } from '../../activities/reports/chromium';
import { createConfiguredMailGateway } from '../../activities/mail/gateway';
import { searchAttributes } from '../../workflows/definitions';
import { reportProgressQuery } from '../../workflows/report/definitions';
import { createTestContext, type TestContext } from '../support/context';
import { readInbox } from '../support/inbox';
import { DEFAULT_MAIL_USERS, startMailServers, type MailServers } from '../support/mail-servers';
import { FIXTURE_MONTH, seedReportMonth, type Fixture } from './support/fixture';

/**
 * The monthly report end to end on the real Temporal dev server, PostgreSQL, Postfix + Dovecot
 * and Chromium: run-now through the API, the workflow computing and sending both audiences, the
 * mail read back over IMAP (HTML + PDF), re-runs and activity retries sending nothing twice, an
 * explicit re-send recorded, and the API's role and tenant checks.
 */
describe('monthly report workflow and API', () => {
  let ctx: TestContext;
  let servers: MailServers;
  let f: Fixture;
  let manager: { userId: string; token: string };
  let admin: { userId: string; token: string };
  let tech: { userId: string; token: string };
  let otherTech: { userId: string; token: string };
  const CLIENT = 'client@client.test';
  const CFO = 'cfo@client.test';
  const STAFF = 'tech@example.test';

  beforeAll(async () => {
    servers = await startMailServers({ users: [...DEFAULT_MAIL_USERS, CFO] });
    ctx = await createTestContext({
      worker: true,
      env: { SMTP_HOST: servers.smtp.host, SMTP_PORT: String(servers.smtp.port), MAIL_FROM: 'ACME MSP <support@example.test>', MAIL_DOMAIN: 'example.test', REPORTS_INTERNAL_TO: STAFF },
    });
    f = await seedReportMonth(ctx.prisma, { recipients: [CLIENT, CFO] });
    const other = await ctx.prisma.client.create({ data: { code: `other${f.code}`, name: 'Other' } });
    manager = await ctx.userWithToken('ONBOARDING_MANAGER');
    admin = await ctx.userWithToken('ADMIN');
    tech = await ctx.userWithToken('TECHNICIAN', [f.clientId]);
    otherTech = await ctx.userWithToken('TECHNICIAN', [other.id]);
  }, 180_000);

  afterAll(async () => {
    await ctx?.close();
    await servers?.stop();
  });

  const api = (who: { token: string }, method: 'GET' | 'POST', url: string, payload?: object) =>
    ctx.app.inject({ method, url, headers: { authorization: `Bearer ${who.token}` }, payload });
  const reportMails = async (address: string) => (await readInbox(servers, address)).filter((m) => m.headers.get('x-mspflow-report'));

  it('runs a past month through the API, sends each audience once (HTML + PDF), and shows progress in Temporal', async () => {
    expect((await api(tech, 'POST', '/reports/run', { clientId: f.clientId, month: FIXTURE_MONTH })).statusCode).toBe(403);
    const future = await api(manager, 'POST', '/reports/run', { clientId: f.clientId, month: '2999-01' });
    expect(future.statusCode).toBe(400);
    const res = await api(manager, 'POST', '/reports/run', { clientId: f.clientId, month: FIXTURE_MONTH });
    expect(res.statusCode).toBe(202);
    const workflowId = `report-${f.code}-${FIXTURE_MONTH}`;
    expect(res.json()).toEqual({ workflowId, alreadyStarted: false });

    const handle = ctx.temporal.client.workflow.getHandle(workflowId);
    const result = await handle.result();
    expect(result.status).toBe('sent');
    expect(result.audiences.map((a: { audience: string; send: unknown }) => [a.audience, a.send])).toEqual([
      ['CLIENT', { status: 'sent', recipients: 2, sent: 2 }],
      ['INTERNAL', { status: 'sent', recipients: 1, sent: 1 }],
    ]);
    expect((await handle.query(reportProgressQuery)).status).toBe('sent');
    const d = await handle.describe();
    expect(d.typedSearchAttributes.get(searchAttributes.ClientId)).toBe(f.clientId);
    expect(d.typedSearchAttributes.get(searchAttributes.ReportMonth)).toBe(FIXTURE_MONTH);
    expect(await d.staticSummary()).toBe(`Monthly report · ${f.code} · ${FIXTURE_MONTH} (manual)`);

    for (const address of [CLIENT, CFO]) {
      const mails = await reportMails(address);
      expect(mails).toHaveLength(1);
      const m = mails[0];
      expect(m.subject).toBe('ACME <Industries> & Co : rapport mensuel de service, mars 2026');
      expect(m.html).toContain('Respect des SLA');
      expect(m.html).not.toContain('Chiffres internes MSP'); // no revenue for the client
      expect(m.html).not.toContain('<script>alert(1)</script>');
      expect(m.attachments).toHaveLength(1);
      expect(m.attachments[0].filename).toBe(`report-${f.code}-${FIXTURE_MONTH}.pdf`);
      expect(m.attachments[0].contentType).toBe('application/pdf');
      expect(m.attachments[0].content.subarray(0, 5).toString()).toBe('%PDF-');
    }
    const internal = await reportMails(STAFF);
    expect(internal).toHaveLength(1);
    expect(internal[0].subject).toMatch(/^\[interne\] ACME/);
    expect(internal[0].html).toContain('Chiffres internes MSP');
  }, 180_000);

  it('never sends a month twice: run-now again, and an activity retried after its send was recorded or not', async () => {
    const again = await api(manager, 'POST', '/reports/run', { clientId: f.clientId, month: FIXTURE_MONTH });
    expect(again.statusCode).toBe(200);
    expect(again.json().alreadyStarted).toBe(true);

    const report = await ctx.prisma.report.findUniqueOrThrow({ where: { clientId_month_audience: { clientId: f.clientId, month: FIXTURE_MONTH, audience: 'CLIENT' } } });
    const gateway = createConfiguredMailGateway(ctx.config, { prisma: ctx.prisma })!;
    const printer = createHtmlPrinter();
    try {
      const deps = { prisma: ctx.prisma, gateway, printer };
      // a retry after the send was recorded
      expect(await sendReport(deps, { reportId: report.id, key: 'initial' })).toMatchObject({ status: 'sent', sent: 2 });
      // a retry of an attempt that sent the mails but died before recording the ReportSend row:
      // the gateway's ledger (OutboundMail, one row per report/key/recipient) refuses to send again
      await ctx.prisma.reportSend.deleteMany({ where: { reportId: report.id } });
      expect(await sendReport(deps, { reportId: report.id, key: 'initial' })).toMatchObject({ status: 'sent', sent: 2 });
    } finally {
      gateway.close();
      await printer.close();
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect(await reportMails(CLIENT)).toHaveLength(1);
    expect(await reportMails(CFO)).toHaveLength(1);
    expect(await ctx.prisma.outboundMail.count({ where: { template: 'reports/monthly', recipient: CLIENT } })).toBe(1);
    expect(await ctx.prisma.report.count({ where: { clientId: f.clientId } })).toBe(2);
  }, 120_000);

  it('lists, shows (JSON, HTML, PDF) and re-sends with the role and tenant checks', async () => {
    const all = await api(admin, 'GET', `/reports?clientId=${f.clientId}`);
    expect(all.statusCode).toBe(200);
    expect(all.json().items.map((r: { audience: string }) => r.audience).sort()).toEqual(['CLIENT', 'INTERNAL']);
    const mine = await api(tech, 'GET', `/reports?clientId=${f.clientId}`);
    expect(mine.json().items.map((r: { audience: string }) => r.audience)).toEqual(['CLIENT']);
    expect((await api(otherTech, 'GET', `/reports?clientId=${f.clientId}`)).statusCode).toBe(403);
    expect((await api(otherTech, 'GET', '/reports')).json().items).toEqual([]);

    const clientReport = mine.json().items[0];
    const internalId = all.json().items.find((r: { audience: string }) => r.audience === 'INTERNAL').id;
    expect((await api(tech, 'GET', `/reports/${internalId}`)).statusCode).toBe(404);
    expect((await api(otherTech, 'GET', `/reports/${clientReport.id}`)).statusCode).toBe(403);

    const json = await api(tech, 'GET', `/reports/${clientReport.id}`);
    expect(json.statusCode).toBe(200);
    expect(json.json().data.sla.overall).toBe(75);
    const html = await api(tech, 'GET', `/reports/${clientReport.id}/html`);
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.headers['content-security-policy']).toContain("default-src 'none'");
    expect(html.body).toContain('Respect des SLA');
    const pdf = await api(tech, 'GET', `/reports/${clientReport.id}/pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');

    expect((await api(tech, 'POST', `/reports/${clientReport.id}/resend`, {})).statusCode).toBe(403);
    const resent = await api(manager, 'POST', `/reports/${clientReport.id}/resend`, { recipients: [CLIENT] });
    expect(resent.statusCode).toBe(200);
    expect(resent.json()).toMatchObject({ status: 'sent', recipients: [CLIENT], sent: 1 });
    expect(await reportMails(CLIENT)).toHaveLength(2);
    expect(await reportMails(CFO)).toHaveLength(1);
    const sends = await ctx.prisma.reportSend.findMany({ where: { reportId: clientReport.id }, orderBy: { createdAt: 'asc' } });
    expect(sends.map((s) => [s.key.split(':')[0], s.requestedBy])).toEqual([
      ['initial', null],
      ['resend', `user:${manager.userId}`],
    ]);
  }, 120_000);
});
