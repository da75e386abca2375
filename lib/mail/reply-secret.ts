import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';

export const GENERATED_SECRET_FILE = 'mail-reply.secret';

/**
 * The secrets that sign and verify reply tokens, current first. With MAIL_REPLY_SECRET unset, a
 * random secret is generated once into DATA_DIR (mode 0600, written atomically so two processes
 * starting together end up with the same one) and reused: tokens in mail already sent stay valid
 * across restarts.
 */
export function resolveReplySecrets(config: Pick<Config, 'dataDir' | 'mail'>): string[] {
  const current = config.mail.replySecret ?? generatedSecret(config.dataDir);
  return [current, ...config.mail.previousReplySecrets.filter((s) => s !== current)];
}

function generatedSecret(dataDir: string): string {
  const file = path.join(dataDir, GENERATED_SECRET_FILE);
  const existing = readSecret(file);
  if (existing) return existing;
  fs.mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, crypto.randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
  try {
    // link fails if another process won the race: then its secret is the one
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const secret = readSecret(file);
  if (!secret) throw new Error(`${file} is empty or too short; delete it to generate a new reply secret`);
  return secret;
}

function readSecret(file: string): string | undefined {
  try {
    const v = fs.readFileSync(file, 'utf8').trim();
    return v.length >= 32 ? v : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
