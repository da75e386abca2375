import { createSlaClock, IcsParseError, parseIcsHolidays, type BusinessCalendar, type OpenInterval } from '../../workflows/sla';

/** An .ics text from lines, with CRLF line ends as RFC 5545 wants. */
const ics = (...lines: string[]) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//mspflow//tests//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
const event = (...lines: string[]) => ['BEGIN:VEVENT', ...lines, 'END:VEVENT'];
const years = (fromYear: number, toYear = fromYear) => ({ fromYear, toYear });

describe('holidays from iCalendar', () => {
  it('reads all-day events, a multi-day event (DTEND exclusive) and folded lines', () => {
    const text = ics(
      ...event('UID:1', 'DTSTART;VALUE=DATE:20240501', 'DTEND;VALUE=DATE:20240502', 'SUMMARY:Fête du Travail'),
      ...event('UID:2', 'DTSTART;VALUE=DATE:20241224', 'DTEND;VALUE=DATE:20241227', 'SUMMARY:Christmas', '  closure'),
      ...event('UID:3', 'DTSTART;VALUE=DATE:20240815', 'SUMMARY:Assomption'),
    );
    expect(parseIcsHolidays(text, years(2024))).toEqual({
      dates: ['2024-05-01', '2024-08-15', '2024-12-24', '2024-12-25', '2024-12-26'],
      holidays: [
        { date: '2024-05-01', names: ['Fête du Travail'] },
        { date: '2024-08-15', names: ['Assomption'] },
        { date: '2024-12-24', names: ['Christmas closure'] },
        { date: '2024-12-25', names: ['Christmas closure'] },
        { date: '2024-12-26', names: ['Christmas closure'] },
      ],
      skipped: [],
    });
  });

  it('accepts LF line ends, a byte order mark, tab folding, escaped text and quoted parameters', () => {
    const text =
      '\uFEFFBEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE;X-NOTE="a:b;c":20240714\nSUMMARY:F\\,ête\n\tnationale\\; Paris\nEND:VEVENT\nEND:VCALENDAR\n';
    expect(parseIcsHolidays(text, years(2024)).holidays).toEqual([{ date: '2024-07-14', names: ['F,êtenationale; Paris'] }]);
  });

  it('gives timed events their local date, and covers every date they touch', () => {
    const text = ics(
      // Floating and TZID times are read as written.
      ...event('DTSTART:20240101T100000', 'SUMMARY:Floating'),
      ...event('DTSTART;TZID=Europe/Paris:20240102T233000', 'DTEND;TZID=Europe/Paris:20240103T010000', 'SUMMARY:Overnight'),
      // A timed event ending at midnight does not touch the next day.
      ...event('DTSTART:20240110T080000', 'DTEND:20240111T000000', 'SUMMARY:Until midnight'),
      // UTC times move to the requested zone: 23:30Z is already the next day in Paris.
      ...event('DTSTART:20240120T233000Z', 'SUMMARY:UTC'),
      ...event('DTSTART;VALUE=DATE:20240201', 'DURATION:P2D', 'SUMMARY:Two days'),
    );
    expect(parseIcsHolidays(text, { ...years(2024), timezone: 'Europe/Paris' }).dates).toEqual([
      '2024-01-01',
      '2024-01-02',
      '2024-01-03',
      '2024-01-10',
      '2024-01-21',
      '2024-02-01',
      '2024-02-02',
    ]);
    expect(parseIcsHolidays(text, years(2024)).dates).toContain('2024-01-20');
  });

  it('expands yearly rules over the requested years', () => {
    const text = ics(
      ...event('UID:bastille', 'DTSTART;VALUE=DATE:20200714', 'RRULE:FREQ=YEARLY', 'SUMMARY:Fête nationale'),
      ...event('UID:xmas', 'DTSTART;VALUE=DATE:20001225', 'DTEND;VALUE=DATE:20001227', 'RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25', 'SUMMARY:Christmas'),
      ...event('UID:counted', 'DTSTART;VALUE=DATE:20230301', 'RRULE:FREQ=YEARLY;COUNT=2', 'SUMMARY:Two times'),
      ...event('UID:until', 'DTSTART;VALUE=DATE:20230401', 'RRULE:FREQ=YEARLY;UNTIL=20250401', 'SUMMARY:Until 2025'),
      ...event('UID:every2', 'DTSTART;VALUE=DATE:20200501', 'RRULE:FREQ=YEARLY;INTERVAL=2', 'SUMMARY:Even years'),
      ...event('UID:leap', 'DTSTART;VALUE=DATE:20200229', 'RRULE:FREQ=YEARLY;COUNT=2', 'SUMMARY:Leap day'),
      ...event('UID:future', 'DTSTART;VALUE=DATE:20300101', 'RRULE:FREQ=YEARLY', 'SUMMARY:Not yet'),
    );
    const { dates } = parseIcsHolidays(text, years(2024, 2026));
    expect(dates).toEqual([
      '2024-02-29', // COUNT=2 counts only real Feb 29ths: 2020 and 2024
      '2024-03-01',
      '2024-04-01',
      '2024-05-01',
      '2024-07-14',
      '2024-12-25',
      '2024-12-26',
      '2025-04-01',
      '2025-07-14',
      '2025-12-25',
      '2025-12-26',
      '2026-05-01',
      '2026-07-14',
      '2026-12-25',
      '2026-12-26',
    ]);
  });

  it('honours EXDATE, RECURRENCE-ID overrides and cancelled events', () => {
    const text = ics(
      ...event('UID:bridge', 'DTSTART;VALUE=DATE:20230515', 'RRULE:FREQ=YEARLY', 'EXDATE;VALUE=DATE:20240515,20250515', 'SUMMARY:Bridge day'),
      ...event('UID:party', 'DTSTART;VALUE=DATE:20230620', 'RRULE:FREQ=YEARLY', 'SUMMARY:Company day'),
      ...event('UID:party', 'RECURRENCE-ID;VALUE=DATE:20240620', 'DTSTART;VALUE=DATE:20240621', 'SUMMARY:Company day (moved)'),
      ...event('UID:party', 'RECURRENCE-ID;VALUE=DATE:20250620', 'DTSTART;VALUE=DATE:20250620', 'STATUS:CANCELLED', 'SUMMARY:Company day'),
      ...event('UID:gone', 'DTSTART;VALUE=DATE:20240704', 'STATUS:CANCELLED', 'SUMMARY:Cancelled'),
    );
    expect(parseIcsHolidays(text, years(2024, 2026)).holidays).toEqual([
      { date: '2024-06-21', names: ['Company day (moved)'] },
      { date: '2026-05-15', names: ['Bridge day'] },
      { date: '2026-06-20', names: ['Company day'] },
    ]);
  });

  it('returns unique sorted dates with every name, ignoring alarms and time zone definitions', () => {
    const text = ics(
      'BEGIN:VTIMEZONE',
      'TZID:Europe/Paris',
      'BEGIN:STANDARD',
      'DTSTART:19701025T030000',
      'END:STANDARD',
      'END:VTIMEZONE',
      ...event('DTSTART;VALUE=DATE:20240512', 'SUMMARY:Second', 'BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Reminder', 'TRIGGER:-PT15M', 'END:VALARM'),
      ...event('DTSTART;VALUE=DATE:20240509', 'SUMMARY:Ascension'),
      ...event('DTSTART;VALUE=DATE:20240512', 'SUMMARY:First'),
      ...event('DTSTART;VALUE=DATE:20240512', 'SUMMARY:First'),
      ...event('DTSTART;VALUE=DATE:20250101', 'SUMMARY:Outside the years'),
    );
    expect(parseIcsHolidays(text, years(2024)).holidays).toEqual([
      { date: '2024-05-09', names: ['Ascension'] },
      { date: '2024-05-12', names: ['Second', 'First'] },
    ]);
  });

  it('rejects what is not an iCalendar file, saying why', () => {
    const notCalendar = [
      ['hello world', /not an iCalendar file: it must start with BEGIN:VCALENDAR, found "hello world"/],
      ['', /not an iCalendar file: it must start with BEGIN:VCALENDAR, found an empty text/],
      ['{"holidays": ["2024-01-01"]}', /not an iCalendar file/],
      ['<html><body>Holidays</body></html>', /not an iCalendar file/],
      ['BEGIN:VCARD\r\nFN:Jane\r\nEND:VCARD', /not an iCalendar file/],
    ] as const;
    for (const [text, message] of notCalendar) {
      expect(() => parseIcsHolidays(text, years(2024))).toThrow(IcsParseError);
      expect(() => parseIcsHolidays(text, years(2024))).toThrow(message);
    }
    expect(() => parseIcsHolidays(ics(...event('DTSTART;VALUE=DATE:20240101')).replace('END:VCALENDAR', ''), years(2024))).toThrow(
      'BEGIN:VCALENDAR is never closed (the file may be cut short)',
    );
    expect(() => parseIcsHolidays(ics('BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20240101', 'END:VTODO'), years(2024))).toThrow(
      'line 6: END:VTODO does not close BEGIN:VEVENT',
    );
    expect(() => parseIcsHolidays(ics('this line has no colon'), years(2024))).toThrow('line 4: "this line has no colon" is not NAME:VALUE');
  });

  it('rejects broken events, naming them', () => {
    expect(() => parseIcsHolidays(ics(...event('SUMMARY:No start')), years(2024))).toThrow('"No start" has no DTSTART');
    expect(() => parseIcsHolidays(ics(...event('DTSTART;VALUE=DATE:20240230')), years(2024))).toThrow('line 5 (DTSTART): 20240230 is not a real date');
    expect(() => parseIcsHolidays(ics(...event('DTSTART:2024-01-01')), years(2024))).toThrow('is not a DATE (YYYYMMDD) or DATE-TIME');
    expect(() => parseIcsHolidays(ics(...event('DTSTART;VALUE=DATE:20240101', 'DURATION:1 day')), years(2024))).toThrow('DURATION "1 day" is not a duration');
  });

  it('refuses rules it cannot expand exactly, or skips them when asked', () => {
    const text = ics(
      ...event('DTSTART;VALUE=DATE:20241128', 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH', 'SUMMARY:Thanksgiving'),
      ...event('DTSTART;VALUE=DATE:20240101', 'RRULE:FREQ=WEEKLY', 'SUMMARY:Every week'),
      ...event('DTSTART;VALUE=DATE:20240102', 'RDATE;VALUE=DATE:20240301', 'SUMMARY:Extra dates'),
      ...event('DTSTART;VALUE=DATE:20241225', 'SUMMARY:Christmas'),
    );
    expect(() => parseIcsHolidays(text, years(2024))).toThrow('"Thanksgiving": RRULE part BYDAY is not supported (only FREQ=YEARLY, INTERVAL, COUNT, UNTIL)');
    expect(parseIcsHolidays(text, { ...years(2024), unsupported: 'skip' })).toEqual({
      dates: ['2024-12-25'],
      holidays: [{ date: '2024-12-25', names: ['Christmas'] }],
      skipped: [
        { event: '"Thanksgiving"', reason: 'RRULE part BYDAY is not supported (only FREQ=YEARLY, INTERVAL, COUNT, UNTIL)' },
        { event: '"Every week"', reason: 'RRULE "FREQ=WEEKLY": only FREQ=YEARLY is supported' },
        { event: '"Extra dates"', reason: 'RDATE is not supported' },
      ],
    });
  });

  it('checks its options', () => {
    const text = ics();
    expect(() => parseIcsHolidays(text, { fromYear: 2025, toYear: 2024 })).toThrow('the year range 2025..2024 must be whole years');
    expect(() => parseIcsHolidays(text, { fromYear: 1000, toYear: 2999 })).toThrow('must be whole years');
    expect(() => parseIcsHolidays(text, { fromYear: 2000, toYear: 3500 })).toThrow('spans more than 1000 years');
    expect(() => parseIcsHolidays(text, { ...years(2024), timezone: 'Europe/Pariss' })).toThrow('timezone "Europe/Pariss" is not a time zone');
    expect(parseIcsHolidays(text, years(2024))).toEqual({ dates: [], holidays: [], skipped: [] });
  });

  it('feeds a business calendar: an imported holiday moves the deadline', () => {
    const hours: OpenInterval[] = [['09:00', '18:00']];
    const { dates } = parseIcsHolidays(ics(...event('DTSTART;VALUE=DATE:20200101', 'RRULE:FREQ=YEARLY', 'SUMMARY:New Year')), years(2024, 2026));
    const calendar: BusinessCalendar = {
      timezone: 'Europe/Paris',
      weekly: { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours, sat: [], sun: [] },
      holidays: dates,
    };
    // Tuesday 2024-12-31 17:00 + 120 minutes: 60 that day, New Year's Day skipped, 60 on Thursday.
    const clock = createSlaClock({ calendar, startAt: Date.parse('2024-12-31T17:00:00+01:00'), targetMinutes: 120 });
    expect(clock.deadlineAt).toBe(Date.parse('2025-01-02T10:00:00+01:00'));
  });
});
