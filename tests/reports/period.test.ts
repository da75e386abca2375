import { decideScheduledRun, firstBusinessDay, monthOf, monthPeriod, previousMonthAt, shiftMonth, weeksOf } from '../../lib/reports/period';
import { formatMinutes, formatMonth, formatPercent, percent } from '../../lib/reports/format';
import { barChartSvg } from '../../lib/reports/charts';

const weekdays = { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']], sat: [], sun: [] } as const;

describe('report periods (pure)', () => {
  it('are calendar months in the client time zone', () => {
    expect(monthPeriod('2026-03', 'Europe/Paris')).toMatchObject({ start: Date.parse('2026-02-28T23:00:00Z'), end: Date.parse('2026-03-31T22:00:00Z') });
    expect(monthPeriod('2026-01', 'Pacific/Auckland')).toMatchObject({ start: Date.parse('2025-12-31T11:00:00Z'), end: Date.parse('2026-01-31T11:00:00Z') });
    expect(monthOf(Date.parse('2026-01-31T12:00:00Z'), 'Pacific/Auckland')).toBe('2026-02');
    expect(previousMonthAt(Date.parse('2026-01-31T12:00:00Z'), 'Pacific/Auckland')).toBe('2026-01');
    expect(shiftMonth('2026-01', -1)).toBe('2025-12');
    expect(shiftMonth('2025-12', 13)).toBe('2027-01');
    expect(() => monthPeriod('2026-13', 'UTC')).toThrow(/YYYY-MM/);
  });

  it('finds the first business day from the calendar (weekends, holidays), Monday-Friday without one', () => {
    expect(firstBusinessDay('2026-02', null)).toBe('2026-02-02'); // Feb 1st 2026 is a Sunday
    expect(firstBusinessDay('2026-02', { weekly: weekdays, holidays: ['2026-02-02'] })).toBe('2026-02-03');
    expect(firstBusinessDay('2026-01', { weekly: weekdays, holidays: ['2026-01-01', '2026-01-02'] })).toBe('2026-01-05');
    expect(firstBusinessDay('2026-08', { weekly: { ...weekdays, sat: [['09:00', '12:00']] }, holidays: [] })).toBe('2026-08-01'); // a Saturday, open
  });

  it('decides each schedule firing in the client time zone: nothing before the first business day, the previous month from then on', () => {
    const cal = { weekly: weekdays, holidays: ['2026-02-02'] };
    // 07:00 in Auckland on Feb 3rd is still Feb 2nd (the holiday) in UTC
    expect(decideScheduledRun(Date.parse('2026-02-02T18:00:00Z'), 'Pacific/Auckland', cal)).toMatchObject({ month: '2026-01', localDate: '2026-02-03', reason: 'first business day' });
    expect(decideScheduledRun(Date.parse('2026-02-01T18:00:00Z'), 'Pacific/Auckland', cal)).toMatchObject({ month: null, localDate: '2026-02-02' });
    expect(decideScheduledRun(Date.parse('2026-02-05T18:00:00Z'), 'Pacific/Auckland', cal)).toMatchObject({ month: '2026-01', reason: expect.stringMatching(/catch-up/) });
    expect(decideScheduledRun(Date.parse('2026-01-01T06:00:00Z'), 'Europe/Paris', null)).toMatchObject({ month: '2025-12' }); // Thursday Jan 1st, no calendar
  });

  it('splits a month into Monday weeks, clipped to the month', () => {
    const weeks = weeksOf(monthPeriod('2026-03', 'Europe/Paris'));
    expect(weeks.map((w) => w.weekStart)).toEqual(['2026-03-01', '2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23', '2026-03-30']);
    expect(weeks[0].start).toBe(Date.parse('2026-02-28T23:00:00Z'));
    expect(weeks[5].end).toBe(Date.parse('2026-03-31T22:00:00Z'));
  });
});

describe('report formatting (pure)', () => {
  it('formats in French and English', () => {
    expect(formatPercent(97.5, 'fr')).toBe('97,5 %');
    expect(formatPercent(97.5, 'en')).toBe('97.5%');
    expect(formatPercent(null, 'fr')).toBe('pas de données');
    expect(formatMinutes(135, 'fr')).toBe('2 h 15');
    expect(formatMinutes(135, 'en')).toBe('2h 15m');
    expect(formatMonth('2026-03', 'fr')).toBe('mars 2026');
    expect(percent(1, 3)).toBe(33.3);
    expect(percent(0, 0)).toBeNull();
  });

  it('draws bar charts as SVG with escaped labels', () => {
    const svg = barChartSvg([{ label: '<b>x</b>', value: 3, previous: 1 }], { line: 2, lineLabel: 'avg & co' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(svg).toContain('avg &amp; co');
    expect(svg).not.toContain('<b>');
  });
});
