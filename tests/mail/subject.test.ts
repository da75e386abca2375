import fc from 'fast-check';
import { baseSubject, replySubject, stripReplyPrefixes, subjectWithTicket, ticketNumberFromSubject } from '../../lib/mail/subject';

describe('subjects', () => {
  it.each([
    ['RE: Printer on fire', 'Printer on fire'],
    ['Re: RE: re:Printer on fire', 'Printer on fire'],
    ['FW: Printer on fire', 'Printer on fire'],
    ['Fwd: Printer on fire', 'Printer on fire'],
    ['AW: WG: Printer on fire', 'Printer on fire'],
    ['TR: Printer on fire', 'Printer on fire'],
    ['Réf : Printer on fire', 'Printer on fire'],
    ['RÉF. : Printer on fire', 'Printer on fire'],
    ['Re[2]: Printer on fire', 'Printer on fire'],
    ['Re (3) : Printer on fire', 'Printer on fire'],
    ['RE : TR : Printer on fire', 'Printer on fire'],
    ['[EXT] RE: Printer on fire', 'Printer on fire'],
    ['RE: [External] FW: Printer on fire', 'Printer on fire'],
    ['(EXTERNAL) Re: Printer on fire', 'Printer on fire'],
    ['SV: VS: Antw: Printer on fire', 'Printer on fire'],
    ['RE:\tRE:  Printer   on fire', 'Printer on fire'],
    ['Re: [#T-1042] Printer on fire', '[#T-1042] Printer on fire'],
    ['[SPAM?] [EXTERNE] TR: Printer on fire', 'Printer on fire'],
    ['[URGENT] Printer on fire', '[URGENT] Printer on fire'],
    ['RE: [URGENT] Printer on fire', '[URGENT] Printer on fire'],
    ['Recette du jour', 'Recette du jour'],
    ['Fwding rules', 'Fwding rules'],
    ['Trouble: printer', 'Trouble: printer'],
    ['Réunion: mardi', 'Réunion: mardi'],
  ])('%s → %s', (input, expected) => {
    expect(stripReplyPrefixes(input)).toBe(expected);
  });

  it('finds the ticket number anywhere, only in our token form', () => {
    expect(ticketNumberFromSubject('RE: [EXT] [#T-1042] Printer')).toBe(1042);
    expect(ticketNumberFromSubject('Printer [#t-7]')).toBe(7);
    expect(ticketNumberFromSubject('T-1042 Printer')).toBeNull();
    expect(ticketNumberFromSubject('[#T-] Printer')).toBeNull();
    expect(ticketNumberFromSubject('[#T-0] Printer')).toBeNull();
    expect(ticketNumberFromSubject('')).toBeNull();
  });

  it('builds our subjects with the token once', () => {
    expect(subjectWithTicket('RE: [#T-9] Printer on fire', 9)).toBe('[#T-9] Printer on fire');
    expect(replySubject('Printer on fire', 42)).toBe('Re: [#T-42] Printer on fire');
    expect(baseSubject('RE: TR: [#T-42] Printer')).toBe('Printer');
    expect(subjectWithTicket('', 5)).toBe('[#T-5]');
  });

  it('property: stripping is idempotent and prefixes added in any number are removed', () => {
    const prefix = fc.constantFrom('RE: ', 'Re: ', 'FW: ', 'Fwd: ', 'AW: ', 'WG: ', 'TR: ', 'Réf : ', 'RE : ', 'Re[4]: ', '[EXT] ');
    const core = fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,30}[a-z]$/).filter((s) => stripReplyPrefixes(s) === s.replace(/ {2,}/g, ' '));
    fc.assert(
      fc.property(fc.array(prefix, { maxLength: 6 }), core, (prefixes, s) => {
        const once = stripReplyPrefixes(prefixes.join('') + s);
        expect(once).toBe(s.replace(/ {2,}/g, ' '));
        expect(stripReplyPrefixes(once)).toBe(once);
      }),
    );
  });

  it('property: our subject token always reads back, whatever the subject and prefixes around it', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.integer({ min: 1, max: 10_000_000 }), fc.constantFrom('', 'RE: ', 'TR: [EXT] ', 'Réf : AW: '), (s, n, prefix) => {
        const ours = subjectWithTicket(s, n);
        expect(ticketNumberFromSubject(prefix + ours)).toBe(n);
        expect(ours.startsWith(`[#T-${n}]`)).toBe(true);
        expect(ours).not.toMatch(/[\r\n]/);
      }),
    );
  });
});
