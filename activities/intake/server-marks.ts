import type { ImapFlow } from 'imapflow';
import type { PrismaClient } from '../../lib/db/prisma';
import type { MailboxSettings } from './imap-connection';

/**
 * Step three: reflect on the IMAP server what the ledger already committed. Runs only for rows
 * whose processing transaction is done, so a crash can delay a move but never move a message
 * that was not handled. MOVE/STORE of a UID that is already gone is a no-op, so repeating it
 * after a crash is harmless.
 */
export const FLAG_PROCESSED = '$MspflowProcessed';
export const FLAG_QUARANTINED = '$MspflowQuarantined';

const folderExists = new WeakMap<ImapFlow, Set<string>>();

async function ensureFolder(client: ImapFlow, folder: string): Promise<void> {
  let known = folderExists.get(client);
  if (!known) folderExists.set(client, (known = new Set()));
  if (known.has(folder)) return;
  const list = await client.list();
  if (!list.some((f) => f.path === folder)) await client.mailboxCreate(folder).catch((err: { serverResponseCode?: string }) => {
    if (err.serverResponseCode !== 'ALREADYEXISTS') throw err;
  });
  known.add(folder);
}

export async function markDoneOnServer(
  prisma: PrismaClient,
  client: ImapFlow,
  mailbox: MailboxSettings,
  uidValidity: bigint,
  extra: { duplicateUids?: number[] } = {},
): Promise<number> {
  const pending = await prisma.inboundMessage.findMany({
    where: { mailboxId: mailbox.id, folder: mailbox.folder, uidValidity, serverDoneAt: null, status: { not: 'STORED' } },
    select: { id: true, uid: true, status: true },
    take: 1000,
  });
  const quarantined = pending.filter((p) => p.status === 'QUARANTINED' || p.status === 'HELD');
  const done = pending.filter((p) => !(p.status === 'QUARANTINED' || p.status === 'HELD'));
  const doneUids = [...done.map((p) => Number(p.uid)), ...(extra.duplicateUids ?? [])];
  if (doneUids.length === 0 && quarantined.length === 0) return 0;

  const lock = await client.getMailboxLock(mailbox.folder);
  try {
    await apply(client, doneUids, mailbox.processedFolder, FLAG_PROCESSED);
    await apply(client, quarantined.map((p) => Number(p.uid)), mailbox.quarantineFolder, FLAG_QUARANTINED);
  } finally {
    lock.release();
  }
  const ids = pending.map((p) => p.id);
  if (ids.length) await prisma.inboundMessage.updateMany({ where: { id: { in: ids } }, data: { serverDoneAt: new Date() } });
  return pending.length;
}

async function apply(client: ImapFlow, uids: number[], folder: string | null, flag: string): Promise<void> {
  if (uids.length === 0) return;
  const range = uids.join(',');
  // Flag first: if the server has no MOVE target, the flag alone still tells people it is handled.
  await client.messageFlagsAdd(range, ['\\Seen', flag], { uid: true });
  if (folder) {
    await ensureFolder(client, folder);
    await client.messageMove(range, folder, { uid: true });
  }
}
