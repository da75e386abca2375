import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { MailServers } from '../support/mail-servers';

/** Every message in a user's folder, parsed (reads real delivered mail). */
export async function readFolder(servers: MailServers, address: string, folder = 'INBOX'): Promise<Array<{ raw: Buffer; parsed: ParsedMail }>> {
  const { user, pass } = servers.users[address];
  const client = new ImapFlow({ ...servers.imap, auth: { user, pass }, logger: false });
  await client.connect();
  try {
    const lock = await client.getMailboxLock(folder);
    try {
      if (!client.mailbox || !client.mailbox.exists) return [];
      const all = await client.fetchAll('1:*', { uid: true, source: true });
      return Promise.all(all.map(async (m) => ({ raw: m.source!, parsed: await simpleParser(m.source!) })));
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

export function header(parsed: ParsedMail, name: string): string {
  const v = parsed.headers.get(name.toLowerCase());
  if (v === undefined) return '';
  return typeof v === 'string' ? v : Array.isArray(v) ? v.join(' ') : JSON.stringify(v);
}
