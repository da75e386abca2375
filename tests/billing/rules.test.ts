import fc from 'fast-check';
import { allocateMinutes, orderBlocks, rolloverSplit, type BlockBalance } from '../../lib/billing/allocation';
import { amountCents, roundMinutes } from '../../lib/billing/rounding';
import { termsProblems } from '../../activities/billing/contract-terms';

/** The pure billing rules (no I/O). */
const d = (iso: string) => new Date(`${iso}T00:00:00Z`);
const block = (blockId: string, remaining: number, creditedAt: string, expiresOn: string | null): BlockBalance => ({ blockId, remaining, creditedAt: d(creditedAt), expiresOn: expiresOn ? d(expiresOn) : null });

describe('rounding', () => {
  it.each([
    [7, { incrementMinutes: 0, minimumMinutes: 0 }, 7],
    [7, { incrementMinutes: 15, minimumMinutes: 0 }, 15],
    [15, { incrementMinutes: 15, minimumMinutes: 0 }, 15],
    [16, { incrementMinutes: 15, minimumMinutes: 0 }, 30],
    [7, { incrementMinutes: 15, minimumMinutes: 30 }, 30],
    [40, { incrementMinutes: 15, minimumMinutes: 30 }, 45],
    [10, { incrementMinutes: 0, minimumMinutes: 30 }, 30],
    [0, { incrementMinutes: 15, minimumMinutes: 30 }, 0],
  ])('%i min with %o bills %i', (raw, rule, billed) => expect(roundMinutes(raw, rule)).toBe(billed));

  it('amounts: exact minutes at an hourly rate, rounded to the cent', () => {
    expect(amountCents(5, 9000)).toBe(750);
    expect(amountCents(1, 100)).toBe(2); // 1.666... -> 2
    expect(amountCents(105, 11000)).toBe(19250);
  });
});

describe('allocation across stacked blocks', () => {
  const blocks = [block('b-late', 600, '2026-02-01', '2026-12-31'), block('a-old', 60, '2026-01-01', null), block('c-soon', 120, '2026-03-01', '2026-04-01')];

  it('oldest first, then the next; the rest is overage', () => {
    expect(allocateMinutes(700, blocks, 'oldest-first', d('2026-03-15'))).toEqual({ parts: [{ blockId: 'a-old', minutes: 60 }, { blockId: 'b-late', minutes: 600 }, { blockId: 'c-soon', minutes: 40 }], overageMinutes: 0 });
    expect(allocateMinutes(900, blocks, 'oldest-first', d('2026-03-15')).overageMinutes).toBe(120);
  });

  it('expiring first (never-expiring last); expired blocks are not used', () => {
    expect(orderBlocks(blocks, 'expiring-first').map((b) => b.blockId)).toEqual(['c-soon', 'b-late', 'a-old']);
    expect(allocateMinutes(130, blocks, 'expiring-first', d('2026-03-15')).parts).toEqual([{ blockId: 'c-soon', minutes: 120 }, { blockId: 'b-late', minutes: 10 }]);
    // On its expiry day a block is no longer usable.
    expect(allocateMinutes(130, blocks, 'expiring-first', d('2026-04-01')).parts).toEqual([{ blockId: 'b-late', minutes: 130 }]);
  });

  it('never allocates more than a block has, and allocated + overage = minutes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ remaining: fc.integer({ min: -5, max: 500 }), day: fc.integer({ min: 1, max: 28 }), exp: fc.option(fc.integer({ min: 1, max: 28 })) }), { maxLength: 6 }), fc.integer({ min: 0, max: 3000 }), fc.boolean(), (specs, minutes, expiring) => {
        const bs = specs.map((s, i) => block(`b${i}`, s.remaining, `2026-01-${String(s.day).padStart(2, '0')}`, s.exp === null ? null : `2026-02-${String(s.exp).padStart(2, '0')}`));
        const r = allocateMinutes(minutes, bs, expiring ? 'expiring-first' : 'oldest-first', d('2026-02-10'));
        const sum = r.parts.reduce((s, p) => s + p.minutes, 0);
        expect(sum + r.overageMinutes).toBe(minutes);
        for (const p of r.parts) {
          const b = bs.find((x) => x.blockId === p.blockId)!;
          expect(p.minutes).toBeGreaterThan(0);
          expect(p.minutes).toBeLessThanOrEqual(b.remaining);
          expect(b.expiresOn === null || b.expiresOn > d('2026-02-10')).toBe(true);
        }
      }),
    );
  });

  it('rollover keeps up to the cap', () => {
    expect(rolloverSplit(300, 120)).toEqual({ carried: 120, expired: 300 });
    expect(rolloverSplit(100, 120)).toEqual({ carried: 100, expired: 100 });
    expect(rolloverSplit(0, 120)).toEqual({ carried: 0, expired: 0 });
  });
});

describe('contract terms', () => {
  it('lists every problem with its path', () => {
    expect(termsProblems('MONTHLY_FIXED', { plan: 'gold', deviceCount: -1, surprise: true })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^terms\.plan:/), expect.stringMatching(/^terms\.deviceCount:/), expect.stringMatching(/^terms\.monthlyPriceCents:/), expect.stringMatching(/^terms: .*surprise/)]),
    );
    expect(termsProblems('TIME_AND_MATERIALS', { hourlyRateCents: 9000, rounding: { incrementMinutes: 15 } })).toEqual([]);
    expect(termsProblems('BLOCK_HOURS', { overageRateCents: 1, rollover: { maxMinutes: 60 } })).toEqual([expect.stringMatching(/^terms\.rollover\.validMonths:/)]);
  });
});
