import fc from 'fast-check';
import { MAX_TIME_MINUTES, parseDuration, parseTechnicianCommands } from '../../lib/mail/commands';

describe('technician commands', () => {
  it.each([
    ['15m', 15],
    ['15 min', 15],
    ['45minutes', 45],
    ['90', 90],
    ['1h', 60],
    ['2 hours', 120],
    ['1h30', 90],
    ['1h 30m', 90],
    ['1h05', 65],
    ['1.5h', 90],
    ['1,5h', 90],
    ['0.25h', 15],
    ['0.1h', 6],
    ['0:45', 45],
    ['2:05', 125],
    ['3 heures', 180],
  ])('duration %s = %d min', (input, minutes) => {
    expect(parseDuration(input)).toBe(minutes);
  });

  it.each(['', '0', '0m', 'abc', '1h75', '25h', '-5m', '1.5', '15s', '1d'])('duration %s is refused', (input) => {
    expect(parseDuration(input)).toBeNull();
  });

  it('property: XhYY and X.Yh agree with plain minutes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), (h, m) => {
        fc.pre(h * 60 + m > 0);
        expect(parseDuration(`${h}h${String(m).padStart(2, '0')}`)).toBe(h * 60 + m);
        expect(parseDuration(`${h * 60 + m}m`)).toBe(h * 60 + m);
        expect(parseDuration(`${h}:${String(m).padStart(2, '0')}`)).toBe(h * 60 + m);
      }),
    );
    expect(parseDuration(`${MAX_TIME_MINUTES + 1}`)).toBeNull();
  });

  it('reads commands on their own lines and keeps the rest as the public reply', () => {
    const r = parseTechnicianCommands('Hello,\n\nThe printer is fixed.\n  #status resolved\n#TIME 1h30\n#priority p2\n#assign alice@msp.test\n\nRegards');
    expect(r.commands).toEqual([
      { type: 'status', status: 'RESOLVED' },
      { type: 'time', minutes: 90 },
      { type: 'priority', priority: 'P2' },
      { type: 'assign', assignee: 'alice@msp.test' },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.publicText).toBe('Hello,\n\nThe printer is fixed.\n\nRegards');
    expect(r.internalText).toBeNull();
  });

  it('understands status words in English and French', () => {
    const statuses = ['waiting', 'attente', 'résolu', 'in-progress', 'en cours', 'closed', 'fermé'].map(
      (w) => parseTechnicianCommands(`#status ${w}`).commands[0],
    );
    expect(statuses).toEqual([
      { type: 'status', status: 'WAITING_ON_CLIENT' },
      { type: 'status', status: 'WAITING_ON_CLIENT' },
      { type: 'status', status: 'RESOLVED' },
      { type: 'status', status: 'IN_PROGRESS' },
      { type: 'status', status: 'IN_PROGRESS' },
      { type: 'status', status: 'CLOSED' },
      { type: 'status', status: 'CLOSED' },
    ]);
  });

  it('#internal: what follows is the internal note, what precedes is public', () => {
    const r = parseTechnicianCommands('Done on our side.\n#internal\nThe client\'s NAS password is on the sticky note.\n#time 10m');
    expect(r.publicText).toBe('Done on our side.');
    expect(r.internalText).toBe("The client's NAS password is on the sticky note.");
    expect(r.commands).toEqual([{ type: 'internal' }, { type: 'time', minutes: 10 }]);
    const all = parseTechnicianCommands('#internal checked the logs, nothing to tell the client');
    expect(all.publicText).toBe('');
    expect(all.internalText).toBe('checked the logs, nothing to tell the client');
  });

  it('reports unknown commands and bad arguments, and never relays those lines', () => {
    const r = parseTechnicianCommands('Fixed.\n#stauts resolved\n#time forever\n#priority P9\n#status maybe\n#assign');
    expect(r.commands).toEqual([]);
    expect(r.errors.map((e) => [e.line, e.text])).toEqual([
      [2, '#stauts resolved'],
      [3, '#time forever'],
      [4, '#priority P9'],
      [5, '#status maybe'],
      [6, '#assign'],
    ]);
    expect(r.errors[0].message).toMatch(/Unknown command #stauts/);
    expect(r.errors[1].message).toMatch(/duration/);
    expect(r.publicText).toBe('Fixed.');
  });

  it('leaves text that merely contains # alone', () => {
    const r = parseTechnicianCommands('See ticket #123 and the #status of the VPN.\n# Heading\n#42');
    expect(r.commands).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.publicText).toBe('See ticket #123 and the #status of the VPN.\n# Heading\n#42');
  });
});
