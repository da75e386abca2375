import { detectContentType, downloadHeaders, sanitizeDisplayName, screenAttachments } from '../../lib/mail/attachments';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf00000301010018dd8db00000000049454e44ae426082', 'hex');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const PE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), Buffer.alloc(64), Buffer.from('PE\0\0'), Buffer.alloc(200)]);
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
const MACHO = Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0x07, 0x00, 0x00, 0x01]), Buffer.alloc(120)]);
const limits = { maxBytes: 1024 * 1024, maxCount: 3 };

describe('attachment policy', () => {
  it('detects content from the bytes, not the name or the declared type', async () => {
    expect(await detectContentType(PNG)).toBe('image/png');
    expect(await detectContentType(PDF)).toBe('application/pdf');
    expect(await detectContentType(Buffer.from('plain notes\nligne accentuée\n'))).toBe('text/plain');
    expect(await detectContentType(Buffer.from([0x00, 0xff, 0x10, 0x80]))).toBe('application/octet-stream');
    expect(await detectContentType(Buffer.from('#!/bin/sh\nrm -rf /\n'))).toBe('text/x-shellscript');
  });

  it('keeps safe files with a server key, a clean display name, the real type and a hash', async () => {
    const { accepted, refused } = await screenAttachments(
      [
        { filename: '../../etc/passwd.pdf', contentType: 'image/jpeg', content: PDF },
        { filename: 'logo.png', contentType: 'image/png', content: PNG, inline: true, contentId: '<logo@x>' },
      ],
      limits,
    );
    expect(refused).toEqual([]);
    expect(accepted[0]).toMatchObject({ displayName: 'passwd.pdf', contentType: 'application/pdf', declaredType: 'image/jpeg', neutralised: false, inline: false });
    expect(accepted[0].storageKey).toMatch(/^att\/\d{4}\/\d{2}\/[0-9a-f-]{36}$/);
    expect(accepted[0].storageKey).not.toContain('passwd');
    expect(accepted[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(accepted[1]).toMatchObject({ inline: true, contentId: 'logo@x', contentType: 'image/png' });
  });

  it('refuses executables whatever their name, dangerous extensions, oversize and extra files', async () => {
    const { accepted, refused } = await screenAttachments(
      [
        { filename: 'invoice.pdf', contentType: 'application/pdf', content: PE },
        { filename: 'photo.jpg', content: ELF },
        { filename: 'notes.txt', content: MACHO },
        { filename: 'run.js', contentType: 'text/plain', content: Buffer.from('console.log(1)') },
        { filename: 'Facture\u202Efdp.exe', content: Buffer.from('text') },
        { filename: 'macro.xlsm', content: Buffer.from('text') },
        { filename: 'big.txt', content: Buffer.alloc(limits.maxBytes + 1, 0x41) },
        { filename: 'empty.txt', content: Buffer.alloc(0) },
        { filename: 'a.txt', content: Buffer.from('a') },
        { filename: 'b.txt', content: Buffer.from('b') },
        { filename: 'c.txt', content: Buffer.from('c') },
        { filename: 'd.txt', content: Buffer.from('d') },
      ],
      limits,
    );
    expect(accepted.map((a) => a.displayName)).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect(refused.map((r) => [r.displayName, r.reason])).toEqual([
      ['invoice.pdf', 'dangerous'],
      ['photo.jpg', 'dangerous'],
      ['notes.txt', 'dangerous'],
      ['run.js', 'dangerous'],
      ['Facturefdp.exe', 'dangerous'],
      ['macro.xlsm', 'dangerous'],
      ['big.txt', 'too-large'],
      ['empty.txt', 'empty'],
      ['d.txt', 'too-many'],
    ]);
  });

  it('neutralises active content: HTML and SVG are stored but served as opaque bytes', async () => {
    const { accepted } = await screenAttachments(
      [
        { filename: 'page.html', contentType: 'text/html', content: Buffer.from('<html><script>alert(1)</script></html>') },
        { filename: 'img.svg', contentType: 'image/svg+xml', content: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>') },
        { filename: 'fake.png', contentType: 'image/png', content: Buffer.from('<!DOCTYPE html><html></html>'), inline: true, contentId: 'x' },
      ],
      limits,
    );
    expect(accepted.map((a) => [a.contentType, a.neutralised, a.inline])).toEqual([
      ['application/octet-stream', true, false],
      ['application/octet-stream', true, false],
      ['application/octet-stream', true, false],
    ]);
  });

  it.each([
    ['..\\..\\windows\\system32\\x.dll.txt', 'x.dll.txt'],
    ['/etc/passwd', 'passwd'],
    ['...', 'attachment'],
    ['.htaccess', 'htaccess'],
    ['a\u0000b\r\nc.txt', 'abc.txt'],
    ['rapport "final" <v2>.pdf', 'rapport _final_ _v2_.pdf'],
    ['', 'attachment'],
    [null, 'attachment'],
    ['x'.repeat(300) + '.pdf', 'x'.repeat(146) + '.pdf'],
  ])('display name %j → %j', (input, expected) => {
    expect(sanitizeDisplayName(input as string | null)).toBe(expected);
  });

  it('serves every file as a download that browsers will not sniff or render', () => {
    const h = downloadHeaders({ displayName: 'Rapport été "final".pdf', contentType: 'application/pdf', size: 10 });
    expect(h['Content-Disposition']).toBe(`attachment; filename="Rapport _t_ _final_.pdf"; filename*=UTF-8''Rapport%20%C3%A9t%C3%A9%20_final_.pdf`);
    expect(h['X-Content-Type-Options']).toBe('nosniff');
    expect(h['Content-Type']).toBe('application/pdf');
    expect(h['Content-Security-Policy']).toContain("default-src 'none'");
    expect(downloadHeaders({ displayName: 'x.html', contentType: 'text/html' })['Content-Type']).toBe('application/octet-stream');
    expect(downloadHeaders({ displayName: 'x', contentType: 'text/plain\r\nX-Evil: 1' })['Content-Type']).toBe('application/octet-stream');
  });
});
