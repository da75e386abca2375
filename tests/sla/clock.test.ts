import {
  addBusinessMinutes,
  alwaysOpen,
  alwaysOpenCalendar,
  businessMinutesBetween,
  CalendarValidationError,
  createSlaClock,
  SlaHorizonError,
  SlaInputError,
  type BusinessCalendar,
  type OpenInterval,
  type SlaPause,
} from '../../workflows/sla';

/** Every expected instant below is worked out by hand and written with its local offset. */
const t = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const officeHours: OpenInterval[] = [
  ['09:00', '12:00'],
  ['14:00', '18:00'],
];
const weekdays = (hours: OpenInterval[]) => ({ mon: hours, tue: hours, wed: hours, thu: hours, fri: hours, sat: [], sun: [] });
const paris: BusinessCalendar = { timezone: 'Europe/Paris', weekly: weekdays(officeHours), holidays: [] };
const newYork: BusinessCalendar = { timezone: 'America/New_York', weekly: weekdays([['08:00', '17:00']]), holidays: [] };
const pause = (from: string, to: string | null, reason = 'waiting for customer'): SlaPause => ({ from: t(from), to: to === null ? null : t(to), reason });

function deadline(calendar: BusinessCalendar, start: string, targetMinutes: number, pauses: SlaPause[] = []): string | null {
  return iso(createSlaClock({ calendar, startAt: t(start), targetMinutes, pauses }).deadlineAt);
}

describe('SLA deadline on business hours (Paris, Mon-Fri 09:00-12:00 and 14:00-18:00)', () => {
  it('carries a Friday 17:30 ticket with a 60-minute target over the weekend to Monday 09:30', () => {
    const clock = createSlaClock({ calendar: paris, startAt: t('2024-06-07T17:30:00+02:00'), targetMinutes: 60 });
    expect(iso(clock.deadlineAt)).toBe(iso(t('2024-06-10T09:30:00+02:00')));
    expect(clock.businessMinutesElapsed(t('2024-06-08T12:00:00+02:00'))).toBe(30);
    expect(clock.remaining(t('2024-06-08T12:00:00+02:00'))).toBe(30);
    expect(clock.thresholdInstants().map((x) => [x.fraction, iso(x.at)])).toEqual([
      [0.5, iso(t('2024-06-07T18:00:00+02:00'))], // half the target is used up at Friday's close
      [0.75, iso(t('2024-06-10T09:15:00+02:00'))],
      [0.9, iso(t('2024-06-10T09:24:00+02:00'))],
      [1, iso(t('2024-06-10T09:30:00+02:00'))],
    ]);
  });

  it('skips a holiday Monday to Tuesday', () => {
    expect(deadline({ ...paris, holidays: ['2024-06-10'] }, '2024-06-07T17:30:00+02:00', 60)).toBe(iso(t('2024-06-11T09:30:00+02:00')));
  });

  it('skips lunch, and ends exactly at closing time when the target runs out then', () => {
    expect(deadline(paris, '2024-06-11T11:30:00+02:00', 60)).toBe(iso(t('2024-06-11T14:30:00+02:00')));
    expect(deadline(paris, '2024-06-07T17:30:00+02:00', 30)).toBe(iso(t('2024-06-07T18:00:00+02:00')));
  });

  it('starts counting at the next opening when created out of hours, to the millisecond', () => {
    expect(deadline(paris, '2024-06-08T10:00:00+02:00', 90)).toBe(iso(t('2024-06-10T10:30:00+02:00')));
    expect(deadline(paris, '2024-06-07T17:30:30.250+02:00', 60)).toBe(iso(t('2024-06-10T09:30:30.250+02:00')));
    expect(deadline(paris, '2024-06-07T17:30:00+02:00', 0.5)).toBe(iso(t('2024-06-07T17:30:30+02:00')));
  });

  it('keeps counting after the deadline: remaining goes negative', () => {
    const clock = createSlaClock({ calendar: paris, startAt: t('2024-06-10T09:00:00+02:00'), targetMinutes: 60 });
    expect(clock.remaining(t('2024-06-10T11:00:00+02:00'))).toBe(-60);
    expect(clock.businessMinutesElapsed(t('2024-06-10T09:00:00+02:00'))).toBe(0);
    expect(clock.businessMinutesElapsed(t('2024-06-09T09:00:00+02:00'))).toBe(0);
  });

  it('finds a deadline 10,000 business minutes away interval by interval, quickly', () => {
    const started = performance.now();
    // 420 minutes a day: 23 full days (June 3 to July 3) make 9,660; 340 more on Thursday July 4
    // are 09:00-12:00 (180) and 14:00-16:40 (160).
    const clock = createSlaClock({ calendar: paris, startAt: t('2024-06-03T09:00:00+02:00'), targetMinutes: 10_000 });
    expect(iso(clock.deadlineAt)).toBe(iso(t('2024-07-04T16:40:00+02:00')));
    expect(clock.businessMinutesElapsed(t('2025-06-03T09:00:00+02:00'))).toBe(261 * 420);
    expect(performance.now() - started).toBeLessThan(250);
  });
});

