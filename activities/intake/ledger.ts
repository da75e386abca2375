import type { ImapFlow } from 'imapflow';
import type { PrismaClient } from '../../lib/db/prisma';
import type { Logger } from '../../lib/logger';
import type { MailboxSettings } from './imap-connection';
import { addressesIn } from '../../lib/mail/headers';
import { headerBlock, messageIdentity, rawHeader } from './message-identity';

/**
 * Step one of the intake: copy every new message of a mailbox folder into the ledger
 * (InboundMessage), raw, before anything interprets it. New means "UID above the checkpoint
 * under the same UIDVALIDITY" — never UNSEEN or a date window, which other clients and server
 * hiccups change behind our back. A UIDVALIDITY change resets the checkpoint: the whole folder is
 * read again and the Message-ID hash uniqueness drops what is already stored.
 */
export interface LedgerSyncResult {
  uidValidity: bigint;
  stored: number;
  duplicates: number;
  /** UIDs of copies of a message already in the ledger (another delivery of the same mail). */
  duplicateUids: number[];
  rescanned: boolean;
}

const BATCH = 100;

export async function syncFolderToLedger(
  deps: { prisma: PrismaClient; log: Logger },
  client: ImapFlow,
  mailbox: MailboxSettings,
  opts: { maxMessageBytes: number },
): Promise<LedgerSyncResult> {
  const { prisma, log } = deps;
  const folder = mailbox.folder;
  const lock = await client.getMailboxLock(folder);
  try {
    const opened = client.mailbox;
    if (!opened) throw new Error(`folder ${folder} is not open`);
    const uidValidity = BigInt(opened.uidValidity);
    const key = { mailboxId_folder: { mailboxId: mailbox.id, folder } };
    const state = await prisma.mailboxSyncState.findUnique({ where: key });
    let lastUid = state?.lastUid ?? 0n;
    let rescanned = false;
    if (!state || state.uidValidity !== uidValidity) {
      if (state) log.warn({ mailbox: mailbox.name, folder, was: String(state.uidValidity), now: String(uidValidity) }, 'UIDVALIDITY changed: rescanning the folder');
      rescanned = Boolean(state);
      lastUid = 0n;
      await prisma.mailboxSyncState.upsert({
        where: key,
        create: { mailboxId: mailbox.id, folder, uidValidity, lastUid: 0n },
        update: { uidValidity, lastUid: 0n },
      });
    }
    const result: LedgerSyncResult = { uidValidity, stored: 0, duplicates: 0, duplicateUids: [], rescanned };
    if (!opened.exists) return result;

    // `n:*` always matches the highest UID even below n, hence the filter.
    const listed = await client.fetchAll(`${lastUid + 1n}:*`, { uid: true, size: true }, { uid: true });
    const fresh = listed.filter((m) => BigInt(m.uid) > lastUid).sort((a, b) => a.uid - b.uid);
    for (let i = 0; i < fresh.length; i += BATCH) {
      const batch = fresh.slice(i, i + BATCH);
      const sizes = new Map(batch.map((m) => [m.uid, m.size ?? 0]));
      const small = batch.filter((m) => (m.size ?? 0) <= opts.maxMessageBytes).map((m) => m.uid);
      const large = batch.filter((m) => (m.size ?? 0) > opts.maxMessageBytes).map((m) => m.uid);
      const rows: Array<{ uid: number; raw: Buffer; size: number }> = [];
      if (small.length) {
        for (const m of await client.fetchAll(small.join(','), { uid: true, source: true }, { uid: true })) {
          if (m.source) rows.push({ uid: m.uid, raw: m.source, size: sizes.get(m.uid) ?? m.source.length });
        }
      }
      if (large.length) {
        // Over the cap: only the header is kept (enough to answer the sender and to list it).
        for (const m of await client.fetchAll(large.join(','), { uid: true, headers: true }, { uid: true })) {
          const head = Buffer.from(headerBlock(m.headers ?? Buffer.alloc(0)) + '\r\n\r\n', 'latin1');
          rows.push({ uid: m.uid, raw: head, size: sizes.get(m.uid) ?? 0 });
        }
      }
      const data = rows.map((r) => ({
        mailboxId: mailbox.id,
        folder,
        uidValidity,
        uid: BigInt(r.uid),
        raw: new Uint8Array(r.raw),
        size: r.size,
        // Only to order the work (one sender's mail in sequence); processing reads From again.
        fromAddress: addressesIn(rawHeader(headerBlock(r.raw), 'From'))[0] ?? '',
        ...messageIdentity(r.raw),
      }));
      const inserted = await prisma.inboundMessage.createMany({ data, skipDuplicates: true });
      const known = await prisma.inboundMessage.findMany({
        where: { mailboxId: mailbox.id, folder, uidValidity, uid: { in: data.map((d) => d.uid) } },
        select: { uid: true },
      });
      const knownUids = new Set(known.map((k) => Number(k.uid)));
      const dups = rows.map((r) => r.uid).filter((u) => !knownUids.has(u));
      result.stored += inserted.count;
      result.duplicates += dups.length;
      result.duplicateUids.push(...dups);
      // Only once the batch is committed: a crash before this line re-reads the batch, and the
      // unique keys make the second insert a no-op.
      const maxUid = BigInt(batch[batch.length - 1].uid);
      await prisma.mailboxSyncState.update({ where: key, data: { lastUid: maxUid } });
    }
    return result;
  } finally {
    lock.release();
  }
}
