/**
 * A processing thread of the intake (see inbound-thread-pool.ts): its own Prisma client, the same
 * processInboundBatch as the in-process path. Each message in is a batch of ledger rows; each
 * message out is their results (an outcome, or the error as data for the queue to handle the
 * same way).
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { createPrisma } from '../../lib/db/prisma';
import { processInboundBatch, type InboundRef, type IntakeRules, type RowResult } from './inbound-processor';
import type { SerializedRowResult } from './inbound-thread-pool';

export interface InboundThreadData {
  databaseUrl: string;
  rules: IntakeRules;
  maxConnections: number;
  logLevel: string;
}

const data = workerData as InboundThreadData;
const prisma = createPrisma(data.databaseUrl, { maxConnections: data.maxConnections });
const log = pino({ name: 'mail-intake-thread', level: data.logLevel });

parentPort!.on('message', (msg: { id: number; rows: InboundRef[] } | { stop: true }) => {
  if ('stop' in msg) {
    void prisma.$disconnect().finally(() => parentPort!.close());
    return;
  }
  void processInboundBatch({ prisma, log, rules: data.rules }, msg.rows)
    // an unexpected failure fails this batch's rows (they stay STORED), not the whole thread
    .catch((err: Error): RowResult[] => msg.rows.map(() => ({ error: err })))
    .then((results) => {
      const serialized: SerializedRowResult[] = results.map((r) => {
        if (!('error' in r)) return r;
        const e = r.error as { message?: string; name?: string; code?: string; kind?: string };
        return { error: { message: e?.message ?? String(r.error), name: e?.name, code: e?.code, kind: e?.kind } };
      });
      log.debug({ messageIds: msg.rows.map((r) => r.messageIdHeader), failed: serialized.filter((r) => 'error' in r).length }, 'inbound batch processed in a thread');
      parentPort!.postMessage({ id: msg.id, results: serialized });
    });
});