describe('SLA deadline across DST changes', () => {
  it('Europe/Paris, spring-forward weekend: Friday 17:30 CET + 60 min is Monday 09:30 CEST', () => {
    expect(deadline(paris, '2024-03-29T17:30:00+01:00', 60)).toBe(iso(t('2024-04-01T09:30:00+02:00')));
  });

  it('Europe/Paris, fall-back weekend: Friday 17:30 CEST + 60 min is Monday 09:30 CET', () => {
    expect(deadline(paris, '2024-10-25T17:30:00+02:00', 60)).toBe(iso(t('2024-10-28T09:30:00+01:00')));
  });

  it('America/New_York, both DST weekends (Mon-Fri 08:00-17:00)', () => {
    expect(deadline(newYork, '2024-03-08T16:30:00-05:00', 60)).toBe(iso(t('2024-03-11T08:30:00-04:00')));
    expect(deadline(newYork, '2024-11-01T16:30:00-04:00', 60)).toBe(iso(t('2024-11-04T08:30:00-05:00')));
  });

  it('counts real minutes through the DST night on a 24/7 calendar in the zone', () => {
    // Saturday 23:00 CET + 3 real hours: the clock reads 03:00 CEST, not 02:00.
    expect(deadline(alwaysOpenCalendar('Europe/Paris'), '2024-03-30T23:00:00+01:00', 180)).toBe(iso(t('2024-03-31T03:00:00+02:00')));
    // Saturday 23:00 CEST + 5 real hours, one of them repeated: 03:00 CET.
    expect(deadline(alwaysOpenCalendar('Europe/Paris'), '2024-10-26T23:00:00+02:00', 300)).toBe(iso(t('2024-10-27T03:00:00+01:00')));
    expect(deadline(alwaysOpenCalendar('America/New_York'), '2024-11-02T22:00:00-04:00', 300)).toBe(iso(t('2024-11-03T02:00:00-05:00')));
  });

  it('counts the missing hour as nothing and the repeated hour twice on a night shift', () => {
    const sundayNights: BusinessCalendar = { timezone: 'Europe/Paris', weekly: { ...weekdays([]), sun: [['01:00', '04:00']] }, holidays: [] };
    expect(businessMinutesBetween(sundayNights, t('2024-03-30T12:00:00Z'), t('2024-03-31T12:00:00Z'))).toBe(120);
    expect(businessMinutesBetween(sundayNights, t('2024-10-26T12:00:00Z'), t('2024-10-27T12:00:00Z'))).toBe(240);
    // 150 minutes from the start of the spring night: 60 before the gap, 60 after, then a week later 30.
    expect(deadline(sundayNights, '2024-03-31T01:00:00+01:00', 150)).toBe(iso(t('2024-04-07T01:30:00+02:00')));
  });

  it('runs past midnight and through an interval that ends at 24:00', () => {
    const nights: BusinessCalendar = { timezone: 'Europe/Paris', weekly: { ...weekdays([]), fri: [['20:00', '24:00']], sat: [['00:00', '02:00']] }, holidays: [] };
    expect(deadline(nights, '2024-06-07T23:30:00+02:00', 60)).toBe(iso(t('2024-06-08T00:30:00+02:00')));
    expect(deadline(nights, '2024-06-07T23:30:00+02:00', 150)).toBe(iso(t('2024-06-08T02:00:00+02:00')));
    expect(deadline(nights, '2024-06-07T23:30:00+02:00', 151)).toBe(iso(t('2024-06-14T20:01:00+02:00')));
  });

  it('handles half-hour offsets with DST (Australia/Adelaide, autumn)', () => {
    const adelaide: BusinessCalendar = { timezone: 'Australia/Adelaide', weekly: weekdays([['09:00', '17:00']]), holidays: [] };
    // Friday 16:30 ACDT (+10:30); DST ends Sunday 2024-04-07; Monday 09:30 ACST (+09:30).
    expect(deadline(adelaide, '2024-04-05T16:30:00+10:30', 60)).toBe(iso(t('2024-04-08T09:30:00+09:30')));
  });
});

