import type { PrismaClient } from '../../lib/db/prisma';
import type { InboundRef, IntakeRules } from './inbound-processor';

/** A ledger row waiting in the queue: its ref plus what orders it (sender lane, ledger order). */
export interface QueuedRow extends InboundRef {
  /** The sender's address as stored by the ledger ('' when it had none: the row is its own lane). */
  fromAddress: string;
  receivedAt: Date;
  uid: bigint;
}

export interface PendingQuery {
  take: number;
  /** At most this many rows per sender: a flood from one address must not hide the others. */
  perLane: number;
  /** Rows already waiting or in flight. */
  excludeIds: string[];
  /** Senders whose mail must wait (their last message failed). */
  excludeLanes: string[];
}

/** Where the queue reads its work: the STORED rows of a mailbox, in ledger order. */
export interface LedgerSource {
  pending(mailboxId: string, query: PendingQuery): Promise<QueuedRow[]>;
}

/** A row's lane: its sender, or the row itself when the ledger found no sender. */
export const laneOf = (row: { id: string; fromAddress: string }) => row.fromAddress || row.id;

/** The ledger in PostgreSQL. Raw bytes are not read here (processing reads them per batch). */
export function prismaLedgerSource(prisma: PrismaClient): LedgerSource {
  return {
    async pending(mailboxId, q) {
      const rows = await prisma.$queryRaw<
        Array<{ id: string; mailboxId: string; size: number; messageIdHeader: string; attempts: number; fromAddress: string; receivedAt: Date; uid: bigint; unknownSenders: IntakeRules['unknownSenders'] | null }>
      >`
        SELECT x.id, x."mailboxId", x.size, x."messageIdHeader", x.attempts, x."fromAddress", x."receivedAt", x.uid, mb."unknownSenders"::text AS "unknownSenders"
          FROM (SELECT m.id::text AS id, m."mailboxId"::text AS "mailboxId", m.size, m."messageIdHeader", m.attempts, m."fromAddress", m."receivedAt", m.uid,
                       row_number() OVER (PARTITION BY CASE WHEN m."fromAddress" = '' THEN m.id::text ELSE m."fromAddress" END
                                          ORDER BY m."receivedAt", m.uid) AS n
                  FROM "InboundMessage" m
                 WHERE m."mailboxId" = ${mailboxId}::uuid AND m.status = 'STORED'
                   AND NOT (m.id::text = ANY(${q.excludeIds}::text[]))
                   AND NOT ((CASE WHEN m."fromAddress" = '' THEN m.id::text ELSE m."fromAddress" END) = ANY(${q.excludeLanes}::text[]))) x
          JOIN "Mailbox" mb ON mb.id = x."mailboxId"::uuid
         WHERE x.n <= ${q.perLane}
         ORDER BY x."receivedAt", x.uid
         LIMIT ${q.take}`;
      return rows.map(({ unknownSenders, ...r }) => ({ ...r, mailbox: { unknownSenders } }));
    },
  };
}
