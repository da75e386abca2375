import { addTopUp, expireBlocks, updateBillingContract } from '../../activities/billing/contract-service';
import { summarizeConsumption } from '../../activities/billing/consumption-summary';
import { computeInvoiceLines } from '../../activities/billing/invoice-lines';
import { LEDGER_TX, allocateTimeEntryTx, blockBalances } from '../../activities/billing/ledger-service';
import { correctTimeEntry, recordTimeEntry } from '../../activities/billing/time-entry-service';
import { addTimeEntry } from '../../activities/tickets/ticket-message-service';
import { createTestContext, type TestContext } from '../support/context';
import { at, billingFixture, system } from './support/fixture';

/**
 * The consumption ledger on real PostgreSQL, with hand-computed fixtures. Block contract: 10 h
 * bought on 1 Jan (800.00), 5 h topped up on 1 Feb (400.00), oldest block first, rounding up to
 * 15 min with a 30 min minimum, overage 90.00/h, out of scope 120.00/h.
 */
describe('contract ledger (real PostgreSQL)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const deps = () => ({ prisma: ctx.prisma });

  async function blockSetup() {
    const f = await billingFixture(ctx.prisma);
    const contract = await f.contract({
      name: 'Prepaid support',
      type: 'BLOCK_HOURS',
      startsOn: '2026-01-01',
      terms: {
        overageRateCents: 9000,
        outOfScopeRateCents: 12000,
        consumptionOrder: 'oldest-first',
        rounding: { incrementMinutes: 15, minimumMinutes: 30 },
        initialBlock: { quantity: 10, priceCents: 80000 },
      },
    });
    const topUp = await addTopUp(deps(), system, contract.id, { quantity: 5, priceCents: 40000, purchasedOn: '2026-02-01', idempotencyKey: 'po-42' });
    return { ...f, contract, topUp };
  }

  it('consumes stacked blocks oldest first, rounds per contract, overflows into overage, and summarises the month', async () => {
    const f = await blockSetup();
    const vpn = await f.ticket('VPN down', { category: 'network' });
    const mail = await f.ticket('Mailbox full', { category: 'm365', contactId: f.contact2.id });
    const rec = (sourceKey: string, ticketId: number, minutes: number, iso: string, extra: object = {}) =>
      recordTimeEntry(deps(), { ticketId, userId: f.tech.id, minutes, sourceKey, startedAt: at(iso), ...extra });

    const e1 = await rec('e1', vpn.id, 7, '2026-03-02T09:00:00Z', { domain: 'network' }); // 7 -> 30 (minimum)
    const e2 = await rec('e2', vpn.id, 40, '2026-03-03T09:00:00Z'); // 40 -> 45
    const e3 = await rec('e3', mail.id, 600, '2026-03-10T09:00:00Z'); // 600: 525 left in block 1, 75 from block 2
    const e4 = await rec('e4', mail.id, 300, '2026-03-17T09:00:00Z'); // 300: 225 left in block 2, 75 overage
    await rec('e5', vpn.id, 20, '2026-03-18T09:00:00Z', { billable: false }); // non-billable, raw
    await rec('e6', vpn.id, 50, '2026-03-19T09:00:00Z', { outOfScope: true }); // 50 -> 60 out of scope

    expect(e1.entry.minutes).toBe(7); // raw minutes kept on the entry
    expect(e1.entry.category).toBe('network'); // from the ticket
    expect(e1.entry.contractId).toBe(f.contract.id); // the contract in force
    expect(e1.allocation.rows.map((r) => [r.kind, r.minutes])).toEqual([['BLOCK_CONSUMPTION', -30]]);
    expect(e2.allocation.billedMinutes).toBe(45);
    const initialBlock = (await blockBalances(ctx.prisma, f.contract.id))[0].blockId;
    const topUpBlock = f.topUp.row.id;
    const split = (rows: typeof e3.allocation.rows) => rows.map((r) => ({ kind: r.kind, block: r.blockId, minutes: r.minutes })).sort((a, b) => a.minutes - b.minutes);
    expect(split(e3.allocation.rows)).toEqual(split([{ kind: 'BLOCK_CONSUMPTION', blockId: initialBlock, minutes: -525 }, { kind: 'BLOCK_CONSUMPTION', blockId: topUpBlock, minutes: -75 }] as never));
    expect(split(e4.allocation.rows)).toEqual(split([{ kind: 'BLOCK_CONSUMPTION', blockId: topUpBlock, minutes: -225 }, { kind: 'OVERAGE', blockId: null, minutes: -75 }] as never));
    expect((await blockBalances(ctx.prisma, f.contract.id)).map((b) => b.remaining)).toEqual([0, 0]);

    const march = await summarizeConsumption(ctx.prisma, f.client.id, at('2026-03-01T00:00:00Z'), at('2026-04-01T00:00:00Z'));
    expect(march.contracts).toHaveLength(1);
    expect(march.contracts[0]).toMatchObject({ type: 'BLOCK_HOURS', plannedMinutes: 900, consumedMinutesInPeriod: 30 + 45 + 600 + 300, consumedMinutesToDate: 975, remainingMinutes: 0 });
    expect(march.contracts[0].weekly.map((w) => [w.weekStart, w.minutes])).toEqual([
      ['2026-02-23', 0],
      ['2026-03-02', 75],
      ['2026-03-09', 600],
      ['2026-03-16', 300],
      ['2026-03-23', 0],
      ['2026-03-30', 0],
    ]);
    // 900 minutes over a contract of 52 weeks (no end date)
    expect(march.contracts[0].weekly[0].averageLine).toBeCloseTo(900 / 52, 2);
    expect(march.billableMinutes).toBe(975 + 60);
    expect(march.nonBillableMinutes).toBe(20);
    expect(march.outOfScopeMinutes).toBe(60);
    expect(march.byCategory.map((c) => [c.key, c.minutes, c.ticketIds])).toEqual([
      ['m365', 900, [mail.id]],
      ['network', 30 + 45 + 20 + 60, [vpn.id]],
    ]);
    expect(march.byRequester.map((c) => [c.key, c.minutes])).toEqual([
      [`Bob <${f.contact2.email}>`, 900],
      [`Alice <${f.contact.email}>`, 155],
    ]);
    expect(march.bySubsidiary.map((c) => [c.key, c.minutes])).toEqual([
      ['head office', 900],
      ['Lyon', 155],
    ]);
    expect(march.byDomain.map((c) => [c.key, c.minutes])).toEqual([
      ['unspecified', 1025],
      ['network', 30],
    ]);
    // Overage 75 min at 90.00/h = 112.50; out of scope 60 min at 120.00/h = 120.00.
    expect(march.revenueCents).toBe(11250 + 12000);

    const feb = await computeInvoiceLines(ctx.prisma, f.client.id, at('2026-02-01T00:00:00Z'), at('2026-03-01T00:00:00Z'), new Date());
    expect(feb.map((l) => [l.kind, l.amountCents])).toEqual([['BLOCK_PURCHASE', 40000]]);
    const jan = await computeInvoiceLines(ctx.prisma, f.client.id, at('2026-01-01T00:00:00Z'), at('2026-02-01T00:00:00Z'), new Date());
    expect(jan.map((l) => [l.kind, l.amountCents])).toEqual([['BLOCK_PURCHASE', 80000]]);
  });

  it('never double-consumes: a repeated entry, five concurrent allocations of one entry, and racing entries on the last minutes', async () => {
    const f = await blockSetup(); // 900 minutes prepaid
    const t = await f.ticket('Server patching');
    const first = await recordTimeEntry(deps(), { ticketId: t.id, userId: f.tech.id, minutes: 60, sourceKey: 'dup-1', startedAt: at('2026-03-02T10:00:00Z') });
    const again = await recordTimeEntry(deps(), { ticketId: t.id, userId: f.tech.id, minutes: 60, sourceKey: 'dup-1', startedAt: at('2026-03-02T10:00:00Z') });
    expect(again.created).toBe(false);
    expect(again.entry.id).toBe(first.entry.id);
    const race = await Promise.all(Array.from({ length: 5 }, () => ctx.prisma.$transaction((tx) => allocateTimeEntryTx(tx, first.entry.id), LEDGER_TX)));
    expect(race.every((r) => r.status === 'already-allocated')).toBe(true);
    expect(await ctx.prisma.contractLedgerEntry.count({ where: { timeEntryId: first.entry.id } })).toBe(1);

    // 840 minutes left: eight entries of 120 minutes recorded at once can use 840 of the blocks, the rest is overage.
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => recordTimeEntry(deps(), { ticketId: t.id, userId: f.tech.id, minutes: 120, sourceKey: `race-${i}`, startedAt: at('2026-03-03T10:00:00Z') })),
    );
    expect(results.every((r) => r.created)).toBe(true);
    const sums = await ctx.prisma.contractLedgerEntry.groupBy({ by: ['kind'], where: { contractId: f.contract.id, kind: { in: ['BLOCK_CONSUMPTION', 'OVERAGE'] } }, _sum: { minutes: true } });
    expect(Object.fromEntries(sums.map((s) => [s.kind, s._sum.minutes]))).toEqual({ BLOCK_CONSUMPTION: -900, OVERAGE: -(60 + 960 - 900) });
    expect((await blockBalances(ctx.prisma, f.contract.id)).every((b) => b.remaining === 0)).toBe(true);
  });

  it('corrects an entry with reversing rows (never an update) and keeps the earlier answer for asOf before the correction', async () => {
    const f = await blockSetup();
    const t = await f.ticket('Printer');
    const original = await recordTimeEntry(deps(), { ticketId: t.id, userId: f.tech.id, minutes: 120, sourceKey: 'c-1', startedAt: at('2026-03-05T10:00:00Z') });
    const beforeCorrection = new Date();
    await new Promise((r) => setTimeout(r, 20));
    const corrected = await correctTimeEntry(deps(), system, original.entry.id, { minutes: 60, reason: 'typo', idempotencyKey: 'fix-1' });
    expect(corrected.created).toBe(true);
    expect(corrected.entry.correctsId).toBe(original.entry.id);
    const replay = await correctTimeEntry(deps(), system, original.entry.id, { minutes: 60, reason: 'typo', idempotencyKey: 'fix-1' });
    expect(replay.entry.id).toBe(corrected.entry.id);
    await expect(correctTimeEntry(deps(), system, original.entry.id, { minutes: 30, reason: 'again' })).rejects.toMatchObject({ status: 409 });

    const rows = await ctx.prisma.contractLedgerEntry.findMany({ where: { timeEntryId: { in: [original.entry.id, corrected.entry.id] } }, orderBy: { recordedAt: 'asc' } });
    expect(rows.map((r) => [r.timeEntryId === original.entry.id ? 'orig' : 'new', r.minutes, r.reversesId ? 'reversal' : ''])).toEqual([
      ['orig', -120, ''],
      ['orig', 120, 'reversal'],
      ['new', -60, ''],
    ]);
    const period = [at('2026-03-01T00:00:00Z'), at('2026-04-01T00:00:00Z')] as const;
    expect((await summarizeConsumption(ctx.prisma, f.client.id, ...period)).contracts[0].consumedMinutesInPeriod).toBe(60);
    const earlier = await summarizeConsumption(ctx.prisma, f.client.id, ...period, { asOf: beforeCorrection });
    expect(earlier.contracts[0].consumedMinutesInPeriod).toBe(120);
    expect(earlier.byCategory[0].timeEntryIds).toEqual([original.entry.id]);

    // The ledger itself refuses edits.
    await expect(ctx.prisma.contractLedgerEntry.updateMany({ where: { id: rows[0].id }, data: { minutes: 0 } })).rejects.toThrow(/append-only/);
    await expect(ctx.prisma.contractLedgerEntry.deleteMany({ where: { id: rows[0].id } })).rejects.toThrow(/append-only/);
  });

  it('expires a block and rolls over up to the cap into a new block that is consumed next; expiring-first order', async () => {
    const f = await billingFixture(ctx.prisma);
    const contract = await f.contract({
      name: 'Days block',
      type: 'BLOCK_HOURS',
      startsOn: '2026-01-01',
      terms: {
        unit: 'days',
        minutesPerDay: 480,
        overageRateCents: 80000 / 8,
        consumptionOrder: 'expiring-first',
        initialBlock: { quantity: 1, priceCents: 60000, expiresOn: '2026-04-01' },
        rollover: { maxMinutes: 120, validMonths: 3 },
      },
    });
    // A later top-up that expires later than the initial block: the initial one goes first anyway.
    const late = await addTopUp(deps(), system, contract.id, { quantity: 1, priceCents: 60000, purchasedOn: '2026-02-01', expiresOn: '2026-12-31', idempotencyKey: 't1' });
    const again = await addTopUp(deps(), system, contract.id, { quantity: 1, priceCents: 60000, purchasedOn: '2026-02-01', expiresOn: '2026-12-31', idempotencyKey: 't1' });
    expect(again.created).toBe(false);
    const t = await f.ticket('Migration');
    await recordTimeEntry(deps(), { ticketId: t.id, userId: f.tech.id, minutes: 180, sourceKey: 'r-1', startedAt: at('2026-03-10T10:00:00Z') });
    const [initial] = await blockBalances(ctx.prisma, contract.id);
    expect(initial.remaining).toBe(300);

    const written = await expireBlocks(deps(), system, contract.id, at('2026-04-01T00:00:00Z'));
    expect(written.map((r) => [r.kind, r.minutes, r.expiresOn?.toISOString().slice(0, 10) ?? null])).toEqual([
      ['BLOCK_EXPIRY', -300, null],
      ['BLOCK_CREDIT', 120, '2026-07-01'],
    ]);
    expect(await expireBlocks(deps(), system, contract.id, at('2026-04-02T00:00:00Z'))).toEqual([]);
    // April: the rolled-over block expires first (July), so it is used before the December top-up.
    const april = await recordTimeEntry(deps(), { ticketId: t.id, userId: f.tech.id, minutes: 150, sourceKey: 'r-2', startedAt: at('2026-04-10T10:00:00Z') });
    const rollover = written[1].id;
    expect(april.allocation.rows.map((r) => [r.blockId, r.minutes]).sort()).toEqual([[late.row.id, -30], [rollover, -120]].sort());
    const summary = await summarizeConsumption(ctx.prisma, f.client.id, at('2026-04-01T00:00:00Z'), at('2026-05-01T00:00:00Z'));
    // Planned: 480 + 480 bought, 300 expired, 120 rolled over = 780; consumed to date 180 + 150.
    expect(summary.contracts[0]).toMatchObject({ plannedMinutes: 780, consumedMinutesInPeriod: 150, consumedMinutesToDate: 330, remainingMinutes: 450 });
  });

  it('without the explicit call, the first work after a block expired writes it off and rolls it over first', async () => {
    const f = await billingFixture(ctx.prisma);
    const contract = await f.contract({
      name: 'Hours block',
      type: 'BLOCK_HOURS',
      startsOn: '2026-01-01',
      terms: { overageRateCents: 6000, initialBlock: { quantity: 5, priceCents: 30000, expiresOn: '2026-04-01' }, rollover: { maxMinutes: 60, validMonths: 1 } },
    });
    const t = await f.ticket('Late work');
    await recordTimeEntry(deps(), { ticketId: t.id, userId: f.tech.id, minutes: 100, sourceKey: `lazy-${f.tag}-1`, startedAt: at('2026-03-31T16:00:00Z') });
    const april = await recordTimeEntry(deps(), { ticketId: t.id, userId: f.tech.id, minutes: 90, sourceKey: `lazy-${f.tag}-2`, startedAt: at('2026-04-02T09:00:00Z') });
    // 300 - 100 = 200 left on 1 April: written off, 60 rolled over (valid to 1 May); April's 90 min: 60 from it, 30 overage.
    const rows = await ctx.prisma.contractLedgerEntry.findMany({ where: { contractId: contract.id, kind: { in: ['BLOCK_EXPIRY', 'BLOCK_CREDIT'] } }, orderBy: { occurredAt: 'asc' } });
    expect(rows.map((r) => [r.kind, r.minutes, r.expiresOn?.toISOString().slice(0, 10) ?? null])).toEqual([
      ['BLOCK_CREDIT', 300, '2026-04-01'],
      ['BLOCK_EXPIRY', -200, null],
      ['BLOCK_CREDIT', 60, '2026-05-01'],
    ]);
    expect(april.allocation.rows.map((r) => [r.kind, r.minutes]).sort()).toEqual([['BLOCK_CONSUMPTION', -60], ['OVERAGE', -30]].sort());
  });

  it('a contract with free-form terms (made before billing) records entries unbooked; fixing its terms books them', async () => {
    const f = await billingFixture(ctx.prisma);
    const legacy = await ctx.prisma.contract.create({ data: { clientId: f.client.id, name: 'Gold', type: 'TIME_AND_MATERIALS', startsOn: new Date('2026-01-01'), terms: { plan: 'gold' } } });
    const t = await f.ticket('Legacy');
    const r = await recordTimeEntry(deps(), { ticketId: t.id, userId: f.tech.id, minutes: 20, sourceKey: `legacy-${f.tag}`, startedAt: at('2026-03-02T09:00:00Z') });
    expect(r.allocation.status).toBe('terms-invalid');
    expect(r.entry.contractId).toBe(legacy.id);
    await expect(updateBillingContract(deps(), system, legacy.id, { terms: { hourlyRateCents: 'a lot' } })).rejects.toMatchObject({ status: 400 });
    await updateBillingContract(deps(), system, legacy.id, { terms: { hourlyRateCents: 6000, rounding: { incrementMinutes: 15 } } });
    const rows = await ctx.prisma.contractLedgerEntry.findMany({ where: { timeEntryId: r.entry.id } });
    expect(rows.map((x) => [x.kind, x.minutes])).toEqual([['HOURLY', -30]]);
  });

  it('the action the email intake calls for #time gets the category, the contract, its billable default and books it once', async () => {
    const f = await billingFixture(ctx.prisma);
    const contract = await f.contract({ name: 'T&M', type: 'TIME_AND_MATERIALS', startsOn: '2020-01-01', terms: { hourlyRateCents: 9000, billableByDefault: false } });
    const t = await f.ticket('Mail by email', { category: 'email' });
    const key = `inbound-${f.tag}:time`;
    for (let i = 0; i < 2; i++) await ctx.prisma.$transaction((tx) => addTimeEntry(tx, { ticketId: t.id, userId: f.tech.id, minutes: 15, sourceKey: key, note: 'by email' }), LEDGER_TX);
    const entries = await ctx.prisma.timeEntry.findMany({ where: { ticketId: t.id } });
    expect(entries).toEqual([expect.objectContaining({ minutes: 15, category: 'email', contractId: contract.id, billable: false, sourceKey: key })]);
    const rows = await ctx.prisma.contractLedgerEntry.findMany({ where: { timeEntryId: entries[0].id } });
    expect(rows.map((r) => [r.kind, r.minutes])).toEqual([['NON_BILLABLE', -15]]);
  });
});