describe('24/7 calendars (per-priority override, e.g. P1)', () => {
  it('counts every minute, weekends included', () => {
    expect(deadline(alwaysOpen, '2024-06-07T17:30:00+02:00', 60)).toBe(iso(t('2024-06-07T18:30:00+02:00')));
    expect(deadline(alwaysOpen, '2024-06-07T12:00:00Z', 3 * 1440)).toBe('2024-06-10T12:00:00.000Z');
    expect(addBusinessMinutes(alwaysOpen, t('2024-02-28T23:00:00Z'), 120)).toBe(t('2024-02-29T01:00:00Z'));
  });
});

describe('pauses', () => {
  it('stops the clock over a weekend pause on a 24/7 calendar', () => {
    // 6 hours on Friday before the pause, the remaining 4 after Monday 08:00.
    const clock = createSlaClock({
      calendar: alwaysOpen,
      startAt: t('2024-06-07T12:00:00Z'),
      targetMinutes: 600,
      pauses: [pause('2024-06-07T18:00:00Z', '2024-06-10T08:00:00Z')],
    });
    expect(iso(clock.deadlineAt)).toBe('2024-06-10T12:00:00.000Z');
    expect(clock.businessMinutesElapsed(t('2024-06-09T00:00:00Z'))).toBe(360);
  });

  it('a pause over business hours moves the deadline; over closed time it changes nothing', () => {
    // 15 minutes on Friday (17:30-17:45), 45 on Monday from 09:15.
    expect(deadline(paris, '2024-06-07T17:30:00+02:00', 60, [pause('2024-06-07T17:45:00+02:00', '2024-06-10T09:15:00+02:00')])).toBe(
      iso(t('2024-06-10T10:00:00+02:00')),
    );
    expect(deadline(paris, '2024-06-07T17:30:00+02:00', 60, [pause('2024-06-08T10:00:00+02:00', '2024-06-09T10:00:00+02:00')])).toBe(
      iso(t('2024-06-10T09:30:00+02:00')),
    );
  });

  it('moves a threshold that would fall inside a pause to after the resume', () => {
    // Target 240 from Monday 09:00; paused 10:30-14:30. Without the pause 50 % would be 11:00.
    // 90 minutes count before the pause; the other 30 of the 120 from 14:30.
    const clock = createSlaClock({
      calendar: paris,
      startAt: t('2024-06-10T09:00:00+02:00'),
      targetMinutes: 240,
      pauses: [pause('2024-06-10T10:30:00+02:00', '2024-06-10T14:30:00+02:00')],
    });
    expect(clock.thresholdInstants().map((x) => iso(x.at))).toEqual([
      iso(t('2024-06-10T15:00:00+02:00')),
      iso(t('2024-06-10T16:00:00+02:00')),
      iso(t('2024-06-10T16:36:00+02:00')),
      iso(t('2024-06-10T17:00:00+02:00')),
    ]);
    expect(clock.deadlineAt).toBe(t('2024-06-10T17:00:00+02:00'));
  });

  it('a pause starting exactly as a threshold is reached defers it to the first business instant after the resume', () => {
    const start = t('2024-06-10T09:00:00+02:00');
    const halfAt = (pauses: SlaPause[]) => iso(createSlaClock({ calendar: paris, startAt: start, targetMinutes: 240, pauses }).thresholdInstants([0.5])[0].at);
    expect(halfAt([])).toBe(iso(t('2024-06-10T11:00:00+02:00')));
    expect(halfAt([pause('2024-06-10T11:00:00+02:00', '2024-06-10T11:30:00+02:00')])).toBe(iso(t('2024-06-10T11:30:00+02:00')));
    // Resumed during lunch: the first business instant after it is 14:00.
    expect(halfAt([pause('2024-06-10T11:00:00+02:00', '2024-06-10T13:00:00+02:00')])).toBe(iso(t('2024-06-10T14:00:00+02:00')));
    // The same for the deadline itself: paused at Friday's close when the target runs out.
    expect(deadline(paris, '2024-06-07T17:30:00+02:00', 30, [pause('2024-06-07T18:00:00+02:00', '2024-06-08T10:00:00+02:00')])).toBe(
      iso(t('2024-06-10T09:00:00+02:00')),
    );
  });

  it('an open pause (still paused) leaves the deadline unknown: null', () => {
    const clock = createSlaClock({
      calendar: paris,
      startAt: t('2024-06-10T09:00:00+02:00'),
      targetMinutes: 240,
      pauses: [pause('2024-06-10T10:00:00+02:00', null)],
    });
    expect(clock.deadlineAt).toBeNull();
    expect(clock.businessMinutesElapsed(t('2024-12-31T00:00:00Z'))).toBe(60);
    expect(clock.remaining(t('2024-12-31T00:00:00Z'))).toBe(180);
    // 25 % (60 minutes) is reached just as the pause begins, so it waits for a resume too.
    expect(clock.thresholdInstants([0.2, 0.25, 0.5]).map((x) => iso(x.at))).toEqual([iso(t('2024-06-10T09:48:00+02:00')), null, null]);
    // An open pause after the deadline does not hide it.
    expect(deadline(paris, '2024-06-10T09:00:00+02:00', 240, [pause('2024-06-10T16:00:00+02:00', null)])).toBe(iso(t('2024-06-10T15:00:00+02:00')));
  });

  it('merges overlapping pauses and ignores what lies before the start', () => {
    const pauses = [
      pause('2024-06-10T08:00:00+02:00', '2024-06-10T09:30:00+02:00'),
      pause('2024-06-10T10:00:00+02:00', '2024-06-10T11:00:00+02:00'),
      pause('2024-06-10T10:30:00+02:00', '2024-06-10T11:30:00+02:00'),
    ];
    // Counts 09:30-10:00 (30) and 11:30-12:00 (30).
    expect(deadline(paris, '2024-06-10T09:00:00+02:00', 60, pauses)).toBe(iso(t('2024-06-10T12:00:00+02:00')));
    expect(businessMinutesBetween(paris, t('2024-06-10T09:00:00+02:00'), t('2024-06-10T18:00:00+02:00'), pauses)).toBe(7 * 60 - 120);
  });
});

