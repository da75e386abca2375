import fs from 'node:fs';
import path from 'node:path';
import { parseBounce } from '../../lib/mail/bounce';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name));

describe('bounce parsing', () => {
  it('reads a Postfix RFC 3464 DSN: failed and delayed recipients, status, diagnostic, original Message-ID', () => {
    const b = parseBounce(fixture('dsn-postfix.eml'))!;
    expect(b.kind).toBe('dsn');
    expect(b.failedRecipients).toEqual(['gone@client.test']);
    expect(b.recipients).toEqual([
      expect.objectContaining({ address: 'gone@client.test', action: 'failed', status: '5.1.1', permanent: true }),
      expect.objectContaining({ address: 'slow@client.test', action: 'delayed', status: '4.4.1', permanent: false }),
    ]);
    expect(b.recipients[0].diagnostic).toContain('User unknown');
    expect(b.originalMessageId).toBe('<t.1042.c.abcdefghijklmnopqrstuvwxyz.k1@example.test>');
    expect(b.originalReferences).toEqual([
      '<t.1042.c.abcdefghijklmnopqrstuvwxyz.k1@example.test>',
      '<CAF123@mail.client.test>',
      '<CAF000@mail.client.test>',
    ]);
    expect(b.reportingMta).toBe('mx.client.test');
  });

  it('reads an Exchange-style DSN with nested alternative parts and the returned message attached', () => {
    const b = parseBounce(fixture('bounce-exchange-dsn.eml'))!;
    expect(b.kind).toBe('dsn');
    expect(b.failedRecipients).toEqual(['jean.dupont@client.test']);
    expect(b.recipients[0].status).toBe('5.4.1');
    expect(b.originalMessageId).toBe('<t.77.c.zzzzzzzzzzzzzzzzzzzzzzzzzz.k2@example.test>');
  });

  it('reads a qmail bounce (no DSN): the address line and the quoted Message-ID', () => {
    const b = parseBounce(fixture('bounce-qmail.eml'))!;
    expect(b.kind).toBe('non-standard');
    expect(b.failedRecipients).toEqual(['nobody@old.test']);
    expect(b.originalMessageId).toBe('<m.qqqq1111@example.test>');
  });

  it('reads an Exim bounce through X-Failed-Recipients', () => {
    const b = parseBounce(fixture('bounce-exim.eml'))!;
    expect(b.failedRecipients).toEqual(['lost@exim.test']);
    expect(b.originalMessageId).toBe('<m.exim2222@example.test>');
  });

  it('says null for ordinary mail, even mail that talks about failures', () => {
    const mail = [
      'From: Jean <jean@client.test>',
      'To: support@example.test',
      'Subject: Backup failed again',
      'Message-ID: <abc@client.test>',
      '',
      'The backup to nas@client.test failed: permission denied.',
      '',
    ].join('\r\n');
    expect(parseBounce(mail)).toBeNull();
    expect(parseBounce('')).toBeNull();
    expect(parseBounce('garbage without headers')).toBeNull();
  });

  it('does not throw on malformed MIME (missing boundary, truncated parts)', () => {
    const broken = 'From: MAILER-DAEMON@x.test\r\nSubject: Undeliverable\r\nContent-Type: multipart/report; report-type=delivery-status\r\n\r\n--nowhere\r\nAction: failed';
    expect(() => parseBounce(broken)).not.toThrow();
    const truncated = fixture('dsn-postfix.eml').subarray(0, 1500);
    expect(() => parseBounce(truncated)).not.toThrow();
  });
});
