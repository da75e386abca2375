import { ImapFlow } from 'imapflow';
import type { Mailbox } from '../../generated/prisma/client';
import type { Logger } from '../../lib/logger';
import type { SecretKeyring } from '../../lib/secrets/secret-box';
import { openMailboxPassword } from './mailbox-password';

/** What the intake needs to reach one mailbox (a row of Mailbox). */
export type MailboxSettings = Pick<
  Mailbox,
  'id' | 'name' | 'address' | 'imapHost' | 'imapPort' | 'imapTls' | 'imapAllowPlain' | 'imapUser' | 'imapPassword' | 'folder' | 'processedFolder' | 'quarantineFolder' | 'unknownSenders'
>;

/**
 * One IMAP connection to a mailbox. Implicit TLS, or STARTTLS required unless the mailbox
 * explicitly allows plaintext (loopback test servers): credentials never cross the network in
 * clear by accident. The password is stored encrypted (activities/intake/mailbox-password.ts)
 * and decrypted here, for the login only; a password that cannot be decrypted throws a
 * MailboxPasswordError naming the mailbox.
 */
export function openImap(mailbox: MailboxSettings, opts: { tlsCa?: string; secrets?: SecretKeyring; log?: Logger } = {}): ImapFlow {
  return new ImapFlow({
    host: mailbox.imapHost,
    port: mailbox.imapPort,
    secure: mailbox.imapTls,
    doSTARTTLS: mailbox.imapTls ? undefined : mailbox.imapAllowPlain ? false : true,
    auth: { user: mailbox.imapUser, pass: openMailboxPassword(opts.secrets, mailbox, opts.log) },
    tls: opts.tlsCa ? { ca: opts.tlsCa } : undefined,
    logger: false,
    // IDLE is driven by the intake loop itself (it must reconcile between IDLE rounds).
    disableAutoIdle: true,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 5 * 60_000,
  });
}
