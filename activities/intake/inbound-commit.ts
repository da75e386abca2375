import type { Prisma } from '../../lib/db/prisma';

type Tx = Prisma.TransactionClient;

/**
 * The ledger side of a processing transaction, in one statement each whatever the number of
 * messages: claiming rows (which locks them: a second processor of the same row waits, then
 * finds it done) and recording what processing decided. Round trips are most of the intake's
 * cost per message.
 */

/** Ids among `ids` that were still STORED, now claimed by this transaction (attempt counted). */
export async function claimStoredRows(tx: Tx, ids: string[]): Promise<Set<string>> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    UPDATE "InboundMessage" SET "attempts" = "attempts" + 1
     WHERE "id" = ANY(${ids}::uuid[]) AND "status" = 'STORED'
    RETURNING "id"::text AS id`;
  return new Set(rows.map((r) => r.id));
}

export interface RecordedOutcome {
  id: string;
  status: 'PROCESSED' | 'IGNORED' | 'HELD' | 'REJECTED';
  outcome: string;
  ticketId: number | null;
  clientId: string | null;
  /** What parsing found (undefined: keep what the row has). */
  fromAddress?: string;
  subject?: string;
}

export async function recordOutcomes(tx: Tx, outcomes: RecordedOutcome[], at: Date): Promise<void> {
  if (outcomes.length === 0) return;
  const col = <K extends keyof RecordedOutcome>(k: K) => outcomes.map((o) => o[k] ?? null);
  const processedAt = at.toISOString();
  await tx.$executeRaw`
    UPDATE "InboundMessage" AS m
       SET "status" = v.status::"InboundStatus", "outcome" = v.outcome, "ticketId" = v."ticketId", "clientId" = v."clientId",
           "fromAddress" = COALESCE(v."fromAddress", m."fromAddress"), "subject" = COALESCE(v.subject, m.subject),
           "processedAt" = ${processedAt}::timestamptz AT TIME ZONE 'UTC', "error" = NULL
      FROM unnest(${col('id')}::uuid[], ${col('status')}::text[], ${col('outcome')}::text[], ${col('ticketId')}::int[],
                  ${col('clientId')}::uuid[], ${col('fromAddress')}::text[], ${col('subject')}::text[])
           AS v(id, status, outcome, "ticketId", "clientId", "fromAddress", subject)
     WHERE m.id = v.id`;
}
