import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './free-port';
import { repoRoot } from './paths';

/**
 * Real mail servers on loopback for tests and benches: Dovecot 2.3 (IMAP, LMTP) and Postfix
 * (SMTP, delivering to Dovecot), one private instance per call, driven by the scripts in
 * scripts/mail-servers/ (which see for the configuration). Needs root and the Debian packages
 * (`scripts/mail-servers/install.sh`).
 *
 * - IMAP on 127.0.0.1, plaintext (no STARTTLS unless `tls: true`); users log in with their full
 *   address and password.
 * - SMTP on 127.0.0.1: accepts mail for the instance's users from anyone on loopback (AUTH
 *   optional, same passwords), delivers it to their INBOX within a few ms; plus addressing
 *   (`support+t-42@example.test` goes to support@example.test); every other recipient is
 *   rejected at RCPT TO, so nothing leaves the machine.
 * - `deliver()` stores a raw message straight into a mailbox (doveadm save), byte for byte,
 *   without SMTP: the fast way to set up a test.
 * - `stop()` kills every process of the instance and waits for them to be gone. If the process
 *   that started the servers dies without calling it (even SIGKILL), a watchdog started by
 *   start.sh stops them within about half a second.
 */
export const MAIL_SCRIPTS_DIR = path.join(repoRoot, 'scripts', 'mail-servers');

/** The users of an instance when none are given (password: local part + "-pass"). */
export const DEFAULT_MAIL_USERS = ['support@example.test', 'tech@example.test', 'client@client.test'] as const;

export interface MailUser {
  user: string;
  pass: string;
}

export interface StartMailServersOptions {
  /** Instance directory (kept after stop). Default: a fresh temp dir, removed by stop(). */
  root?: string;
  /**
   * Addresses (password = local part + "-pass") or address → password. Their domains become the
   * instance's local domains. Default: DEFAULT_MAIL_USERS.
   */
  users?: readonly string[] | Record<string, string>;
  /** Offer STARTTLS on IMAP and SMTP with a self-signed certificate (returned as `tls.ca`). */
  tls?: boolean;
}

export interface MailServers {
  root: string;
  imap: { host: string; port: number; secure: false };
  smtp: { host: string; port: number };
  /** Keyed by address. */
  users: Record<string, MailUser>;
  /** With `tls: true`: the certificate to trust (PEM), valid for `localhost` and 127.0.0.1. */
  tls?: { ca: string; servername: string };
  /** Time from the call to both greetings, in ms. */
  startMs: number;
  /** Stores a raw RFC 822 message in `to`'s mailbox (default INBOX), as is. */
  deliver(rawRfc822: Buffer | string, to: string, opts?: { mailbox?: string }): Promise<void>;
  /**
   * Runs doveadm against this instance and returns its stdout, e.g. to empty a mailbox between
   * tests: `doveadm('expunge', '-u', user, 'mailbox', 'INBOX', 'all')`, or to read counters:
   * `doveadm('-f', 'flow', 'mailbox', 'status', '-u', user, 'messages uidnext', 'INBOX')`.
   */
  doveadm(...args: string[]): Promise<string>;
  /** Pids of the instance's live processes (empty once stopped). */
  processes(): number[];
  stop(): Promise<void>;
}

interface RunResult {
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [path.join(MAIL_SCRIPTS_DIR, script), ...args],
      { env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(new Error(`${script} ${args.join(' ')} failed: ${stderr.trim() || err.message}`), { stdout, stderr }));
        else resolve({ stdout, stderr });
      },
    );
  });
}

