import type { PrismaClient } from '../../lib/db/prisma';
import type { Logger } from '../../lib/logger';
import { processInboundBatch, type InboundRow, type ProcessDeps, type RowResult } from './inbound-processor';
import type { InboundProcessor } from './inbound-thread-pool';

type QueuedRow = InboundRow & { fromAddress: string; receivedAt: Date; uid: bigint };

/** Rows read from the ledger at a time; more are read when fewer than a few per lane wait. */
const FETCH = 200;
/**
 * How often, at most, the queue tells the mailbox to mark finished mail on the server: each
 * time costs IMAP commands, and under steady mail the queue empties every few milliseconds.
 */
const PROGRESS_MS = 1000;
/** Rows (raw mail included) held in memory at most, beyond one read. */
const MAX_WAITING = 2 * FETCH;

/**
 * Processes the ledger rows of one mailbox that are still STORED, several at a time but one
 * sender's mail strictly in order (a reply is never handled before the message it answers
 * when both come from the same person).
 *
 * A lane (one sender) starts its next message as soon as its previous one is committed and a
 * slot is free; nothing waits for a whole batch, so one slow message (a large attachment) delays
 * only its own sender. A message that fails for a passing reason (database down) blocks its lane
 * until the next kick, which reads the ledger again; the other lanes go on.
 */
