import {
  alwaysOpen,
  alwaysOpenCalendar,
  assertValidCalendar,
  CalendarValidationError,
  isOpenAt,
  localToUtc,
  openRangesBetween,
  toLocalDateTime,
  utcOffsetAt,
  validateCalendar,
  type BusinessCalendar,
  type OpenInterval,
} from '../../workflows/sla';

const officeHours: OpenInterval[] = [
  ['09:00', '12:00'],
  ['14:00', '18:00'],
];
const paris: BusinessCalendar = {
  timezone: 'Europe/Paris',
  weekly: { mon: officeHours, tue: officeHours, wed: officeHours, thu: officeHours, fri: officeHours, sat: [], sun: [] },
  holidays: ['2024-05-01', '2024-12-25'],
};

/** Only Sundays, with the given hours: for looking at one DST night. */
function sundays(timezone: string, ...intervals: OpenInterval[]): BusinessCalendar {
  return { timezone, weekly: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: intervals }, holidays: [] };
}

const t = (iso: string) => Date.parse(iso);
const isoRanges = (ranges: Array<[number, number]>) => ranges.map(([a, b]) => [new Date(a).toISOString(), new Date(b).toISOString()]);

describe('calendar validation', () => {
  it('accepts a well-formed calendar, "24:00" ends and touching intervals', () => {
    expect(validateCalendar(paris)).toEqual([]);
    expect(validateCalendar(alwaysOpen)).toEqual([]);
    const nightShift = { ...paris, weekly: { ...paris.weekly, fri: [['08:00', '12:00'], ['12:00', '24:00']], sat: [['00:00', '06:00']] } };
    expect(validateCalendar(nightShift)).toEqual([]);
  });

  it('reports every problem at once, each saying where and what', () => {
    const bad = {
      timezone: 'Europe/Pariss',
      weekly: {
        mon: [['09:00', '12:00'], ['11:00', '13:00']],
        tue: [['14:00', '18:00'], ['09:00', '12:00']],
        wed: [['9:00', '12:00']],
        thu: [['25:00', '26:00']],
        fri: [['24:00', '24:00']],
        sat: [['12:00', '08:00']],
        sunday: [],
      },
      holidays: ['2024-02-30', '2024-13-01', '20240101', '2024-02-29'],
    };
    const problems = validateCalendar(bad);
    expect(problems).toEqual([
      'timezone: "Europe/Pariss" is not a time zone Intl knows; use an IANA name such as "Europe/Paris"',
      'weekly: unknown day "sunday" (days are mon, tue, wed, thu, fri, sat, sun)',
      'weekly.mon[1]: "11:00"-"13:00" overlaps "09:00"-"12:00"',
      'weekly.tue[1]: "09:00"-"12:00" is not sorted; it must come before "14:00"-"18:00"',
      'weekly.wed[0]: start "9:00" is not a time HH:MM from 00:00 to 23:59',
      'weekly.thu[0]: start "25:00" is not a time HH:MM from 00:00 to 23:59',
      'weekly.thu[0]: end "26:00" is not a time HH:MM from 00:00 to 24:00',
      'weekly.fri[0]: start "24:00" is not a time HH:MM from 00:00 to 23:59 ("24:00" can only end an interval)',
      'weekly.sat[0]: "12:00"-"08:00" is empty or reversed; the start must be before the end',
      'weekly: missing day "sun" (use [] for a closed day)',
      'holidays[0]: "2024-02-30" is not a real date YYYY-MM-DD',
      'holidays[1]: "2024-13-01" is not a real date YYYY-MM-DD',
      'holidays[2]: "20240101" is not a real date YYYY-MM-DD',
    ]);
  });

  it('refuses a calendar that is never open, and things that are not calendars', () => {
    const closed = { ...paris, weekly: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } };
    expect(validateCalendar(closed)).toEqual(['weekly: no open hours on any day; an SLA clock on this calendar could never run']);
    expect(validateCalendar(null)).toEqual(['calendar: must be an object { timezone, weekly, holidays }']);
    expect(validateCalendar({ timezone: 'UTC', weekly: [], holidays: 'none' })).toEqual([
      'weekly: must be an object with the keys mon, tue, wed, thu, fri, sat, sun',
      'holidays: must be an array of YYYY-MM-DD dates',
    ]);
    expect(validateCalendar({ ...paris, weekly: { ...paris.weekly, mon: [['09:00']] } })).toEqual(['weekly.mon[0]: must be a pair ["HH:MM", "HH:MM"]']);
  });

  it('throws a ValidationError carrying the problems', () => {
    let error: unknown;
    try {
      assertValidCalendar({ ...paris, timezone: 'Mars/Olympus' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CalendarValidationError);
    expect((error as CalendarValidationError).code).toBe('VALIDATION_FAILED');
    expect((error as CalendarValidationError).problems).toHaveLength(1);
    expect((error as Error).message).toMatch(/^Invalid business calendar: timezone: "Mars\/Olympus"/);
  });
});

describe('local wall time <-> UTC', () => {
  it('knows whole, half and quarter hour offsets and DST', () => {
    expect(utcOffsetAt('Asia/Kolkata', t('2024-06-01T00:00:00Z')) / 60_000).toBe(330);
    expect(utcOffsetAt('Asia/Kathmandu', t('2024-06-01T00:00:00Z')) / 60_000).toBe(345);
    expect(utcOffsetAt('Australia/Adelaide', t('2024-01-15T00:00:00Z')) / 60_000).toBe(630);
    expect(utcOffsetAt('Australia/Adelaide', t('2024-07-15T00:00:00Z')) / 60_000).toBe(570);
    expect(utcOffsetAt('Europe/Paris', t('2024-03-31T00:59:59Z')) / 60_000).toBe(60);
    expect(utcOffsetAt('Europe/Paris', t('2024-03-31T01:00:00Z')) / 60_000).toBe(120);
  });

  it('reads the wall clock', () => {
    expect(toLocalDateTime('America/New_York', t('2024-11-03T05:30:00Z'))).toEqual({ date: '2024-11-03', time: '01:30:00', weekday: 'sun', utcOffsetMinutes: -240 });
    expect(toLocalDateTime('America/New_York', t('2024-11-03T06:30:00Z'))).toEqual({ date: '2024-11-03', time: '01:30:00', weekday: 'sun', utcOffsetMinutes: -300 });
    expect(toLocalDateTime('Asia/Kolkata', t('2024-06-07T18:30:00Z'))).toEqual({ date: '2024-06-08', time: '00:00:00', weekday: 'sat', utcOffsetMinutes: 330 });
  });

  it('converts ordinary times, midnight and 24:00', () => {
    expect(localToUtc('Europe/Paris', '2024-06-07', '17:30')).toBe(t('2024-06-07T15:30:00Z'));
    expect(localToUtc('Asia/Kolkata', '2024-06-08', '00:00')).toBe(t('2024-06-07T18:30:00Z'));
    expect(localToUtc('Europe/Paris', '2024-06-07', '24:00')).toBe(localToUtc('Europe/Paris', '2024-06-08', '00:00'));
  });

  it('maps a time inside a spring-forward gap to the first instant after the gap', () => {
    // Paris 2024-03-31: 02:00 CET jumps to 03:00 CEST at 01:00Z.
    expect(localToUtc('Europe/Paris', '2024-03-31', '02:00')).toBe(t('2024-03-31T01:00:00Z'));
    expect(localToUtc('Europe/Paris', '2024-03-31', '02:30')).toBe(t('2024-03-31T01:00:00Z'));
    expect(localToUtc('Europe/Paris', '2024-03-31', '03:00')).toBe(t('2024-03-31T01:00:00Z'));
    // New York 2024-03-10: 02:00 EST jumps to 03:00 EDT at 07:00Z.
    expect(localToUtc('America/New_York', '2024-03-10', '02:15')).toBe(t('2024-03-10T07:00:00Z'));
    // Sao Paulo 2018-11-04: midnight itself did not exist (00:00 -03 jumped to 01:00 -02).
    expect(localToUtc('America/Sao_Paulo', '2018-11-04', '00:00')).toBe(t('2018-11-04T03:00:00Z'));
  });

  it('picks the earlier or later reading inside a fall-back overlap', () => {
    // Paris 2024-10-27: 03:00 CEST falls back to 02:00 CET at 01:00Z; 02:30 happens twice.
    expect(localToUtc('Europe/Paris', '2024-10-27', '02:30')).toBe(t('2024-10-27T00:30:00Z'));
    expect(localToUtc('Europe/Paris', '2024-10-27', '02:30', 'later')).toBe(t('2024-10-27T01:30:00Z'));
    expect(localToUtc('Europe/Paris', '2024-10-27', '03:00', 'later')).toBe(t('2024-10-27T02:00:00Z'));
    // Lord Howe falls back by 30 minutes: 02:00 +11 becomes 01:30 +10:30.
    expect(localToUtc('Australia/Lord_Howe', '2024-04-07', '01:45')).toBe(t('2024-04-06T14:45:00Z'));
    expect(localToUtc('Australia/Lord_Howe', '2024-04-07', '01:45', 'later')).toBe(t('2024-04-06T15:15:00Z'));
  });

  it('rejects bad arguments clearly', () => {
    expect(() => localToUtc('Europe/Paris', '2024-02-30', '10:00')).toThrow('"2024-02-30" is not a real date YYYY-MM-DD');
    expect(() => localToUtc('Europe/Paris', '2024-02-03', '10h')).toThrow('"10h" is not a time HH:MM');
    expect(() => localToUtc('Paris', '2024-02-03', '10:00')).toThrow('"Paris" is not a time zone Intl knows');
  });
});

describe('open time in real time', () => {
  it('maps office hours, skipping weekends and holidays', () => {
    expect(isoRanges(openRangesBetween(paris, t('2024-04-30T00:00:00Z'), t('2024-05-04T00:00:00Z')))).toEqual([
      ['2024-04-30T07:00:00.000Z', '2024-04-30T10:00:00.000Z'],
      ['2024-04-30T12:00:00.000Z', '2024-04-30T16:00:00.000Z'],
      // 2024-05-01 is a holiday
      ['2024-05-02T07:00:00.000Z', '2024-05-02T10:00:00.000Z'],
      ['2024-05-02T12:00:00.000Z', '2024-05-02T16:00:00.000Z'],
      ['2024-05-03T07:00:00.000Z', '2024-05-03T10:00:00.000Z'],
      ['2024-05-03T12:00:00.000Z', '2024-05-03T16:00:00.000Z'],
    ]);
    expect(isOpenAt(paris, t('2024-04-30T07:00:00Z'))).toBe(true);
    expect(isOpenAt(paris, t('2024-04-30T06:59:59Z'))).toBe(false);
    expect(isOpenAt(paris, t('2024-04-30T16:00:00Z'))).toBe(false);
  });

  it('clips to the requested range and joins 24:00 to the next day\'s 00:00', () => {
    const nights = { ...paris, weekly: { ...paris.weekly, fri: [['20:00', '24:00']] as OpenInterval[], sat: [['00:00', '02:00']] as OpenInterval[] } };
    expect(isoRanges(openRangesBetween(nights, t('2024-06-07T19:00:00Z'), t('2024-06-08T12:00:00Z')))).toEqual([
      ['2024-06-07T19:00:00.000Z', '2024-06-08T00:00:00.000Z'],
    ]);
  });

  it('spring forward: the missing hour is not business time', () => {
    const night = sundays('Europe/Paris', ['01:00', '04:00']);
    // 01:00-02:00 CET then 03:00-04:00 CEST: two real hours.
    expect(isoRanges(openRangesBetween(night, t('2024-03-30T00:00:00Z'), t('2024-04-01T00:00:00Z')))).toEqual([
      ['2024-03-31T00:00:00.000Z', '2024-03-31T02:00:00.000Z'],
    ]);
    // An interval starting in the gap starts when the gap ends; one ending in it ends there.
    expect(isoRanges(openRangesBetween(sundays('Europe/Paris', ['02:30', '04:00']), t('2024-03-30T00:00:00Z'), t('2024-04-01T00:00:00Z')))).toEqual([
      ['2024-03-31T01:00:00.000Z', '2024-03-31T02:00:00.000Z'],
    ]);
    expect(isoRanges(openRangesBetween(sundays('Europe/Paris', ['01:00', '02:30']), t('2024-03-30T00:00:00Z'), t('2024-04-01T00:00:00Z')))).toEqual([
      ['2024-03-31T00:00:00.000Z', '2024-03-31T01:00:00.000Z'],
    ]);
  });

  it('fall back: the repeated hour counts for each real minute', () => {
    // 01:00 CEST to 04:00 CET is four real hours.
    expect(isoRanges(openRangesBetween(sundays('Europe/Paris', ['01:00', '04:00']), t('2024-10-26T00:00:00Z'), t('2024-10-28T00:00:00Z')))).toEqual([
      ['2024-10-26T23:00:00.000Z', '2024-10-27T03:00:00.000Z'],
    ]);
    // 02:00-02:30 happens twice: both passes are open.
    expect(isoRanges(openRangesBetween(sundays('Europe/Paris', ['02:00', '02:30']), t('2024-10-26T00:00:00Z'), t('2024-10-28T00:00:00Z')))).toEqual([
      ['2024-10-27T00:00:00.000Z', '2024-10-27T00:30:00.000Z'],
      ['2024-10-27T01:00:00.000Z', '2024-10-27T01:30:00.000Z'],
    ]);
    // Lord Howe repeats only half an hour (01:30-02:00).
    expect(isoRanges(openRangesBetween(sundays('Australia/Lord_Howe', ['01:00', '03:00']), t('2024-04-06T00:00:00Z'), t('2024-04-08T00:00:00Z')))).toEqual([
      ['2024-04-06T14:00:00.000Z', '2024-04-06T16:30:00.000Z'],
    ]);
  });

  it('a whole local day lasts 23 or 25 real hours on DST days', () => {
    const hours = (calendar: BusinessCalendar, from: string, to: string) =>
      openRangesBetween(calendar, t(from), t(to)).reduce((sum, [a, b]) => sum + (b - a), 0) / 3_600_000;
    expect(hours(sundays('America/New_York', ['00:00', '24:00']), '2024-03-09T00:00:00Z', '2024-03-12T00:00:00Z')).toBe(23);
    expect(hours(sundays('America/New_York', ['00:00', '24:00']), '2024-11-02T00:00:00Z', '2024-11-05T00:00:00Z')).toBe(25);
    // Sao Paulo's 2018-11-04 began at 01:00.
    expect(hours(sundays('America/Sao_Paulo', ['00:00', '24:00']), '2018-11-03T00:00:00Z', '2018-11-06T00:00:00Z')).toBe(23);
  });

  it('is open all the time on a 24/7 calendar, whatever its zone', () => {
    for (const calendar of [alwaysOpen, alwaysOpenCalendar('Europe/Paris'), alwaysOpenCalendar('Australia/Lord_Howe')]) {
      expect(openRangesBetween(calendar, t('2024-03-01T00:00:00Z'), t('2024-11-30T00:00:00Z'))).toEqual([[t('2024-03-01T00:00:00Z'), t('2024-11-30T00:00:00Z')]]);
    }
  });
});
