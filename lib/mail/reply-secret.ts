import crypto from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config';
import { readOrCreateSecretFile } from '../secrets/generated-file';

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
  return readOrCreateSecretFile(path.join(dataDir, GENERATED_SECRET_FILE), {
    create: () => crypto.randomBytes(32).toString('base64url'),
    valid: (v) => v.length >= 32,
    what: 'reply secret',
    invalid: 'too short',
  });
}
