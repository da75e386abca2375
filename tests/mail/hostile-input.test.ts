import fc from 'fast-check';
import { sanitizeDisplayName } from '../../lib/mail/attachments';
import { classifyAutomatic } from '../../lib/mail/automatic';
import { parseBounce } from '../../lib/mail/bounce';
import { parseTechnicianCommands } from '../../lib/mail/commands';
import { addressesIn, headersFromRecord, parseHeaderBlock } from '../../lib/mail/headers';
import { htmlToPlainText, sanitizeEmailHtml } from '../../lib/mail/html';
import { extractReplyText } from '../../lib/mail/reply-text';
import { stripReplyPrefixes, ticketNumberFromSubject } from '../../lib/mail/subject';

/**
 * Mail is hostile input. These shapes used to send regular expressions (ours or the reply
 * parser's) into super-linear backtracking: minutes of CPU for one message, which would stall the
 * intake. No timing is asserted; a regression shows up as this file hitting Jest's timeout.
 */
describe('hostile input', () => {
  it('reply text: thousands of blank lines, whitespace lines, one huge "On ..." line', () => {
    expect(extractReplyText('\n'.repeat(50_000) + 'x').text).toBe('x');
    expect(extractReplyText((' '.repeat(20) + '\n').repeat(2500) + 'x').text).toBe('x');
    expect(extractReplyText(' '.repeat(50_000) + 'x').text).toBe('x');
    const huge = 'On ' + 'a '.repeat(20_000);
    expect(extractReplyText(huge).text).toBe(huge.trim());
    const long = 'y'.repeat(5000);
    expect(extractReplyText(`${long}\n\nOn Mon, Feb 3, 2025 at 10:12 AM Support <s@x.test> wrote:\n> q`).text).toBe(long);
  });

  it('addresses and bounces: a 200 KB line without "@"', () => {
    expect(addressesIn('a'.repeat(200_000))).toEqual([]);
    expect(addressesIn('<' + 'a'.repeat(200_000))).toEqual([]);
    expect(parseBounce('From: mailer-daemon@x.test\nSubject: Undeliverable\n\n' + 'a'.repeat(200_000))).toBeNull();
    expect(classifyAutomatic({ headers: headersFromRecord({ From: 'a'.repeat(200_000) }) }).automatic).toBe(false);
  });

  it('display names: a long run of ". "', () => {
    const name = sanitizeDisplayName('x' + '. '.repeat(25_000) + 'x');
    expect(name.length).toBeLessThanOrEqual(150);
    expect(name).toMatch(/^x[. ]*[^. ]$/);
  });

  it('subjects and commands: long runs', () => {
    expect(stripReplyPrefixes('RE: '.repeat(10_000) + 'x')).toBe('x');
    expect(ticketNumberFromSubject('[#T-' + '1'.repeat(100_000))).toBeNull();
    expect(parseTechnicianCommands('#status' + ' '.repeat(50_000) + 'x').errors).toHaveLength(1);
  });

  it('property: no rule throws on arbitrary text', () => {
    const text = fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 400 }));
    fc.assert(
      fc.property(text, (s) => {
        extractReplyText(s);
        parseBounce(s);
        parseHeaderBlock(s);
        classifyAutomatic({ headers: parseHeaderBlock(s), subject: s });
        parseTechnicianCommands(s);
        stripReplyPrefixes(s);
        sanitizeEmailHtml(s);
        htmlToPlainText(s);
        expect(sanitizeDisplayName(s).length).toBeGreaterThan(0);
        expect(sanitizeDisplayName(s)).not.toMatch(/[\\/\u0000-\u001f]/);
      }),
      { numRuns: 300 },
    );
  });
});
