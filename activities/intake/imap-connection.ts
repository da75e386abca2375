import { ImapFlow } from 'imapflow';
import type { Mailbox } from '../../generated/prisma/client';

/** What the intake needs to reach one mailbox (a row of Mailbox). */
export type MailboxSettings = Pick<
  Mailbox,
  'id' | 'name' | 'address' | 'imapHost' | 'imapPort' | 'imapTls' | 'imapAllowPlain' | 'imapUser' | 'imapPassword' | 'folder' | 'processedFolder' | 'quarantineFolder' | 'unknownSenders'
>;

/**
 * One IMAP connection to a mailbox. Implicit TLS, or STARTTLS required unless the mailbox
 * explicitly allows plaintext (loopback test servers): credentials never cross the network in
 * clear by accident.
 */
export function openImap(mailbox: MailboxSettings, opts: { tlsCa?: string } = {}): ImapFlow {
  return new ImapFlow({
    host: mailbox.imapHost,
    port: mailbox.imapPort,
    secure: mailbox.imapTls,
    doSTARTTLS: mailbox.imapTls ? undefined : mailbox.imapAllowPlain ? false : true,
    auth: { user: mailbox.imapUser, pass: mailbox.imapPassword },
    tls: opts.tlsCa ? { ca: opts.tlsCa } : undefined,
    logger: false,
    // IDLE is driven by the intake loop itself (it must reconcile between IDLE rounds).
    disableAutoIdle: true,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 5 * 60_000,
  });
}
