/**
 * How long the ticket workflow sleeps before its next SLA instant.
 *
 * A Temporal timer's duration is computed from the start of the workflow task that sets it, but
 * the timer only starts when that task completes. A timer set while the worker is busy (e.g. while
 * thousands of tickets are being started) therefore fires late by however long that task took,
 * even if the worker is idle when the deadline comes. So a long wait is split in two: sleep until
 * PRE_WAKE_LEAD_MS before the instant, wake (one cheap workflow task, nothing due yet), then set a
 * short exact timer from a fresh clock. The lateness then reflects the load at the deadline, not
 * the load when the ticket was opened.
 */
export const PRE_WAKE_LEAD_MS = 15_000;

export function wakeDelayMs(next: number, now: number, preWake: boolean): number {
  const remaining = next - now;
  if (!preWake || remaining <= 2 * PRE_WAKE_LEAD_MS) return Math.max(1, remaining);
  return remaining - PRE_WAKE_LEAD_MS;
}