export class InboundQueue {
  /** Read from the ledger, not started; in ledger order. */
  private waiting: QueuedRow[] = [];
  /** Ids waiting or being processed: never read twice from the ledger meanwhile. */
  private readonly held = new Set<string>();
  private readonly busyLanes = new Set<string>();
  /** Lanes whose message failed; skipped until the next kick. */
  private readonly blockedLanes = new Set<string>();
  private active = 0;
  /** The ledger may hold rows not read yet. */
  private stale = false;
  private fetching: Promise<void> | undefined;
  private failure: Error | undefined;
  private idleWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private lastProgress = 0;
  private progressTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly deps: ProcessDeps & {
      /** Transactions at once. */
      concurrency: number;
      /** Messages per transaction at most. */
      batchSize: number;
      onRoundDone?: () => void;
      processor?: InboundProcessor;
    },
    private readonly mailboxId: string,
  ) {}

  /**
   * New rows may be in the ledger (or a blocked lane may be retried). Resolves once the queue
   * has nothing left to do; rejects with the first failure since the previous idle moment.
   */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stale = true;
    this.blockedLanes.clear();
    const idle = new Promise<void>((resolve, reject) => this.idleWaiters.push({ resolve, reject }));
    this.pump();
    return idle;
  }

  /** onRoundDone now, or once PROGRESS_MS after the previous one (never dropped, never more often). */
  private reportProgress(): void {
    if (this.progressTimer) return;
    const wait = this.lastProgress + PROGRESS_MS - Date.now();
    const report = () => {
      this.progressTimer = undefined;
      this.lastProgress = Date.now();
      if (!this.stopped) this.deps.onRoundDone?.();
    };
    if (wait <= 0) report();
    else this.progressTimer = setTimeout(report, wait);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.waiting = [];
    while (this.active > 0 || this.fetching) await new Promise((r) => setTimeout(r, 20));
    this.settle();
  }

  private laneOf(row: QueuedRow): string {
    return row.fromAddress || row.id;
  }

  /** Starts what can start, reads more rows when few wait, and settles the waiters when idle. */
  private pump(): void {
    if (this.stopped) return;
    const slots = Math.max(1, this.deps.concurrency);
    if (this.active < slots) {
      const ready = this.readyRows();
      // Spread over the free slots while there is little to do (latency), fill batches when
      // there is a lot (throughput: one transaction's fixed costs shared by its rows).
      const perBatch = Math.max(1, Math.min(this.deps.batchSize, Math.ceil(ready.length / (slots - this.active))));
      while (this.active < slots && ready.length) {
        const batch = ready.splice(0, perBatch);
        const taken = new Set(batch);
        this.waiting = this.waiting.filter((r) => !taken.has(r));
        this.start(batch);
      }
    }
    // Read more while few waiting rows could start now (one sender's long run of mail must not
    // hide the others), within a bound on what is held in memory.
    if (this.stale && !this.fetching && this.waiting.length < MAX_WAITING && this.readyRows().length < slots * this.deps.batchSize) {
      this.fetching = this.fetch().finally(() => {
        this.fetching = undefined;
        this.pump();
      });
    }
    if (this.active === 0 && !this.fetching && !this.stale && this.startableCount() === 0) {
      // After a failure the next look waits for the reconcile timer, not for this nudge: a
      // database or thread that is down must not be retried in a tight loop.
      if (!this.failure) this.reportProgress();
      this.settle();
    }
  }

  private startableCount(): number {
    return this.waiting.filter((r) => !this.blockedLanes.has(this.laneOf(r))).length;
  }

  /** The first waiting row of each lane that is neither busy nor blocked, in ledger order. */
  private readyRows(): QueuedRow[] {
    const lanes = new Set<string>();
    const ready: QueuedRow[] = [];
    for (const row of this.waiting) {
      const lane = this.laneOf(row);
      if (lanes.has(lane) || this.busyLanes.has(lane) || this.blockedLanes.has(lane)) continue;
      lanes.add(lane);
      ready.push(row);
    }
    return ready;
  }

  private start(batch: QueuedRow[]): void {
    this.active++;
    const lanes = batch.map((row) => this.laneOf(row));
    lanes.forEach((lane) => this.busyLanes.add(lane));
    const run = this.deps.processor ? this.deps.processor(batch) : processInboundBatch(this.deps, batch);
    run
      .catch((err: Error): RowResult[] => batch.map(() => ({ error: err })))
      .then((results) => {
        results.forEach((result, i) => {
          if (!('error' in result)) return;
          // The row stays STORED (attempts counted): its sender's later mail must wait for it.
          this.blockedLanes.add(lanes[i]);
          this.waiting = this.waiting.filter((r) => {
            if (this.laneOf(r) !== lanes[i]) return true;
            this.held.delete(r.id);
            return false;
          });
          this.failure ??= result.error;
        });
      })
      .finally(() => {
        this.active--;
        lanes.forEach((lane) => this.busyLanes.delete(lane));
        batch.forEach((row) => this.held.delete(row.id));
        this.reportProgress();
        this.pump();
      });
  }

  private async fetch(): Promise<void> {
    this.stale = false;
    try {
      const rows = await pendingRows(this.deps.prisma, this.mailboxId, FETCH, [...this.held]);
      if (rows.length === FETCH) this.stale = true;
      for (const row of rows) {
        if (this.held.has(row.id) || this.blockedLanes.has(this.laneOf(row))) continue;
        this.held.add(row.id);
        this.waiting.push(row);
      }
      this.waiting.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
    } catch (err) {
      this.failure ??= err as Error;
    }
  }

  private settle(): void {
    const waiters = this.idleWaiters.splice(0);
    const failure = this.failure;
    this.failure = undefined;
    for (const w of waiters) (failure ? w.reject(failure) : w.resolve());
  }
}

function pendingRows(prisma: PrismaClient, mailboxId: string, take: number, exclude: string[]): Promise<QueuedRow[]> {
  return prisma.inboundMessage.findMany({
    where: { mailboxId, status: 'STORED', ...(exclude.length ? { id: { notIn: exclude } } : {}) },
    orderBy: [{ receivedAt: 'asc' }, { uid: 'asc' }],
    take,
    select: {
      id: true,
      mailboxId: true,
      raw: true,
      size: true,
      messageIdHeader: true,
      fromAddress: true,
      receivedAt: true,
      uid: true,
      attempts: true,
      mailbox: { select: { unknownSenders: true } },
    },
  });
}

export type { Logger };