function assertInstalled(): void {
  const missing = ['/usr/sbin/dovecot', '/usr/bin/doveadm', '/usr/lib/dovecot/imap', '/usr/lib/dovecot/lmtp', '/usr/sbin/postfix'].filter(
    (f) => !fs.existsSync(f),
  );
  if (missing.length) {
    throw new Error(
      `Mail servers are not installed (missing ${missing.join(', ')}). ` +
        `Run scripts/mail-servers/install.sh as root once (Debian/Ubuntu: installs dovecot-imapd, dovecot-lmtpd and postfix ` +
        `without starting them).`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new Error('startMailServers() needs root: Postfix cannot run unprivileged, and Dovecot switches to a mail uid.');
  }
}

function userMap(users: StartMailServersOptions['users']): Record<string, MailUser> {
  const entries: Array<[string, string]> = Array.isArray(users)
    ? users.map((a) => [a, `${a.split('@')[0]}-pass`])
    : Object.entries(users ?? {});
  const list = entries.length ? entries : DEFAULT_MAIL_USERS.map((a) => [a, `${a.split('@')[0]}-pass`] as [string, string]);
  const out: Record<string, MailUser> = {};
  for (const [addr, pass] of list) {
    const user = addr.trim().toLowerCase();
    if (/[\s:,]/.test(pass) || !pass) throw new Error(`password for ${user} must be non-empty, without spaces, ':' or ','`);
    out[user] = { user, pass };
  }
  return out;
}

const OUR_EXE = /^\/usr\/(sbin\/dovecot$|lib\/dovecot\/|lib\/postfix\/|sbin\/post)/;

/**
 * The live processes of an instance: members of the masters' sessions, plus any Dovecot/Postfix
 * executable whose cwd or root directory is inside `root`. A session id is ignored once its
 * leader pid belongs to something else (Linux reuses a pid only when no session uses it anymore).
 */
export function instanceProcesses(root: string, sessions: number[]): number[] {
  sessions = sessions.filter((sid) => {
    try {
      return OUR_EXE.test(fs.readlinkSync(`/proc/${sid}/exe`));
    } catch {
      return true; // gone or a zombie: the id cannot have been reused while members remain
    }
  });
  const found: number[] = [];
  const rootPrefix = `${root}/`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' '); // state ppid pgrp session ...
    if (fields[0] === 'Z') continue;
    if (sessions.includes(Number(fields[3]))) {
      found.push(pid);
      continue;
    }
    try {
      const exe = fs.readlinkSync(`/proc/${pid}/exe`);
      if (!OUR_EXE.test(exe)) continue;
      const dirs = [fs.readlinkSync(`/proc/${pid}/cwd`), fs.readlinkSync(`/proc/${pid}/root`)];
      if (dirs.some((d) => `${d}/`.startsWith(rootPrefix))) found.push(pid);
    } catch {
      // gone, or not ours to inspect
    }
  }
  return found;
}

async function startOnce(root: string, users: Record<string, MailUser>, tls: boolean) {
  const [imapPort, smtpPort] = await freePorts(2);
  const env = {
    MAIL_USERS: Object.values(users)
      .map((u) => `${u.user}:${u.pass}`)
      .join(' '),
    MAIL_TLS: tls ? '1' : '0',
  };
  await run('setup.sh', [root, String(imapPort), String(smtpPort)], env);
  const started = await run('start.sh', [root], { WATCH_PID: String(process.pid) });
  return { imapPort, smtpPort, out: started.stdout };
}

export async function startMailServers(opts: StartMailServersOptions = {}): Promise<MailServers> {
  const t0 = Date.now();
  assertInstalled();
  const users = userMap(opts.users);
  const ownRoot = !opts.root;
  // 0755 all the way: the mail uid and Postfix must reach their files (mkdtemp makes 0700)
  const wanted = opts.root ? path.resolve(opts.root) : fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-mail-'));
  fs.mkdirSync(wanted, { recursive: true });
  fs.chmodSync(wanted, 0o755);
  const root = fs.realpathSync(wanted); // the scripts resolve symlinks too (process cwd matching)

  // Free ports are picked before the servers bind them: another process may take one in
  // between. start.sh then fails (and cleans up); try again with new ports.
  let started: Awaited<ReturnType<typeof startOnce>> | undefined;
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await startOnce(root, users, !!opts.tls);
    } catch (err) {
      if (attempt >= 3) {
        if (ownRoot) fs.rmSync(root, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const readPid = (f: string) => Number(fs.readFileSync(path.join(root, f), 'utf8').trim());
  const sessions = [readPid('dovecot/base/master.pid'), readPid('postfix/queue/pid/master.pid')];
  const dovecotConf = path.join(root, 'dovecot', 'dovecot.conf');

  let stopping: Promise<void> | undefined;
  return {
    root,
    imap: { host: '127.0.0.1', port: started.imapPort, secure: false },
    smtp: { host: '127.0.0.1', port: started.smtpPort },
    users,
    tls: opts.tls ? { ca: fs.readFileSync(path.join(root, 'tls', 'cert.pem'), 'utf8'), servername: 'localhost' } : undefined,
    startMs: Date.now() - t0,
    deliver(raw, to, { mailbox = 'INBOX' } = {}) {
      const user = to.trim().toLowerCase().replace(/\+[^@]*@/, '@');
      return new Promise((resolve, reject) => {
        const child = spawn('doveadm', ['-c', dovecotConf, 'save', '-u', user, '-m', mailbox], {
          stdio: ['pipe', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0 ? resolve() : reject(new Error(`doveadm save to ${user}/${mailbox} failed (exit ${code}): ${stderr.trim()}`)),
        );
        child.stdin.on('error', () => undefined); // doveadm may exit early (unknown user); reported above
        child.stdin.end(raw);
      });
    },
    doveadm(...args) {
      return new Promise((resolve, reject) => {
        execFile('doveadm', ['-c', dovecotConf, ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`doveadm ${args.join(' ')} failed: ${stderr.trim() || err.message}`)) : resolve(stdout),
        );
      });
    },
    processes: () => instanceProcesses(root, sessions),
    stop() {
      stopping ??= (async () => {
        await run('stop.sh', [root]);
        if (ownRoot) fs.rmSync(root, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
