import { killedAtCrashPoint } from '../support/app-process';
import { activityAttempts, CFO, CLIENT, reportKillScene, STAFF } from './kill-retries';
import { FIXTURE_MONTH } from './support/fixture';

/**
 * The monthly report's sends when the worker is killed. The worker is a real `npm start`
 * process (RUN_API=false) on the dev server, Postfix + Dovecot and Chromium; "run now" for a
 * past month, then SIGKILL twice inside sendReport:
 *   1. `after-report-mail-sent`: the client report's first mail was accepted by Postfix and
 *      recorded SENT in the gateway's ledger, the ReportSend row not yet written;
 *   2. `after-report-send-recorded`: the client report's ReportSend row is written, the activity
 *      has not reported completion.
 * Temporal retries each interrupted activity on the next worker as soon as the dead one's
 * heartbeats stop (the report activities' heartbeatTimeout, 30 s, not their 5-minute
 * start-to-close; the workflow history must show the client send finished by its third attempt,
 * the one before it ended by heartbeat timeout), and
 * a healthy third worker finishes. Read back over IMAP, every recipient has each report exactly
 * once, with its PDF.
 */
// Kill 1 ends the first attempt (compute both audiences, launch Chromium, print, first SMTP
// send): no retry involved, the bound only covers a slow machine. Kill 2 ends the retry, due at
// most 30 s (heartbeat timeout) + 5 s (backoff) after kill 1: well within its bound on a busy
// machine, and far below the 5-minute start-to-close it replaces.
const KILL_1_WITHIN_MS = 300_000;
const KILL_2_WITHIN_MS = 150_000;

describe('monthly report when the worker is killed mid-send', () => {
  const scene = reportKillScene();
  const { startWorker, reportMails } = scene;
  const reportOf = (audience: 'CLIENT' | 'INTERNAL') =>
    scene.ctx.prisma.report.findUniqueOrThrow({ where: { clientId_month_audience: { clientId: scene.f.clientId, month: FIXTURE_MONTH, audience } } });

  it('sends each report to each recipient exactly once across two kills', async () => {
    const { ctx, f, manager } = scene;
    const first = await startWorker('after-report-mail-sent');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/reports/run',
      headers: { authorization: `Bearer ${manager.token}` },
      payload: { clientId: f.clientId, month: FIXTURE_MONTH },
    });
    expect(res.statusCode).toBe(202);
    const handle = ctx.temporal.client.workflow.getHandle(`report-${f.code}-${FIXTURE_MONTH}`);

    // Kill 1: one client mail out and in the gateway's ledger, the report's send not recorded.
    await killedAtCrashPoint(first, KILL_1_WITHIN_MS);
    const client = await reportOf('CLIENT');
    expect(await ctx.prisma.reportSend.count({ where: { reportId: client.id } })).toBe(0);
    const sentAtKill1 = await ctx.prisma.outboundMail.findMany({ where: { template: 'reports/monthly', status: 'SENT' } });
    expect(sentAtKill1.map((m) => m.recipient)).toEqual([CFO]); // recipients go in sorted order

    // Kill 2: the retried send finishes the client report and records it, then the worker dies.
    const second = await startWorker('after-report-send-recorded');
    await killedAtCrashPoint(second, KILL_2_WITHIN_MS);
    const sends = await ctx.prisma.reportSend.findMany({ where: { reportId: client.id } });
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ key: 'initial', status: 'sent' });
    expect(sends[0].outboundIds).toHaveLength(2);
    expect(sends[0].outboundIds).toContain(sentAtKill1[0].id); // the retry reused the ledger row

    // A healthy worker finishes: the client send is not redone, the internal one goes out.
    const healthy = await startWorker('none');
    const result = await handle.result();
    expect(result.status).toBe('sent');
    expect(result.audiences.map((a: { audience: string; send: unknown }) => [a.audience, a.send])).toEqual([
      ['CLIENT', { status: 'sent', recipients: 2, sent: 2 }],
      ['INTERNAL', { status: 'sent', recipients: 1, sent: 1 }],
    ]);
    // The client send took three attempts; the server records why the one before the last ended:
    // the killed worker's heartbeats stopped (30 s heartbeatTimeout), not its 5-minute
    // start-to-close. (Kill 2 within KILL_2_WITHIN_MS says the same of the first retry.)
    expect((await activityAttempts(handle)).filter((a) => a.activity === 'sendReport')).toEqual([
      { activity: 'sendReport', attempt: 3, previousEnded: 'heartbeat' },
      { activity: 'sendReport', attempt: 1, previousEnded: null },
    ]);

    // Anything late would be in the mailboxes after a few seconds; nothing may be twice.
    await new Promise((r) => setTimeout(r, 3_000));
    for (const [address, filename] of [
      [CLIENT, `report-${f.code}-${FIXTURE_MONTH}.pdf`],
      [CFO, `report-${f.code}-${FIXTURE_MONTH}.pdf`],
      [STAFF, `report-${f.code}-${FIXTURE_MONTH}-internal.pdf`],
    ]) {
      const mails = await reportMails(address);
      expect(mails).toHaveLength(1);
      expect(mails[0].attachments).toHaveLength(1);
      expect(mails[0].attachments[0].filename).toBe(filename);
      expect(mails[0].attachments[0].content.subarray(0, 5).toString()).toBe('%PDF-');
    }
    for (const audience of ['CLIENT', 'INTERNAL'] as const) {
      const report = await reportOf(audience);
      expect(report.sentAt).not.toBeNull();
      const rows = await ctx.prisma.reportSend.findMany({ where: { reportId: report.id } });
      expect(rows.map((r) => [r.key, r.status])).toEqual([['initial', 'sent']]);
    }
    const ledger = await ctx.prisma.outboundMail.findMany({ where: { template: 'reports/monthly' } });
    expect(ledger.map((m) => m.recipient).sort()).toEqual([CFO, CLIENT, STAFF]);
    expect(ledger.every((m) => m.status === 'SENT')).toBe(true);

    healthy.child.kill('SIGTERM');
    await healthy.exited;
  }, 900_000);
});
