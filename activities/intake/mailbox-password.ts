import type { PrismaClient } from '../../lib/db/prisma';
import type { Logger } from '../../lib/logger';
import { SecretDecryptionError, type SecretKeyring } from '../../lib/secrets/secret-box';

/**
 * A mailbox's IMAP password at rest: sealed with the secrets keyring (lib/secrets), bound to
 * that mailbox's id, so a sealed value copied onto another mailbox does not open there.
 */
const context = (mailboxId: string) => `mailbox:${mailboxId}:imapPassword`;

export function sealMailboxPassword(secrets: SecretKeyring, mailboxId: string, password: string): string {
  return secrets.seal(password, context(mailboxId));
}

export class MailboxPasswordError extends Error {
  constructor(mailbox: { id: string; name: string }, cause: SecretDecryptionError) {
    super(
      `Mailbox "${mailbox.name}" (${mailbox.id}): its IMAP password cannot be decrypted: ${cause.message}. ` +
        'Set the key it was encrypted with in SECRETS_KEY or SECRETS_PREVIOUS_KEYS, or enter the password again (PATCH /mailboxes/:id).',
    );
    this.name = 'MailboxPasswordError';
  }
}

/** The clear password, for the IMAP login only. Legacy plaintext is accepted with a warning. */
export function openMailboxPassword(
  secrets: SecretKeyring | undefined,
  mailbox: { id: string; name: string; imapPassword: string },
  log?: Logger,
): string {
  if (!secrets) {
    // No keyring given (tools that predate encryption): only a plaintext password can be used.
    log?.warn({ mailbox: mailbox.name }, 'mail intake started without the secrets keyring: the stored IMAP password is used as it is');
    return mailbox.imapPassword;
  }
  try {
    const opened = secrets.open(mailbox.imapPassword, context(mailbox.id));
    if (opened.legacy) {
      log?.warn(
        { mailbox: mailbox.name, mailboxId: mailbox.id },
        'IMAP password stored in PLAINTEXT (from before encryption at rest); the worker re-encrypts it at its next start, or set it again with PATCH /mailboxes/:id',
      );
    }
    return opened.plaintext;
  } catch (err) {
    if (err instanceof SecretDecryptionError) throw new MailboxPasswordError(mailbox, err);
    throw err;
  }
}

/**
 * At worker start: every password still in plaintext (legacy rows) or under a former key
 * (rotation) is sealed again under the current key. Guarded by the old value, so a password
 * changed meanwhile through the API is never overwritten. One that cannot be decrypted is
 * reported and left alone (the intake of that mailbox says why; the others run).
 */
export async function resealMailboxPasswords(deps: { prisma: PrismaClient; log: Logger; secrets: SecretKeyring }): Promise<{ resealed: number; failed: number }> {
  const rows = await deps.prisma.mailbox.findMany({ select: { id: true, name: true, imapPassword: true } });
  let resealed = 0;
  let failed = 0;
  for (const row of rows) {
    if (!deps.secrets.needsResealing(row.imapPassword)) continue;
    let opened: ReturnType<SecretKeyring['open']>;
    try {
      opened = deps.secrets.open(row.imapPassword, context(row.id));
    } catch (err) {
      failed++;
      deps.log.error({ mailbox: row.name, err: (err as Error).message }, 'cannot re-encrypt this mailbox\'s IMAP password');
      continue;
    }
    const updated = await deps.prisma.mailbox.updateMany({
      where: { id: row.id, imapPassword: row.imapPassword },
      data: { imapPassword: sealMailboxPassword(deps.secrets, row.id, opened.plaintext) },
    });
    if (updated.count) {
      resealed++;
      deps.log.warn({ mailbox: row.name }, opened.legacy ? 'plaintext IMAP password encrypted at rest' : 'IMAP password re-encrypted under the current SECRETS_KEY');
    }
  }
  return { resealed, failed };
}
