import { PRE_WAKE_LEAD_MS, wakeDelayMs } from '../../workflows/incident/wake-timer';

describe('SLA wake timer', () => {
  const now = 1_000_000;

  it('splits a long wait: wakes PRE_WAKE_LEAD_MS early, then exactly on the instant', () => {
    const next = now + 10 * 60_000;
    const first = wakeDelayMs(next, now, true);
    expect(first).toBe(10 * 60_000 - PRE_WAKE_LEAD_MS);
    // Woken a little late (the worker was busy): the second timer still aims at the instant.
    const wokeAt = now + first + 700;
    expect(wakeDelayMs(next, wokeAt, true)).toBe(PRE_WAKE_LEAD_MS - 700);
  });

  it('sets a short wait exactly, with no pre-wake', () => {
    expect(wakeDelayMs(now + 2 * PRE_WAKE_LEAD_MS, now, true)).toBe(2 * PRE_WAKE_LEAD_MS);
    expect(wakeDelayMs(now + 5_000, now, true)).toBe(5_000);
  });

  it('fires at once for an instant already passed', () => {
    expect(wakeDelayMs(now - 5_000, now, true)).toBe(1);
  });

  it('keeps the single long timer for workflows recorded before the patch', () => {
    expect(wakeDelayMs(now + 10 * 60_000, now, false)).toBe(10 * 60_000);
  });
});
