import { applyOutcomes, initRings, maxFailuresFor, needsApproval, newCarry } from '../../workflows/rollout/rollout-state';
import { windowAt } from '../../workflows/rollout/window';
import { localToUtc, WEEKDAYS, type BusinessCalendar } from '../../workflows/sla/calendar';
import { approvalReplyEntity, parseApprovalReplyEntity } from '../../workflows/rollout/definitions';

/** Pure rollout decisions: thresholds, approvals, outcomes, maintenance windows. */
describe('ring thresholds and approvals', () => {
  it('tolerates floor(rate × size) failures (default 10 %)', () => {
    expect(maxFailuresFor(10, 0.1)).toBe(1);
    expect(maxFailuresFor(5, undefined)).toBe(0);
    expect(maxFailuresFor(1000, 0.05)).toBe(50);
    expect(maxFailuresFor(3, 1)).toBe(3);
  });

  it('gates every ring but the first unless told otherwise', () => {
    expect(needsApproval({ name: 'canary' }, 0)).toBe(false);
    expect(needsApproval({ name: 'pilot' }, 1)).toBe(true);
    expect(needsApproval({ name: 'pilot', approval: false }, 1)).toBe(false);
    expect(needsApproval({ name: 'canary', approval: true }, 0)).toBe(true);
  });

  it('counts outcomes, keeps offline devices for catch-up, hands deferred back, reports a breach', () => {
    const carry = newCarry();
    const [ring] = initRings([{ name: 'canary', maxFailureRate: 0.2 }], { canary: 5 });
    const first = applyOutcomes(carry, ring, [
      { deviceId: 'a', state: 'succeeded' },
      { deviceId: 'b', state: 'failed', reason: 'install: exit 1' },
      { deviceId: 'c', state: 'offline' },
      { deviceId: 'd', state: 'deferred' },
    ]);
    expect(first).toEqual({ deferred: ['d'], breached: false });
    expect(ring).toMatchObject({ succeeded: 1, failed: 1, offline: 1, maxFailures: 1 });
    expect(carry.offline).toEqual(['c']);
    expect(applyOutcomes(carry, ring, [{ deviceId: 'e', state: 'failed' }]).breached).toBe(true);
    ring.thresholdOverridden = true;
    expect(applyOutcomes(carry, ring, [{ deviceId: 'd', state: 'failed' }]).breached).toBe(false);
  });
});

describe('maintenance windows', () => {
  const weekly = (day: string, from: string, to: string) =>
    Object.fromEntries(WEEKDAYS.map((d) => [d, d === day ? [[from, to]] : []])) as unknown as BusinessCalendar['weekly'];

  it('is always open without a calendar', () => {
    expect(windowAt(null, 0)).toEqual({ open: true, closesAt: Number.POSITIVE_INFINITY });
  });

  it('finds the next opening in the calendar time zone, and when an open window closes', () => {
    const cal: BusinessCalendar = { timezone: 'America/New_York', weekly: weekly('sat', '22:00', '24:00'), holidays: [] };
    const friday = Date.parse('2026-11-20T12:00:00Z');
    expect(windowAt(cal, friday)).toEqual({ open: false, opensAt: localToUtc('America/New_York', '2026-11-21', '22:00') });
    const inside = localToUtc('America/New_York', '2026-11-21', '23:00');
    expect(windowAt(cal, inside)).toEqual({ open: true, closesAt: localToUtc('America/New_York', '2026-11-22', '00:00') });
  });

  it('skips holidays and crosses DST correctly', () => {
    const cal: BusinessCalendar = { timezone: 'Europe/Paris', weekly: weekly('sun', '02:00', '04:00'), holidays: ['2026-03-22'] };
    // 29 March 2026: clocks jump from 02:00 to 03:00 in Paris; the window is then 03:00-04:00 CEST.
    const opens = windowAt(cal, Date.parse('2026-03-20T00:00:00Z'));
    expect(opens).toEqual({ open: false, opensAt: Date.parse('2026-03-29T01:00:00Z') });
  });
});

test('approval reply tokens name one ring of one rollout, and only well-formed ones parse', () => {
  const id = '0b6c1f4e-1d2a-4c3b-9a8e-7f6d5c4b3a21';
  expect(approvalReplyEntity(id, 2)).toBe(`${id}-2`);
  expect(parseApprovalReplyEntity(approvalReplyEntity(id, 2))).toEqual({ rolloutId: id, ringIndex: 2 });
  expect(parseApprovalReplyEntity(id)).toBeNull();
  expect(parseApprovalReplyEntity(`${id}-x`)).toBeNull();
  expect(parseApprovalReplyEntity(`42-1`)).toBeNull();
});
