import crypto from 'node:crypto';
import { prismaLedgerSource } from '../../activities/intake/pending-rows';
import { createPrisma, type PrismaClient } from '../../lib/db/prisma';
import { createTestDatabase } from '../support/context';

/**
 * The queue's read of the ledger, on PostgreSQL (its logic is unit-tested against an in-memory
 * ledger in inbound-queue.unit.test.ts; this checks the SQL does the same): STORED rows of the
 * mailbox only, in ledger order, at most `perLane` per sender (a row without sender is its own
 * lane), none of the excluded ids or senders, at most `take`, without raw bytes.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { maxConnections: 2 });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

test('reads STORED rows in ledger order, capped per sender, without the excluded ids and senders', async () => {
  const mailbox = await prisma.mailbox.create({
    data: { name: 'ledger', address: 'support@x.test', imapHost: '127.0.0.1', imapPort: 143, imapTls: false, imapUser: 'u', imapPassword: 'p', unknownSenders: 'HOLD' },
  });
  const other = await prisma.mailbox.create({ data: { name: 'other', address: 'other@x.test', imapHost: '127.0.0.1', imapPort: 143, imapTls: false, imapUser: 'u', imapPassword: 'p' } });
  let uid = 0;
  const row = (from: string, opts: { status?: 'STORED' | 'PROCESSED'; mailboxId?: string } = {}) => {
    uid++;
    return prisma.inboundMessage.create({
      data: {
        mailboxId: opts.mailboxId ?? mailbox.id,
        folder: 'INBOX',
        uidValidity: 1n,
        uid: BigInt(uid),
        messageIdHash: crypto.randomUUID(),
        messageIdHeader: `<m${uid}@x.test>`,
        fromAddress: from,
        raw: new Uint8Array(Buffer.from('Subject: x\r\n\r\nbody')),
        size: 20,
        status: opts.status ?? 'STORED',
        receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, uid)),
      },
    });
  };
  const flood = [];
  for (let i = 0; i < 5; i++) flood.push(await row('flood@x.test'));
  const alice = await row('alice@x.test');
  await row('alice@x.test', { status: 'PROCESSED' });
  const noSender1 = await row('');
  const noSender2 = await row('');
  const blocked = await row('blocked@x.test');
  await row('bob@x.test', { mailboxId: other.id });

  const source = prismaLedgerSource(prisma);
  const all = await source.pending(mailbox.id, { take: 100, perLane: 3, excludeIds: [flood[0].id], excludeLanes: ['blocked@x.test'] });
  expect(all.map((r) => r.id)).toEqual([flood[1].id, flood[2].id, flood[3].id, alice.id, noSender1.id, noSender2.id]);
  expect(all[0]).toEqual({
    id: flood[1].id,
    mailboxId: mailbox.id,
    size: 20,
    messageIdHeader: flood[1].messageIdHeader,
    attempts: 0,
    fromAddress: 'flood@x.test',
    receivedAt: flood[1].receivedAt,
    uid: flood[1].uid,
    mailbox: { unknownSenders: 'HOLD' },
  });
  expect(all.map((r) => r.id)).not.toContain(blocked.id);
  expect(await source.pending(mailbox.id, { take: 2, perLane: 3, excludeIds: [], excludeLanes: [] })).toHaveLength(2);
});
