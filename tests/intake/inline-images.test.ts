import type { MailIntake } from '../../activities/intake/mail-intake';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { startMailServers, type MailServers } from '../support/mail-servers';
import { createClientWithContact, createMailbox, mailEnv, newMessageId, rawMail, startIntake, SUPPORT } from './support';

/**
 * An HTML mail with inline images (multipart/related, Content-ID) through real Dovecot: the
 * images are stored as attachments under server keys, typed by their bytes, and the sanitised
 * HTML points at the API's download URL for each; an SVG is never an image there.
 */
const CLIENT = 'client@client.test';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>';

let servers: MailServers;
let ctx: TestContext;
let intake: MailIntake;

beforeAll(async () => {
  servers = await startMailServers({ users: [SUPPORT, CLIENT] });
  ctx = await createTestContext({ env: mailEnv });
  await createClientWithContact(ctx.prisma, { contact: CLIENT, domain: 'client.test', locale: 'en' });
  await createMailbox(ctx.prisma, servers);
  intake = startIntake(ctx.prisma, ctx.config, ctx.log, { reconcileMs: 1000 });
  await intake.start();
});

afterAll(async () => {
  await intake?.stop();
  await ctx?.close();
  await servers?.stop();
});

function relatedMail(messageId: string): string {
  const b1 = 'mixed-1';
  const b2 = 'related-2';
  const b3 = 'alt-3';
  return rawMail({
    from: `Claire <${CLIENT}>`,
    subject: 'Screenshot of the error',
    messageId,
    mime: {
      contentType: `multipart/mixed; boundary="${b1}"`,
      body: [
        `--${b1}`,
        `Content-Type: multipart/related; boundary="${b2}"; type="multipart/alternative"`,
        '',
        `--${b2}`,
        `Content-Type: multipart/alternative; boundary="${b3}"`,
        '',
        `--${b3}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        'See the screenshot below.',
        `--${b3}`,
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>See the screenshot below.</p>',
        '<p><img src="cid:logo@client.test" alt="logo"> <img src="CID:chart@client.test" alt="chart"></p>',
        '<p><img src="cid:evil@client.test" alt="svg"><img src="cid:missing@client.test" alt="missing"><img src="https://tracker.example/pixel.gif"></p>',
        `--${b3}--`,
        `--${b2}`,
        'Content-Type: image/png; name="logo.png"',
        'Content-Disposition: inline; filename="logo.png"',
        'Content-ID: <logo@client.test>',
        'Content-Transfer-Encoding: base64',
        '',
        PNG.toString('base64'),
        // Apple Mail style: no Content-Disposition, only its place in multipart/related
        `--${b2}`,
        'Content-Type: image/png; name="chart.png"',
        'Content-ID: <chart@client.test>',
        'Content-Transfer-Encoding: base64',
        '',
        PNG.toString('base64'),
        `--${b2}`,
        'Content-Type: image/svg+xml; name="evil.svg"',
        'Content-Disposition: inline; filename="evil.svg"',
        'Content-ID: <evil@client.test>',
        '',
        SVG,
        `--${b2}--`,
        `--${b1}--`,
      ].join('\r\n'),
    },
  });
}

test('inline images are kept: stored under server keys, and the sanitised HTML points at their download URL', async () => {
  const messageId = newMessageId();
  await servers.deliver(relatedMail(messageId), SUPPORT);
  const row = await eventually(async () => {
    const r = await ctx.prisma.inboundMessage.findFirst({ where: { messageIdHeader: messageId.toLowerCase() } });
    expect(r?.status).toBe('PROCESSED');
    return r!;
  }, { timeoutMs: 30_000 });
  const msg = await ctx.prisma.ticketMessage.findFirstOrThrow({ where: { inboundId: row.id }, include: { attachments: true } });
  const byCid = Object.fromEntries(msg.attachments.map((a) => [a.contentId, a]));
  expect(Object.keys(byCid).sort()).toEqual(['chart@client.test', 'evil@client.test', 'logo@client.test']);
  for (const cid of ['logo@client.test', 'chart@client.test']) {
    expect(byCid[cid]).toMatchObject({ inline: true, contentType: 'image/png', size: PNG.length });
    expect(byCid[cid].storageKey).toMatch(/^att\/\d{4}\/\d{2}\/[0-9a-f-]{36}$/);
  }
  // an SVG is kept as opaque bytes, never as an image
  expect(byCid['evil@client.test']).toMatchObject({ inline: false, contentType: 'application/octet-stream' });

  const html = msg.bodyHtml!;
  const images = [...html.matchAll(/<img [^>]*>/g)].map((m) => m[0]);
  expect(images).toHaveLength(2);
  const srcOf = (alt: string) => /src="([^"]+)"/.exec(images.find((i) => i.includes(`alt="${alt}"`)) ?? '')?.[1];
  expect(srcOf('logo')).toBe(`/attachments/${byCid['logo@client.test'].id}`);
  expect(srcOf('chart')).toBe(`/attachments/${byCid['chart@client.test'].id}`);
  expect(html).not.toMatch(/cid:|svg|onload|tracker\.example/i);
  expect(html).not.toContain(byCid['evil@client.test'].id);
  expect(msg.bodyText).toContain('See the screenshot below.');

  // the URL in the HTML serves the image, as a download with safe headers, to staff who see the ticket
  const admin = await ctx.userWithToken('ADMIN');
  const url = srcOf('logo')!;
  const image = await ctx.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${admin.token}` } });
  expect(image.statusCode).toBe(200);
  expect(image.rawPayload.equals(PNG)).toBe(true);
  expect(image.headers['content-type']).toBe('image/png');
  expect(image.headers['content-disposition']).toMatch(/^attachment; filename="logo\.png"/);
  expect(image.headers['x-content-type-options']).toBe('nosniff');
  expect(image.headers['content-security-policy']).toBe("default-src 'none'; sandbox");

  const svg = await ctx.app.inject({ method: 'GET', url: `/attachments/${byCid['evil@client.test'].id}`, headers: { authorization: `Bearer ${admin.token}` } });
  expect(svg.statusCode).toBe(200);
  expect(svg.headers['content-type']).toBe('application/octet-stream');
  expect(svg.headers['content-disposition']).toMatch(/^attachment/);

  // the ticket's message list shows the same HTML and the inline flag
  const list = await ctx.app.inject({ method: 'GET', url: `/tickets/${row.ticketId}/messages`, headers: { authorization: `Bearer ${admin.token}` } });
  const listed = list.json().items.find((m: { id: string }) => m.id === msg.id);
  expect(listed.bodyHtml).toBe(html);
  expect(listed.attachments.filter((a: { inline: boolean }) => a.inline)).toHaveLength(2);

  // tenant and role checks as for any attachment: another client's technician gets a 404
  const other = await createClientWithContact(ctx.prisma, { contact: 'someone@other.test' });
  const outsider = await ctx.userWithToken('TECHNICIAN', [other.id]);
  expect((await ctx.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${outsider.token}` } })).statusCode).toBe(404);
  expect((await ctx.app.inject({ method: 'GET', url })).statusCode).toBe(401);
});
