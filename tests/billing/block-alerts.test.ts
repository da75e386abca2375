import pino from 'pino';
import { createChannelAdapters } from '../../activities/notify/channels';
import { notify, type NotifyDeps } from '../../activities/notify/notification-service';
import { checkBlockAlerts } from '../../activities/billing/block-alerts';
import { addTopUp } from '../../activities/billing/contract-service';
import { recordTimeEntry } from '../../activities/billing/time-entry-service';
import { addTimeEntry } from '../../activities/tickets/ticket-message-service';
import { ticketEffectHandlers } from '../../activities/tickets/ticket-effect-handlers';
import { CHECK_BLOCK_ALERTS } from '../../activities/tickets/ticket-effects';
import { createTestContext, type TestContext } from '../support/context';
import { Receiver } from '../notify/support/receiver';
import { at, billingFixture, system } from './support/fixture';

/**
 * Block usage alerts through the real notification service to a real signed-webhook receiver:
 * 80, 95 and 100 % once each, nothing more on re-checks (also concurrent ones), and a top-up
 * re-arms them for the new total.
 */
describe('block usage alerts (real PostgreSQL, real webhook receiver)', () => {
  let ctx: TestContext;
  let rx: Receiver;
  beforeAll(async () => {
    ctx = await createTestContext();
    rx = await new Receiver().start();
  });
  afterAll(async () => {
    await rx?.close();
    await ctx?.close();
  });

  it('sends 80/95/100 % once each and re-arms for the new total after a top-up', async () => {
    const f = await billingFixture(ctx.prisma);
    const secret = 'whsec_billing_alerts_0123456789';
    const path = `/hook/billing-${f.tag}`;
    await ctx.prisma.notificationRoute.create({ data: { clientId: f.client.id, event: 'contract.block-threshold', channel: 'WEBHOOK', target: rx.webhook(path, secret), secret } });
    const notifyDeps: NotifyDeps = { prisma: ctx.prisma, log: pino({ level: 'silent' }), adapters: createChannelAdapters({ allowPrivateTargets: true, timeoutMs: 5_000 }) };
    const deps = { prisma: ctx.prisma, notify: (input: Parameters<typeof notify>[1]) => notify(notifyDeps, input) };
    const contract = await f.contract({ name: 'Support block', type: 'BLOCK_HOURS', startsOn: '2026-01-01', terms: { overageRateCents: 9000, initialBlock: { quantity: 10, priceCents: 80000 } } });
    const t = await f.ticket('Work');
    let n = 0;
    const work = (minutes: number) => recordTimeEntry(deps, { ticketId: t.id, userId: f.tech.id, minutes, sourceKey: `a-${f.tag}-${n++}`, startedAt: at('2026-03-02T10:00:00Z') });
    const received = () => rx.to(path).map((r) => ({ threshold: r.json.message.fields.threshold, prepaid: r.json.message.fields.prepaidHours, valid: r.signatureValid }));

    await work(479); // 79.8 %
    expect(received()).toEqual([]);
    await work(1); // 80 %
    expect(received()).toEqual([{ threshold: '80 %', prepaid: '10.00', valid: true }]);
    await checkBlockAlerts(deps, contract.id);
    await Promise.all([checkBlockAlerts(deps, contract.id), checkBlockAlerts(deps, contract.id), checkBlockAlerts(deps, contract.id)]);
    expect(received()).toHaveLength(1);
    await work(90); // 95 %
    await work(30); // 100 %
    await work(30); // overage: still 100 %
    expect(received().map((r) => r.threshold)).toEqual(['80 %', '95 %', '100 %']);

    // Top-up of 10 h: 600 of 1200 minutes used (50 %): nothing; at 960 (80 % of the new total) the 80 % alert again.
    await addTopUp(deps, system, contract.id, { quantity: 10, priceCents: 80000, purchasedOn: '2026-03-05', idempotencyKey: 'po-2' });
    expect(received()).toHaveLength(3);
    await work(359);
    expect(received()).toHaveLength(3);
    await work(1);
    expect(received().slice(3)).toEqual([{ threshold: '80 %', prepaid: '20.00', valid: true }]);
    const deliveries = await ctx.prisma.notificationDelivery.findMany({ where: { event: 'contract.block-threshold' }, orderBy: { createdAt: 'asc' } });
    expect(deliveries.map((d) => [d.status, d.idempotencyKey.split(':route-')[0]])).toEqual([
      ['SENT', `contract-${contract.id}:block-total-600:80`],
      ['SENT', `contract-${contract.id}:block-total-600:95`],
      ['SENT', `contract-${contract.id}:block-total-600:100`],
      ['SENT', `contract-${contract.id}:block-total-1200:80`],
    ]);
  });
  it('time booked by email (inside the intake\'s transaction) has its alert sent after the commit by the outbox, once', async () => {
    const f = await billingFixture(ctx.prisma);
    const secret = 'whsec_billing_alerts_mail_0123456789';
    const path = `/hook/billing-mail-${f.tag}`;
    await ctx.prisma.notificationRoute.create({ data: { clientId: f.client.id, event: 'contract.block-threshold', channel: 'WEBHOOK', target: rx.webhook(path, secret), secret } });
    const notifyDeps: NotifyDeps = { prisma: ctx.prisma, log: pino({ level: 'silent' }), adapters: createChannelAdapters({ allowPrivateTargets: true, timeoutMs: 5_000 }) };
    const blockAlerts = { prisma: ctx.prisma, notify: (input: Parameters<typeof notify>[1]) => notify(notifyDeps, input) };
    const contract = await f.contract({ name: 'Mail block', type: 'BLOCK_HOURS', startsOn: '2026-01-01', terms: { overageRateCents: 9000, initialBlock: { quantity: 10, priceCents: 80000 } } });
    const t = await f.ticket('Work by mail');
    // What the intake does for "#time 8h": in its own transaction, nothing sent from inside it.
    await ctx.prisma.$transaction((tx) => addTimeEntry(tx, { ticketId: t.id, userId: f.tech.id, minutes: 480, sourceKey: `mail-${f.tag}` }));
    expect(rx.to(path)).toHaveLength(0);
    const effects = await ctx.prisma.outboxEntry.findMany({ where: { kind: CHECK_BLOCK_ALERTS, payload: { equals: { contractId: contract.id } } } });
    expect(effects).toHaveLength(1);
    const handlers = ticketEffectHandlers({ prisma: ctx.prisma, temporal: ctx.temporal.client, log: ctx.log, blockAlerts });
    // The dispatcher may perform an effect twice (a crash before marking it done): one alert.
    await handlers[CHECK_BLOCK_ALERTS](effects[0].payload);
    await handlers[CHECK_BLOCK_ALERTS](effects[0].payload);
    expect(rx.to(path).map((r) => r.json.message.fields.threshold)).toEqual(['80 %']);
  });
});