describe('limits and errors', () => {
  it('says so when the calendar never opens within the one-year horizon', () => {
    const mondays: string[] = [];
    for (let day = t('2025-01-06T00:00:00Z'); day < t('2026-02-01T00:00:00Z'); day += 7 * 86_400_000) mondays.push(new Date(day).toISOString().slice(0, 10));
    const onlyMondays: BusinessCalendar = { timezone: 'UTC', weekly: { ...weekdays([]), mon: [['09:00', '10:00']] }, holidays: mondays };
    expect(() => deadline(onlyMondays, '2025-01-01T00:00:00Z', 30)).toThrow(SlaHorizonError);
    expect(() => deadline(onlyMondays, '2025-01-01T00:00:00Z', 30)).toThrow(/no open time at all between 2025-01-01T00:00:00.000Z and 2026-01-02T00:00:00.000Z/);
  });

  it('says so when the target lies beyond the horizon, which counts from the last resume', () => {
    expect(() => deadline(alwaysOpen, '2024-01-01T00:00:00Z', 600_000)).toThrow(/not reached within the 366-day horizon .* only 527040 business minutes count/);
    expect(() => createSlaClock({ calendar: paris, startAt: t('2024-06-10T09:00:00+02:00'), targetMinutes: 600, horizonDays: 1 })).toThrow(SlaHorizonError);
    // Paused for two years: still a deadline.
    expect(deadline(alwaysOpen, '2024-01-01T00:00:00Z', 60, [pause('2024-01-01T00:30:00Z', '2026-01-01T00:00:00Z')])).toBe('2026-01-01T00:30:00.000Z');
  });

  it('rejects bad input, listing every problem', () => {
    expect(() => createSlaClock({ calendar: { ...paris, timezone: 'Nowhere/Land' }, startAt: 0, targetMinutes: 1 })).toThrow(CalendarValidationError);
    let error: unknown;
    try {
      createSlaClock({
        calendar: paris,
        startAt: Number.NaN,
        targetMinutes: -5,
        pauses: [{ from: t('2024-06-10T10:00:00Z'), to: t('2024-06-10T09:00:00Z'), reason: 'x' }, { from: 1e15, to: null, reason: 'year 33658' }],
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SlaInputError);
    expect((error as SlaInputError).problems).toEqual([
      'startAt: must be epoch milliseconds (a finite number)',
      'targetMinutes: must be a finite number of business minutes >= 0',
      'pauses[0]: ends before it starts',
      'pauses[1].from: 1000000000000000 is not an epoch-ms instant between 1900 and 9999',
    ]);
    const clock = createSlaClock({ calendar: paris, startAt: t('2024-06-10T09:00:00+02:00'), targetMinutes: 60 });
    expect(() => clock.thresholdInstants([0.5, -1])).toThrow('thresholds: -1 is not a fraction >= 0');
    expect(() => clock.businessMinutesElapsed(Number.POSITIVE_INFINITY)).toThrow('at: must be epoch milliseconds (a finite number)');
  });
});
