import { killedAtCrashPoint } from '../support/app-process';
import { activityAttempts, CFO, CLIENT, reportKillScene, STAFF } from './kill-retries';
import { FIXTURE_MONTH } from './support/fixture';

/**
 * The one window where a report mail CAN arrive twice, measured rather than hidden: the worker
 * (a real `npm start` process) is SIGKILLed right after Postfix accepted a report mail and before
 * the gateway's ledger row says SENT (`after-mail-smtp-accepted`). SMTP gives no way to ask
 * "did you already take this?", so the retry sends again: the test pins down that this costs at
 * most one extra copy, of that one mail only, carrying the SAME Message-ID (mail clients and
 * archives treat the two as one message), and that the ledger and the report record one send.
 */
describe('monthly report when the worker is killed between SMTP and the ledger', () => {
  const scene = reportKillScene({
    // The dead worker's hold on the mail it was sending; short here so the test does not
    // wait out the 2-minute default (SMTP on loopback takes milliseconds).
    MAIL_SEND_LEASE_MS: '15000',
  });
  const { startWorker, reportMails } = scene;

  it('resends only the interrupted mail, once, under the same Message-ID', async () => {
    const { ctx, f, manager } = scene;
    const first = await startWorker('after-mail-smtp-accepted');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/reports/run',
      headers: { authorization: `Bearer ${manager.token}` },
      payload: { clientId: f.clientId, month: FIXTURE_MONTH },
    });
    expect(res.statusCode).toBe(202);
    await killedAtCrashPoint(first, 300_000);
    // Postfix has the CFO's mail (first in sorted order); the ledger still says SENDING
    const inFlight = await ctx.prisma.outboundMail.findMany({ where: { template: 'reports/monthly' } });
    expect(inFlight.map((m) => [m.recipient, m.status])).toEqual([[CFO, 'SENDING']]);

    // The retry reaches the healthy worker once the dead one's heartbeats stop (30 s), not after the
    // activity's 5-minute start-to-close; it can take over the CFO's mail once the dead worker's
    // SMTP lease has expired.
    const healthy = await startWorker('none');
    const handle = ctx.temporal.client.workflow.getHandle(`report-${f.code}-${FIXTURE_MONTH}`);
    const result = await handle.result();
    expect(result.status).toBe('sent');
    // The killed attempt ended by heartbeat timeout (not the 5-minute start-to-close); the retries
    // that came while the dead worker's SMTP lease on the CFO's mail still held (MAIL_SEND_LEASE_MS)
    // were refused as "being sent by another worker", so the last one recorded may be that.
    const [clientSend, internalSend] = (await activityAttempts(handle)).filter((a) => a.activity === 'sendReport');
    expect(clientSend.attempt).toBeGreaterThanOrEqual(2);
    expect(clientSend.previousEnded).toMatch(/^heartbeat$|is being sent by another worker/);
    expect(internalSend).toEqual({ activity: 'sendReport', attempt: 1, previousEnded: null });
    await new Promise((r) => setTimeout(r, 3_000));

    const cfo = await reportMails(CFO);
    expect(cfo).toHaveLength(2);
    expect(cfo[0].messageId).toBe(inFlight[0].messageId);
    expect(cfo[1].messageId).toBe(inFlight[0].messageId);
    expect(cfo.every((m) => m.attachments[0]?.content.subarray(0, 5).toString() === '%PDF-')).toBe(true);
    expect(await reportMails(CLIENT)).toHaveLength(1);
    expect(await reportMails(STAFF)).toHaveLength(1);

    const ledger = await ctx.prisma.outboundMail.findMany({ where: { template: 'reports/monthly' } });
    expect(ledger.map((m) => [m.recipient, m.status]).sort()).toEqual([[CFO, 'SENT'], [CLIENT, 'SENT'], [STAFF, 'SENT']]);
    expect(await ctx.prisma.reportSend.count({ where: { status: 'sent', report: { clientId: f.clientId } } })).toBe(2);

    healthy.child.kill('SIGTERM');
    await healthy.exited;
  }, 720_000);
});
