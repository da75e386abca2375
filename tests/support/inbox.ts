import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { MailServers } from './mail-servers';

/** Every message in a test mail user's INBOX, read over real IMAP and parsed. */
export async function readInbox(servers: MailServers, address: string): Promise<ParsedMail[]> {
  const { user, pass } = servers.users[address];
  const client = new ImapFlow({ ...servers.imap, auth: { user, pass }, logger: false });
  await client.connect();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const status = await client.status('INBOX', { messages: true });
      if (!status || !status.messages) return [];
      const out: ParsedMail[] = [];
      for await (const msg of client.fetch('1:*', { uid: true, source: true })) out.push(await simpleParser(msg.source!));
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}
