import type { ImapFlow } from 'imapflow';
import type { PrismaClient } from '../../lib/db/prisma';
import type { Logger } from '../../lib/logger';
import type { MailboxSettings } from './imap-connection';
import { messageIdentity } from './message-identity';

/**
 * Step three: reflect on the IMAP server what the ledger already committed. Runs only for rows
 * whose processing transaction is done, so a crash can delay a move but never move a message
 * that was not handled. MOVE/STORE of a UID that is already gone is a no-op, so repeating it
 * after a crash is harmless.
 *
 * Each row remembers where its message went (`serverFolder`). A quarantined or held message
 * retried through the API gets `serverDoneAt` cleared; once its new outcome is committed it is
 * found again in that folder (by Message-ID, or by the hash of its bytes when it has none) and
 * moved where the new outcome says, its flags changed to match.
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

const isSetAside = (status: string) => status === 'QUARANTINED' || status === 'HELD';

export async function markDoneOnServer(
  prisma: PrismaClient,
  client: ImapFlow,
  mailbox: MailboxSettings,
  uidValidity: bigint,
  extra: { duplicateUids?: number[]; log?: Logger } = {},
): Promise<number> {
  const released = await moveRetriedMessages(prisma, client, mailbox, extra.log);
  const pending = await prisma.inboundMessage.findMany({
    where: { mailboxId: mailbox.id, folder: mailbox.folder, uidValidity, serverDoneAt: null, serverFolder: null, status: { not: 'STORED' } },
    select: { id: true, uid: true, status: true },
    take: 1000,
  });
  const quarantined = pending.filter((p) => isSetAside(p.status));
  const done = pending.filter((p) => !isSetAside(p.status));
  const doneUids = [...done.map((p) => Number(p.uid)), ...(extra.duplicateUids ?? [])];
  if (doneUids.length === 0 && quarantined.length === 0) return released;

  const lock = await client.getMailboxLock(mailbox.folder);
  try {
    await apply(client, doneUids, mailbox.processedFolder, FLAG_PROCESSED);
    await apply(client, quarantined.map((p) => Number(p.uid)), mailbox.quarantineFolder, FLAG_QUARANTINED);
  } finally {
    lock.release();
  }
  const now = new Date();
  const record = async (rows: typeof pending, folder: string | null, stillSetAside: boolean) => {
    if (!rows.length) return;
    const ids = rows.map((p) => p.id);
    await prisma.inboundMessage.updateMany({ where: { id: { in: ids } }, data: { serverFolder: folder ?? mailbox.folder } });
    // A row retried through the API while it was being moved keeps serverDoneAt empty: it is
    // then released from where it went, like any retried message.
    await prisma.inboundMessage.updateMany({
      where: { id: { in: ids }, status: stillSetAside ? { in: ['QUARANTINED', 'HELD'] } : { notIn: ['QUARANTINED', 'HELD', 'STORED'] } },
      data: { serverDoneAt: now },
    });
  };
  await record(done, mailbox.processedFolder, false);
  await record(quarantined, mailbox.quarantineFolder, true);
  return released + pending.length;
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

/** Retried messages whose new outcome is committed: from where they were set aside to where they now belong. */
async function moveRetriedMessages(prisma: PrismaClient, client: ImapFlow, mailbox: MailboxSettings, log?: Logger): Promise<number> {
  const rows = await prisma.inboundMessage.findMany({
    where: { mailboxId: mailbox.id, serverDoneAt: null, serverFolder: { not: null }, status: { not: 'STORED' } },
    select: { id: true, status: true, serverFolder: true, messageIdHeader: true, messageIdHash: true },
    orderBy: { receivedAt: 'asc' },
    take: 100,
  });
  if (!rows.length) return 0;
  const byFolder = new Map<string, typeof rows>();
  for (const r of rows) byFolder.set(r.serverFolder!, [...(byFolder.get(r.serverFolder!) ?? []), r]);
  for (const [from, group] of byFolder) {
    if (!(await folderIsThere(client, from))) {
      log?.warn({ mailbox: mailbox.name, folder: from, messages: group.length }, 'the folder of retried messages is gone; nothing to move');
      await prisma.inboundMessage.updateMany({ where: { id: { in: group.map((r) => r.id) } }, data: { serverDoneAt: new Date() } });
      continue;
    }
    const lock = await client.getMailboxLock(from);
    try {
      for (const row of group) {
        const setAside = isSetAside(row.status);
        const to = setAside ? mailbox.quarantineFolder : mailbox.processedFolder;
        const uids = await locate(client, row);
        if (uids.length) {
          const range = uids.join(',');
          await client.messageFlagsRemove(range, [setAside ? FLAG_PROCESSED : FLAG_QUARANTINED], { uid: true });
          await client.messageFlagsAdd(range, ['\\Seen', setAside ? FLAG_QUARANTINED : FLAG_PROCESSED], { uid: true });
          if (to && to !== from) {
            await ensureFolder(client, to);
            await client.messageMove(range, to, { uid: true });
          }
        } else {
          log?.warn({ mailbox: mailbox.name, folder: from, messageId: row.messageIdHeader }, 'retried message not found on the server (moved by someone?); ledger updated only');
        }
        await prisma.inboundMessage.update({
          where: { id: row.id },
          data: { serverDoneAt: new Date(), serverFolder: uids.length && to ? to : from },
        });
      }
    } finally {
      lock.release();
    }
  }
  // IDLE watches the selected folder: select the intake's folder again.
  (await client.getMailboxLock(mailbox.folder)).release();
  return rows.length;
}

async function folderIsThere(client: ImapFlow, folder: string): Promise<boolean> {
  return (await client.list()).some((f) => f.path === folder);
}

/** UIDs of the row's message in the selected folder: by Message-ID, else by the hash of its bytes. */
async function locate(client: ImapFlow, row: { messageIdHeader: string; messageIdHash: string }): Promise<number[]> {
  const synthetic = /^<raw-[0-9a-f]+@mspflow\.invalid>$/.test(row.messageIdHeader);
  const candidates = synthetic
    ? await client.search({ keyword: FLAG_QUARANTINED }, { uid: true })
    : await client.search({ header: { 'message-id': row.messageIdHeader } }, { uid: true });
  if (!candidates || candidates.length === 0) return [];
  // SEARCH HEADER matches substrings and is case-insensitive: confirm each candidate's identity.
  const found: number[] = [];
  for await (const msg of client.fetch(candidates.join(','), { uid: true, source: true }, { uid: true })) {
    if (msg.source && messageIdentity(msg.source).messageIdHash === row.messageIdHash) found.push(msg.uid);
  }
  return found;
}
