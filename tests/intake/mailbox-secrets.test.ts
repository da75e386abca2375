import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { intakeRulesFrom, MailIntake } from '../../activities/intake/mail-intake';
import { openMailboxPassword, sealMailboxPassword } from '../../activities/intake/mailbox-password';
import { SecretKeyring, resolveSecretKeyring } from '../../lib/secrets/secret-box';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { startMailServers, type MailServers } from '../support/mail-servers';
import { createClientWithContact, mailEnv, newMessageId, rawMail, SUPPORT } from './support';

/**
 * IMAP passwords encrypted at rest (AES-256-GCM, lib/secrets), on real Dovecot and PostgreSQL:
 * what the database holds is not the password, and the intake still logs in with it.
 */
const CLIENT = 'client@client.test';
const SECOND = 'second@example.test';
const THIRD = 'third@example.test';

let servers: MailServers;
let ctx: TestContext;
let admin: { token: string };
const running: MailIntake[] = [];

/** A logger whose lines the test can read. */
function capturingLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

function intakeWith(secrets: SecretKeyring, log = ctx.log) {
  const intake = new MailIntake({ prisma: ctx.prisma, log, rules: intakeRulesFrom(ctx.config), secrets, concurrency: 2, batchSize: 8, reconcileMs: 1000, backoffMs: 200, maxBackoffMs: 1000 });
  running.push(intake);
  return intake;
}

async function storedPassword(id: string): Promise<string> {
  const rows = await ctx.prisma.$queryRaw<Array<{ imapPassword: string }>>`SELECT "imapPassword" FROM "Mailbox" WHERE id = ${id}::uuid`;
  return rows[0].imapPassword;
}

async function processed(messageId: string) {
  return eventually(async () => {
    const r = await ctx.prisma.inboundMessage.findFirst({ where: { messageIdHeader: messageId.toLowerCase() } });
    expect(r?.status).toBe('PROCESSED');
    return r!;
  }, { timeoutMs: 30_000 });
}

async function mailboxRow(address: string, imapPassword: (id: string) => string) {
  const id = crypto.randomUUID();
  return ctx.prisma.mailbox.create({
    data: {
      id,
      name: `mb-${crypto.randomBytes(3).toString('hex')}`,
      address,
      imapHost: servers.imap.host,
      imapPort: servers.imap.port,
      imapTls: false,
      imapAllowPlain: true,
      imapUser: servers.users[address].user,
      imapPassword: imapPassword(id),
      processedFolder: 'Processed',
      quarantineFolder: 'Quarantine',
    },
  });
}

beforeAll(async () => {
  servers = await startMailServers({ users: [SUPPORT, SECOND, THIRD, CLIENT] });
  ctx = await createTestContext({ env: mailEnv });
  await createClientWithContact(ctx.prisma, { contact: CLIENT, domain: 'client.test', locale: 'en' });
  admin = await ctx.userWithToken('ADMIN');
});

afterEach(async () => {
  for (const i of running.splice(0)) await i.stop();
  await ctx.prisma.mailbox.updateMany({ data: { enabled: false } });
});

afterAll(async () => {
  await ctx?.close();
  await servers?.stop();
});

test('a mailbox created through the API holds a ciphertext, not the password, and the intake logs in to Dovecot with it', async () => {
  const pass = servers.users[SUPPORT].pass;
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/mailboxes',
    headers: { authorization: `Bearer ${admin.token}` },
    payload: { name: 'api-box', address: SUPPORT, imapHost: servers.imap.host, imapPort: servers.imap.port, imapTls: false, imapAllowPlain: true, imapUser: servers.users[SUPPORT].user, imapPassword: pass },
  });
  expect(res.statusCode).toBe(201);
  expect(res.body).not.toContain(pass);
  expect(res.json()).not.toHaveProperty('imapPassword');
  const id = res.json().id as string;

  const stored = await storedPassword(id);
  expect(stored).not.toBe(pass);
  expect(stored).not.toContain(pass);
  expect(stored).toMatch(/^v1:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
  const list = await ctx.app.inject({ method: 'GET', url: '/mailboxes', headers: { authorization: `Bearer ${admin.token}` } });
  expect(list.body).not.toContain(stored.split(':')[4]);

  await intakeWith(resolveSecretKeyring(ctx.config)).start();
  const messageId = newMessageId();
  await servers.deliver(rawMail({ from: CLIENT, subject: 'Through an encrypted password', messageId }), SUPPORT);
  expect((await processed(messageId)).mailboxId).toBe(id);

  // a new password through the API is sealed again (fresh IV), never stored in clear
  const patched = await ctx.app.inject({ method: 'PATCH', url: `/mailboxes/${id}`, headers: { authorization: `Bearer ${admin.token}` }, payload: { imapPassword: pass } });
  expect(patched.statusCode).toBe(200);
  const again = await storedPassword(id);
  expect(again).not.toBe(stored);
  expect(again).not.toContain(pass);
  expect(resolveSecretKeyring(ctx.config).open(again, `mailbox:${id}:imapPassword`).plaintext).toBe(pass);
});

