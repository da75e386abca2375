import { mspKpis } from '../../activities/billing/kpi-service';
import { recordTimeEntry } from '../../activities/billing/time-entry-service';
import { createTestContext, type TestContext } from '../support/context';
import { at, billingFixture } from './support/fixture';

/** The MSP's monthly figures on real PostgreSQL, hand-computed. */
describe('KPIs (real PostgreSQL)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('MRR/ARR, revenue per client and technician, tickets per day/week/month, billed hours, tasks per technician', async () => {
    const fixed = await billingFixture(ctx.prisma);
    const tm = await billingFixture(ctx.prisma);
    await fixed.contract({ name: 'Best plan', type: 'MONTHLY_FIXED', startsOn: '2026-01-01', terms: { plan: 'best', deviceCount: 40, monthlyPriceCents: 200000 } });
    // Ended before March: not in March's MRR.
    await fixed.contract({ name: 'Old plan', type: 'MONTHLY_FIXED', startsOn: '2025-01-01', endsOn: '2026-02-28', terms: { plan: 'good', deviceCount: 10, monthlyPriceCents: 50000 } });
    await tm.contract({ name: 'T&M', type: 'TIME_AND_MATERIALS', startsOn: '2026-01-01', terms: { hourlyRateCents: 12000, rounding: { incrementMinutes: 15 } } });
    const other = await ctx.prisma.user.create({ data: { email: `other-${tm.tag}@msp.test`, name: 'Omar', role: 'TECHNICIAN' } });

    // Tickets opened: 2 on Mon 2 March, 1 on Wed 4 March, 1 on Mon 9 March (plus one in February, not counted).
    const opened = async (fx: typeof fixed, iso: string) => {
      const t = await fx.ticket(`opened ${iso}`);
      return ctx.prisma.ticket.update({ where: { id: t.id }, data: { createdAt: at(iso) } });
    };
    const t1 = await opened(tm, '2026-03-02T08:00:00Z');
    const t2 = await opened(tm, '2026-03-02T15:00:00Z');
    await opened(fixed, '2026-03-04T10:00:00Z');
    const t4 = await opened(fixed, '2026-03-09T10:00:00Z');
    await opened(fixed, '2026-02-27T10:00:00Z');

    const rec = (userId: string, ticketId: number, minutes: number, key: string) => recordTimeEntry({ prisma: ctx.prisma }, { ticketId, userId, minutes, sourceKey: key, startedAt: at('2026-03-10T09:00:00Z') });
    await rec(tm.tech.id, t1.id, 50, `k-${tm.tag}-1`); // 60 min at 120.00 = 120.00
    await rec(tm.tech.id, t2.id, 30, `k-${tm.tag}-2`); // 30 min = 60.00
    await rec(other.id, t1.id, 10, `k-${tm.tag}-3`); // 15 min = 30.00
    await rec(fixed.tech.id, t4.id, 45, `k-${tm.tag}-4`); // included in the fixed fee: 45 min, 0.00

    const k = await mspKpis(ctx.prisma, '2026-03');
    expect(k.mrrCents).toBe(200000);
    expect(k.arrCents).toBe(2400000);
    expect(k.revenuePerClient.map((r) => [r.clientId, r.revenueCents]).sort()).toEqual(
      [
        [fixed.client.id, 200000],
        [tm.client.id, 12000 + 6000 + 3000],
      ].sort(),
    );
    expect(k.revenuePerTechnician.map((r) => [r.userId, r.billedMinutes, r.revenueCents])).toEqual([
      [tm.tech.id, 90, 18000],
      [other.id, 15, 3000],
      [fixed.tech.id, 45, 0],
    ]);
    expect(k.tickets).toEqual({
      month: 4,
      perDay: [
        { day: '2026-03-02', count: 2 },
        { day: '2026-03-04', count: 1 },
        { day: '2026-03-09', count: 1 },
      ],
      perWeek: [
        { weekStart: '2026-03-02', count: 3 },
        { weekStart: '2026-03-09', count: 1 },
      ],
    });
    expect(k.billedHoursPerClient.map((r) => [r.clientId, r.minutes, r.hours])).toEqual([
      [tm.client.id, 105, 1.75],
      [fixed.client.id, 45, 0.75],
    ]);
    expect(k.tasksPerTechnician.map((r) => [r.userId, r.tickets, r.entries])).toEqual(
      expect.arrayContaining([
        [tm.tech.id, 2, 2],
        [other.id, 1, 1],
        [fixed.tech.id, 1, 1],
      ]),
    );
    expect(k.tasksPerTechnician[0].userId).toBe(tm.tech.id);
  });
});
