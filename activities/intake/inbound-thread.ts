/**
 * A processing thread of the intake (see inbound-thread-pool.ts): its own Prisma client, the same
 * processInbound as the in-process path. Each message in is one ledger row; each message out is
 * its outcome, or the error processInbound threw (for the queue to handle the same way).
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { createPrisma } from '../../lib/db/prisma';
import { processInbound, type InboundRow, type IntakeRules } from './inbound-processor';

export interface InboundThreadData {
  databaseUrl: string;
  rules: IntakeRules;
  maxConnections: number;
  logLevel: string;
}

const data = workerData as InboundThreadData;
const prisma = createPrisma(data.databaseUrl, { maxConnections: data.maxConnections });
const log = pino({ name: 'mail-intake-thread', level: data.logLevel });

parentPort!.on('message', (msg: { id: number; row: InboundRow } | { stop: true }) => {
  if ('stop' in msg) {
    void prisma.$disconnect().finally(() => parentPort!.close());
    return;
  }
  processInbound({ prisma, log, rules: data.rules }, msg.row).then(
    (outcome) => parentPort!.postMessage({ id: msg.id, outcome }),
    (err: unknown) => {
      const e = err as { message?: string; name?: string; code?: string; kind?: string };
      parentPort!.postMessage({ id: msg.id, error: { message: e?.message ?? String(err), name: e?.name, code: e?.code, kind: e?.kind } });
    },
  );
});