test('a legacy plaintext password is used with a warning, and the worker encrypts it at start', async () => {
  const secrets = resolveSecretKeyring(ctx.config);
  const pass = servers.users[SECOND].pass;
  const box = await mailboxRow(SECOND, () => pass);
  const { log, lines } = capturingLog();
  expect(openMailboxPassword(secrets, box, log)).toBe(pass);
  expect(lines.some((l) => l.level === 40 && /PLAINTEXT/.test(String(l.msg)) && l.mailbox === box.name)).toBe(true);

  await intakeWith(secrets, log).start();
  const stored = await storedPassword(box.id);
  expect(stored).toMatch(/^v1:/);
  expect(stored).not.toContain(pass);
  expect(lines.some((l) => /plaintext IMAP password encrypted at rest/.test(String(l.msg)) && l.mailbox === box.name)).toBe(true);
  const messageId = newMessageId();
  await servers.deliver(rawMail({ from: CLIENT, subject: 'After re-encryption', messageId }), SECOND);
  expect((await processed(messageId)).mailboxId).toBe(box.id);
});

test('rotation: a password sealed under the former key still logs in, and is re-encrypted under the new key at start', async () => {
  const oldKey = crypto.randomBytes(32);
  const newKey = crypto.randomBytes(32);
  const before = new SecretKeyring(oldKey);
  const box = await mailboxRow(THIRD, (id) => sealMailboxPassword(before, id, servers.users[THIRD].pass));
  const rotated = new SecretKeyring(newKey, [oldKey]);
  await intakeWith(rotated).start();
  const stored = await storedPassword(box.id);
  expect(stored.split(':')[1]).toBe(rotated.currentKeyId);
  expect(stored.split(':')[1]).not.toBe(before.currentKeyId);
  const messageId = newMessageId();
  await servers.deliver(rawMail({ from: CLIENT, subject: 'After rotation', messageId }), THIRD);
  expect((await processed(messageId)).mailboxId).toBe(box.id);
});

test('a password under an unknown key, or tampered, stops only that mailbox, with an error naming it', async () => {
  const secrets = resolveSecretKeyring(ctx.config);
  const foreign = new SecretKeyring(crypto.randomBytes(32));
  const unknownKey = await mailboxRow(SUPPORT, (id) => sealMailboxPassword(foreign, id, servers.users[SUPPORT].pass));
  const tampered = await mailboxRow(THIRD, (id) => {
    const parts = sealMailboxPassword(secrets, id, servers.users[THIRD].pass).split(':');
    const data = Buffer.from(parts[4], 'base64url');
    data[0] ^= 0x01;
    parts[4] = data.toString('base64url');
    return parts.join(':');
  });
  const tamperedValue = await storedPassword(tampered.id);
  const healthy = await mailboxRow(SECOND, (id) => sealMailboxPassword(secrets, id, servers.users[SECOND].pass));

  const { log, lines } = capturingLog();
  const intake = intakeWith(secrets, log);
  await intake.start();
  const messageId = newMessageId();
  await servers.deliver(rawMail({ from: CLIENT, subject: 'The healthy mailbox still works', messageId }), SECOND);
  expect((await processed(messageId)).mailboxId).toBe(healthy.id);

  await eventually(async () => {
    expect(intake.intakeOf(unknownKey.id)?.lastError).toMatch(new RegExp(`Mailbox "${unknownKey.name}".*cannot be decrypted.*neither SECRETS_KEY`));
    expect(intake.intakeOf(tampered.id)?.lastError).toMatch(new RegExp(`Mailbox "${tampered.name}".*fails authentication`));
  });
  expect(intake.intakeOf(unknownKey.id)?.connects).toBe(0);
  expect(intake.intakeOf(tampered.id)?.connects).toBe(0);
  expect(lines.some((l) => l.level === 50 && String(l.err).includes(unknownKey.name))).toBe(true);
  // refused, never "repaired": the stored values are left as they are
  expect(await storedPassword(tampered.id)).toBe(tamperedValue);
  expect(await ctx.prisma.inboundMessage.count({ where: { mailboxId: { in: [unknownKey.id, tampered.id] } } })).toBe(0);
});
