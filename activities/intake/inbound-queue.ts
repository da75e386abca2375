import type { PrismaClient } from '../../lib/db/prisma';
import type { Logger } from '../../lib/logger';
import { processInbound, type ProcessDeps } from './inbound-processor';
import type { InboundProcessor } from './inbound-thread-pool';

/**
 * Processes the ledger rows of one mailbox that are still STORED, several at a time but one
 * sender's mail strictly in order (a reply is never handled before the message it answers
 * when both come from the same person). Kicked after each ledger batch; a kick while running
 * makes it look again when done.
 */
export class InboundQueue {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly deps: ProcessDeps & { concurrency: number; onRoundDone?: () => void; processor?: InboundProcessor },
    private readonly mailboxId: string,
  ) {}

  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running?.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      for (;;) {
        if (this.stopped) return;
        const done = await this.round();
        if (done === 0) break;
        this.deps.onRoundDone?.();
      }
    } while (this.again && !this.stopped);
  }

  /** One batch; returns how many rows it handled. */
  private async round(): Promise<number> {
    const rows = await pendingRows(this.deps.prisma, this.mailboxId, 200);
    if (rows.length === 0) return 0;
    const lanes = new Map<string, typeof rows>();
    for (const row of rows) {
      const lane = row.fromAddress || row.id;
      lanes.set(lane, [...(lanes.get(lane) ?? []), row]);
    }
    const queue = [...lanes.values()];
    const worker = async () => {
      for (let lane = queue.shift(); lane; lane = queue.shift()) {
        for (const row of lane) {
          if (this.stopped) return;
          await (this.deps.processor ? this.deps.processor(row) : processInbound(this.deps, row));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.deps.concurrency) }, worker));
    return rows.length;
  }
}

function pendingRows(prisma: PrismaClient, mailboxId: string, take: number) {
  return prisma.inboundMessage.findMany({
    where: { mailboxId, status: 'STORED' },
    orderBy: [{ receivedAt: 'asc' }, { uid: 'asc' }],
    take,
    select: {
      id: true,
      mailboxId: true,
      raw: true,
      size: true,
      messageIdHeader: true,
      fromAddress: true,
      attempts: true,
      mailbox: { select: { unknownSenders: true } },
    },
  });
}

export type { Logger };
