import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createSmtpSender, type OutboundMessage, type SmtpSender } from '../../activities/mail/smtp-sender';
import { OperationalError, UserError, ValidationError } from '../../lib/errors';
import { eventually } from '../support/eventually';
import { instanceProcesses, startMailServers, type MailServers } from '../support/mail-servers';
import { repoRoot } from '../support/paths';

const newMessageId = (domain = 'mspflow.test') => `<${crypto.randomUUID()}@${domain}>`;

function imap(servers: MailServers, address: string, extra: Partial<ConstructorParameters<typeof ImapFlow>[0]> = {}) {
  const { user, pass } = servers.users[address];
  return new ImapFlow({ ...servers.imap, auth: { user, pass }, logger: false, ...extra });
}

/** Waits until a message with this Message-ID is in the user's mailbox; fetches it by UID and parses it. */
async function readByMessageId(
  servers: MailServers,
  address: string,
  messageId: string,
  mailbox = 'INBOX',
): Promise<{ uid: number; source: Buffer; parsed: ParsedMail }> {
  const client = imap(servers, address);
  await client.connect();
  try {
    const lock = await client.getMailboxLock(mailbox);
    try {
      const uid = await eventually(
        async () => {
          const uids = await client.search({ header: { 'message-id': messageId } }, { uid: true });
          if (!uids || uids.length !== 1) throw new Error(`${messageId} not (uniquely) in ${address}/${mailbox}: ${JSON.stringify(uids)}`);
          return uids[0];
        },
        { timeoutMs: 10_000, intervalMs: 50 },
      );
      const msg = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
      if (!msg || !msg.source) throw new Error(`UID ${uid} vanished`);
      expect(msg.uid).toBe(uid);
      return { uid, source: msg.source, parsed: await simpleParser(msg.source) };
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

const header = (parsed: ParsedMail, name: string) => {
  const v = parsed.headers.get(name);
  return typeof v === 'string' ? v : JSON.stringify(v);
};

/** A header's raw value(s) from the message source (unfolded), e.g. Return-Path added at delivery. */
function rawHeaders(source: Buffer, name: string): string[] {
  const head = source.toString('utf8').split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'gim');
  return [...head.matchAll(re)].map((m) => m[1].trim());
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

describe('real IMAP + SMTP servers on loopback (Dovecot + Postfix)', () => {
  let servers: MailServers;
  let sender: SmtpSender;

  beforeAll(async () => {
    servers = await startMailServers();
    sender = createSmtpSender({
      ...servers.smtp,
      secure: false,
      from: '"ACME Support" <support@example.test>',
    });
  });

  afterAll(async () => {
    sender?.close();
    await servers?.stop();
  });

  test('starts quickly, with the default users', () => {
    expect(Object.keys(servers.users).sort()).toEqual(['client@client.test', 'support@example.test', 'tech@example.test']);
    expect(servers.users['tech@example.test']).toEqual({ user: 'tech@example.test', pass: 'tech-pass' });
    expect(servers.imap).toEqual({ host: '127.0.0.1', port: expect.any(Number), secure: false });
    expect(servers.startMs).toBeLessThan(10_000);
  });

  test('smtp-sender → Postfix → Dovecot: headers, body and envelope arrive intact', async () => {
    const messageId = newMessageId();
    const inReplyTo = newMessageId('client.test');
    const result = await sender.send({
      to: ['client@client.test'],
      subject: 'Ticket T-42: printer fixed — Ünïcødé ✓',
      text: 'Hello,\n\nyour printer works again.\n\n-- \nACME Support',
      html: '<p>Hello,</p><p>your printer <b>works</b> again.</p>',
      headers: { 'In-Reply-To': inReplyTo, References: inReplyTo, 'X-MSPFlow-Ticket': 'T-42' },
      messageId,
      envelopeFrom: 'bounces@example.test',
      autoSubmitted: true,
    });
    expect(result).toEqual({ messageId, accepted: ['client@client.test'], rejected: [], response: expect.stringMatching(/^250 /) });

    const { source, parsed } = await readByMessageId(servers, 'client@client.test', messageId);
    expect(parsed.messageId).toBe(messageId);
    expect(rawHeaders(source, 'Message-ID')).toEqual([messageId]);
    expect(parsed.subject).toBe('Ticket T-42: printer fixed — Ünïcødé ✓');
    expect(parsed.from?.value).toEqual([{ address: 'support@example.test', name: 'ACME Support' }]);
    expect(header(parsed, 'auto-submitted')).toBe('auto-generated');
    expect(header(parsed, 'x-auto-response-suppress')).toBe('All');
    expect(parsed.inReplyTo).toBe(inReplyTo);
    expect(header(parsed, 'x-mspflow-ticket')).toBe('T-42');
    expect(parsed.text?.trimEnd()).toBe('Hello,\n\nyour printer works again.\n\n-- \nACME Support');
    expect(parsed.html).toContain('<b>works</b>');
    // the SMTP envelope: MAIL FROM becomes Return-Path, RCPT TO becomes Delivered-To
    expect(rawHeaders(source, 'Return-Path')).toEqual(['<bounces@example.test>']);
    expect(rawHeaders(source, 'Delivered-To')).toEqual(['client@client.test']);
  });

  test('without autoSubmitted there is no Auto-Submitted header; null sender; plus addressing', async () => {
    const messageId = newMessageId();
    await sender.send({ to: ['support+t-7@example.test'], subject: 'reply', text: 'x', messageId, envelopeFrom: '' });
    const { source, parsed } = await readByMessageId(servers, 'support@example.test', messageId);
    expect(parsed.headers.has('auto-submitted')).toBe(false);
    expect(rawHeaders(source, 'Auto-Submitted')).toEqual([]);
    expect(rawHeaders(source, 'Return-Path')).toEqual(['<>']);
    expect(rawHeaders(source, 'Delivered-To')).toEqual(['support+t-7@example.test']);
  });

  test('Auto-Submitted may also come in headers; the autoSubmitted flag replaces it, once', async () => {
    const viaHeaders = newMessageId();
    await sender.send({ to: ['tech@example.test'], subject: 'h', text: 'h', messageId: viaHeaders, headers: { 'Auto-Submitted': 'auto-replied' } });
    expect(rawHeaders((await readByMessageId(servers, 'tech@example.test', viaHeaders)).source, 'Auto-Submitted')).toEqual(['auto-replied']);
    const both = newMessageId();
    await sender.send({
      to: ['tech@example.test'],
      subject: 'b',
      text: 'b',
      messageId: both,
      headers: { 'auto-submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'OOF' },
      autoSubmitted: true,
    });
    const { source } = await readByMessageId(servers, 'tech@example.test', both);
    expect(rawHeaders(source, 'Auto-Submitted')).toEqual(['auto-generated']);
    expect(rawHeaders(source, 'X-Auto-Response-Suppress')).toEqual(['All']);
  });

  test('the same Message-ID sent twice arrives twice with that id (callers dedupe on it)', async () => {
    const messageId = newMessageId();
    const msg = { to: ['tech@example.test'], subject: 'retry', text: 'same', messageId: messageId.slice(1, -1) };
    expect((await sender.send(msg)).messageId).toBe(messageId); // brackets added
    await sender.send(msg);
    const client = imap(servers, 'tech@example.test');
    await client.connect();
    try {
      await client.mailboxOpen('INBOX');
      await eventually(async () => expect(await client.search({ header: { 'message-id': messageId } }, { uid: true })).toHaveLength(2), {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
    } finally {
      await client.logout();
    }
  });

  test('unknown and outside recipients: partial rejection is reported, total rejection is a permanent UserError', async () => {
    const messageId = newMessageId();
    const partial = await sender.send({ to: ['tech@example.test', 'nobody@example.test'], subject: 's', text: 't', messageId });
    expect(partial.accepted).toEqual(['tech@example.test']);
    expect(partial.rejected).toEqual(['nobody@example.test']);

    for (const to of ['nobody@example.test', 'someone@elsewhere.invalid']) {
      const err = await sender.send({ to: [to], subject: 's', text: 't', messageId: newMessageId() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err).toMatchObject({ code: 'SMTP_REJECTED', details: { responseCode: 550 } });
    }
  });

  test('AUTH with the users’ passwords; a wrong password or a dead server is an OperationalError', async () => {
    const { user, pass } = servers.users['tech@example.test'];
    const authed = createSmtpSender({ ...servers.smtp, secure: false, auth: { user, pass }, from: user });
    try {
      const messageId = newMessageId();
      expect((await authed.send({ to: ['client@client.test'], subject: 'auth', text: 'a', messageId })).accepted).toEqual(['client@client.test']);
      await readByMessageId(servers, 'client@client.test', messageId);
    } finally {
      authed.close();
    }

    const wrong = createSmtpSender({ ...servers.smtp, secure: false, auth: { user, pass: 'nope' }, from: user });
    const err = await wrong.send({ to: ['client@client.test'], subject: 'x', text: 'x', messageId: newMessageId() }).catch((e: unknown) => e);
    wrong.close();
    expect(err).toBeInstanceOf(OperationalError);
    expect((err as Error).message).toMatch(/EAUTH/);

    const dead = createSmtpSender({ host: '127.0.0.1', port: 1, secure: false, from: user, timeouts: { connectMs: 2000 } });
    const err2 = await dead.send({ to: ['client@client.test'], subject: 'x', text: 'x', messageId: newMessageId() }).catch((e: unknown) => e);
    dead.close();
    expect(err2).toBeInstanceOf(OperationalError);
  });

  test('input is validated before anything is sent', async () => {
    const base = { to: ['tech@example.test'], subject: 's', text: 't', messageId: newMessageId() };
    const cases: OutboundMessage[] = [
      { ...base, to: [] },
      { ...base, to: ['Tech <tech@example.test>'] },
      { ...base, messageId: 'no-at-sign' },
      { ...base, subject: 'a\r\nBcc: victim@example.test' },
      { ...base, headers: { 'Message-ID': '<x@y>' } },
      { ...base, headers: { bcc: 'victim@example.test' } },
      { ...base, headers: { 'X-Evil': 'a\r\nBcc: victim@example.test' } },
      { ...base, envelopeFrom: 'not an address' },
    ];
    for (const c of cases) await expect(sender.send(c)).rejects.toBeInstanceOf(ValidationError);
  });

  test('pooled sender delivers a burst of messages', async () => {
    const ids = Array.from({ length: 30 }, () => newMessageId());
    const t0 = Date.now();
    await Promise.all(ids.map((messageId, i) => sender.send({ to: ['tech@example.test'], subject: `burst ${i}`, text: `n=${i}`, messageId })));
    const client = imap(servers, 'tech@example.test');
    await client.connect();
    try {
      await client.mailboxOpen('INBOX');
      await eventually(
        async () => {
          const uids = (await client.search({ subject: 'burst ' }, { uid: true })) || [];
          expect(uids.length).toBe(ids.length);
        },
        { timeoutMs: 15_000, intervalMs: 50 },
      );
    } finally {
      await client.logout();
    }
    console.log(`30 messages sent and visible over IMAP in ${Date.now() - t0} ms`);
  });

  test('deliver() stores a raw RFC 822 message byte for byte, in any mailbox', async () => {
    const messageId = newMessageId('client.test');
    const raw = [
      'Return-Path: <client@client.test>',
      'From: Client <client@client.test>',
      'To: support@example.test',
      'Subject: =?UTF-8?Q?Imprimante_en_panne_=E2=9C=97?=',
      `Message-ID: ${messageId}`,
      'Date: Mon, 16 Nov 2026 09:00:00 +0100',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Bonjour, l’imprimante ne marche plus.',
      '',
    ].join('\r\n');
    await servers.deliver(raw, 'support@example.test');
    const { source, parsed } = await readByMessageId(servers, 'support@example.test', messageId);
    expect(source.equals(Buffer.from(raw))).toBe(true);
    expect(parsed.subject).toBe('Imprimante en panne ✗');
    expect(parsed.text).toBe('Bonjour, l’imprimante ne marche plus.\n');

    const archived = newMessageId();
    await servers.deliver(Buffer.from(`Message-ID: ${archived}\r\nSubject: old\r\n\r\nold\r\n`), 'support+x@example.test', { mailbox: 'Archive' });
    expect((await readByMessageId(servers, 'support@example.test', archived, 'Archive')).parsed.subject).toBe('old');

    await expect(servers.deliver('Subject: x\r\n\r\nx\r\n', 'nobody@example.test')).rejects.toThrow(/doveadm save/);
  });

  test('doveadm() reads counters and empties a mailbox between tests', async () => {
    const status = async () => (await servers.doveadm('-f', 'flow', 'mailbox', 'status', '-u', 'client@client.test', 'messages', 'INBOX')).trim();
    await servers.deliver(`Message-ID: ${newMessageId()}\r\nSubject: x\r\n\r\nx\r\n`, 'client@client.test');
    expect(Number(/messages=(\d+)/.exec(await status())?.[1])).toBeGreaterThan(0);
    await servers.doveadm('expunge', '-u', 'client@client.test', 'mailbox', 'INBOX', 'all');
    expect(await status()).toBe('INBOX messages=0');
  });

  test('a wrong IMAP password is refused', async () => {
    const client = new ImapFlow({ ...servers.imap, auth: { user: 'tech@example.test', pass: 'nope' }, logger: false });
    await expect(client.connect()).rejects.toThrow();
  });
});

describe('mail server lifecycle', () => {
  test('custom users and STARTTLS with the returned CA; stop() leaves no process, port or directory behind', async () => {
    const servers = await startMailServers({ users: { 'helpdesk@msp.test': 'pw-1', 'boss@acme.test': 'pw-2' }, tls: true });
    const root = servers.root;
    const pids = servers.processes();
    try {
      expect(pids.length).toBeGreaterThanOrEqual(2);
      expect(servers.users['helpdesk@msp.test']).toEqual({ user: 'helpdesk@msp.test', pass: 'pw-1' });
      const tls = { ca: servers.tls!.ca, servername: servers.tls!.servername };
      const sender = createSmtpSender({
        ...servers.smtp,
        secure: false,
        requireTLS: true,
        tls,
        auth: { user: 'helpdesk@msp.test', pass: 'pw-1' },
        from: 'helpdesk@msp.test',
      });
      const messageId = newMessageId('msp.test');
      try {
        await sender.send({ to: ['boss@acme.test'], subject: 'over TLS', text: 'secret', messageId, autoSubmitted: 'auto-replied' });
      } finally {
        sender.close();
      }
      const client = imap(servers, 'boss@acme.test', { doSTARTTLS: true, tls });
      await client.connect();
      try {
        expect(client.secureConnection).toBe(true);
        await client.mailboxOpen('INBOX');
        const uids = await eventually(async () => {
          const u = await client.search({ header: { 'message-id': messageId } }, { uid: true });
          if (!u || u.length !== 1) throw new Error('not yet');
          return u;
        });
        const msg = await client.fetchOne(String(uids[0]), { source: true }, { uid: true });
        const parsed = await simpleParser((msg as { source: Buffer }).source);
        expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
        expect(parsed.text?.trimEnd()).toBe('secret');
      } finally {
        await client.logout();
      }
    } finally {
      await servers.stop();
    }
    expect(servers.processes()).toEqual([]);
    expect(pids.filter((pid) => fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '))).toEqual([]);
    expect(await portOpen(servers.imap.port)).toBe(false);
    expect(await portOpen(servers.smtp.port)).toBe(false);
    expect(fs.existsSync(root)).toBe(false);
  });

  test('servers die with the process that started them, even on SIGKILL (watchdog)', async () => {
    const script = [
      `const { startMailServers } = require(${JSON.stringify(path.join(repoRoot, 'tests/support/mail-servers.ts'))});`,
      `startMailServers().then((s) => { console.log(JSON.stringify({ root: s.root, imap: s.imap.port, pids: s.processes() })); setInterval(() => {}, 1000); },`,
      `  (e) => { console.error(e); process.exit(1); });`,
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    const info = await new Promise<{ root: string; imap: number; pids: number[] }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before the servers were up`)));
    });
    expect(info.pids.length).toBeGreaterThanOrEqual(2);
    expect(await portOpen(info.imap)).toBe(true);
    child.kill('SIGKILL');
    const sessions = info.pids; // the masters are among them and lead their sessions
    await eventually(async () => expect(instanceProcesses(info.root, sessions)).toEqual([]), { timeoutMs: 10_000, intervalMs: 100 });
    expect(await portOpen(info.imap)).toBe(false);
    fs.rmSync(info.root, { recursive: true, force: true }); // stop.sh keeps the directory; the owner is gone
  });
});
