import { processInboundBatch, type ProcessDeps, type RowResult } from './inbound-processor';
import type { InboundProcessor } from './inbound-thread-pool';
import { laneOf, prismaLedgerSource, type LedgerSource, type QueuedRow } from './pending-rows';

/** Rows read from the ledger at a time. */
const FETCH = 200;
/** Rows of one sender read at a time (a flood from one address must not hide the others). */
const PER_LANE = 20;
/** Rows waiting in memory at most (refs only: raw bytes are read per batch). */
const MAX_WAITING = 2 * FETCH;
/**
 * How often, at most, the queue tells the mailbox to mark finished mail on the server: each
 * time costs IMAP commands, and under steady mail the queue empties every few milliseconds.
 */
const PROGRESS_MS = 1000;

export interface InboundQueueDeps extends ProcessDeps {
  /** Transactions at once. */
  concurrency: number;
  /** Messages per transaction at most. */
  batchSize: number;
  /** How long a sender whose message failed for a passing reason waits before it is tried again. */
  retryAfterMs: number;
  onRoundDone?: () => void;
  processor?: InboundProcessor;
  /** Where pending rows come from (the ledger in PostgreSQL unless a unit test says otherwise). */
  source?: LedgerSource;
}

/**
 * Processes the ledger rows of one mailbox that are still STORED, several at a time but one
 * sender's mail strictly in order (a reply is never handled before the message it answers
 * when both come from the same person).
 *
 * A sender's next message starts as soon as the batch holding its previous one has committed and
 * a slot is free; there are no rounds, so a slow batch delays only the senders in it. A message
 * that fails for a passing reason (database down, deadlock) blocks its sender for `retryAfterMs`
 * (its later mail waits; nothing of it is read meanwhile); the other senders go on.
 */
export class InboundQueue {
  /** Read from the ledger, not started; in ledger order. */
  private waiting: QueuedRow[] = [];
  /** Ids waiting or being processed: never read twice from the ledger meanwhile. */
  private readonly held = new Set<string>();
  private readonly busyLanes = new Set<string>();
  /** Senders whose message failed → when they may be tried again. */
  private readonly blocked = new Map<string, number>();
  private blockTimer: NodeJS.Timeout | undefined;
  /** Failures so far, and per sender the number of its latest: a read started before it is stale for that sender. */
  private failures = 0;
  private readonly laneFailedAt = new Map<string, number>();
  private active = 0;
  /** The ledger may hold rows not read yet. */
  private stale = false;
  private fetching: Promise<void> | undefined;
  private failure: Error | undefined;
  /** One promise per busy period, settled when the queue is idle again. */
  private idle: { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } | undefined;
  private lastProgress = 0;
  private progressTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly source: LedgerSource;

  constructor(
    private readonly deps: InboundQueueDeps,
    private readonly mailboxId: string,
  ) {
    this.source = deps.source ?? prismaLedgerSource(deps.prisma);
  }

  /**
   * New rows may be in the ledger. Resolves once the queue has nothing left to do; rejects with
   * the first failure of that busy period.
   */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stale = true;
    const idle = this.idlePromise();
    this.pump();
    return idle;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting = [];
    clearTimeout(this.progressTimer);
    clearTimeout(this.blockTimer);
    while (this.active > 0 || this.fetching) await new Promise((r) => setTimeout(r, 20));
    this.settle();
  }

  private idlePromise(): Promise<void> {
    if (!this.idle) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // a kick's caller may not wait for it: never an unhandled rejection
      promise.catch(() => undefined);
      this.idle = { promise, resolve, reject };
    }
    return this.idle.promise;
  }

  /** Starts what can start, reads more rows when few could start, settles the period when idle. */
  private pump(): void {
    if (this.stopped) return;
    this.unblockDue();
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
    if (this.stale && !this.fetching && this.waiting.length < MAX_WAITING && this.readyRows().length < slots * this.deps.batchSize) {
      this.fetching = this.fetch().finally(() => {
        this.fetching = undefined;
        this.pump();
      });
    }
    if (this.active === 0 && !this.fetching && !this.stale && this.waiting.length === 0) {
      this.reportProgress();
      this.settle();
    }
  }

  /** The first waiting row of each sender that is free, in ledger order. */
  private readyRows(): QueuedRow[] {
    const lanes = new Set<string>();
    const ready: QueuedRow[] = [];
    for (const row of this.waiting) {
      const lane = laneOf(row);
      if (lanes.has(lane) || this.busyLanes.has(lane)) continue;
      lanes.add(lane);
      ready.push(row);
    }
    return ready;
  }

  private start(batch: QueuedRow[]): void {
    this.active++;
    const lanes = batch.map(laneOf);
    lanes.forEach((lane) => this.busyLanes.add(lane));
    const run = this.deps.processor ? this.deps.processor(batch) : processInboundBatch(this.deps, batch);
    run
      .catch((err: Error): RowResult[] => batch.map(() => ({ error: err })))
      .then((results) => results.forEach((result, i) => 'error' in result && this.block(lanes[i], result.error)))
      .finally(() => {
        this.active--;
        lanes.forEach((lane) => this.busyLanes.delete(lane));
        batch.forEach((row) => this.held.delete(row.id));
        this.reportProgress();
        this.pump();
      });
  }

  /** The row stays STORED (attempt counted): its sender's later mail waits for its retry. */
  private block(lane: string, error: Error): void {
    this.failure ??= error;
    this.failures++;
    this.laneFailedAt.set(lane, this.failures);
    this.blocked.set(lane, Date.now() + this.deps.retryAfterMs);
    this.waiting = this.waiting.filter((r) => {
      if (laneOf(r) !== lane) return true;
      this.held.delete(r.id);
      return false;
    });
    this.scheduleUnblock();
  }

  private unblockDue(): void {
    const now = Date.now();
    for (const [lane, until] of this.blocked) {
      if (until > now) continue;
      this.blocked.delete(lane);
      // its rows were dropped when it failed: read them again
      this.stale = true;
    }
  }

  private scheduleUnblock(): void {
    clearTimeout(this.blockTimer);
    if (this.blocked.size === 0 || this.stopped) return;
    const next = Math.min(...this.blocked.values());
    this.blockTimer = setTimeout(() => {
      this.blockTimer = undefined;
      this.idlePromise();
      this.pump();
      this.scheduleUnblock();
    }, Math.max(0, next - Date.now()));
    this.blockTimer.unref?.();
  }

  private async fetch(): Promise<void> {
    this.stale = false;
    const failuresAtStart = this.failures;
    // Only a read that started before a sender's failure needs its mark, and this is the only read.
    for (const lane of this.laneFailedAt.keys()) if (!this.blocked.has(lane)) this.laneFailedAt.delete(lane);
    try {
      const rows = await this.source.pending(this.mailboxId, {
        take: FETCH,
        perLane: PER_LANE,
        excludeIds: [...this.held],
        excludeLanes: [...this.blocked.keys()],
      });
      let admitted = 0;
      for (const row of rows) {
        const lane = laneOf(row);
        // A sender that failed while this read ran: what was read for it may belong after the
        // failed message, which is no longer held; it is read again once the sender is retried.
        if (this.held.has(row.id) || this.blocked.has(lane) || (this.laneFailedAt.get(lane) ?? 0) > failuresAtStart) continue;
        this.held.add(row.id);
        this.waiting.push(row);
        admitted++;
      }
      this.waiting.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
      // Something new came: there may be more (beyond FETCH, or beyond PER_LANE of a sender).
      if (admitted > 0) this.stale = true;
    } catch (err) {
      this.failure ??= err as Error;
    }
  }

  /** onRoundDone now, or PROGRESS_MS after the previous one (never dropped, never more often). */
  private reportProgress(): void {
    if (this.progressTimer || this.stopped) return;
    const report = () => {
      this.progressTimer = undefined;
      this.lastProgress = Date.now();
      if (!this.stopped) this.deps.onRoundDone?.();
    };
    const wait = this.lastProgress + PROGRESS_MS - Date.now();
    if (wait <= 0) report();
    else this.progressTimer = setTimeout(report, wait);
  }

  private settle(): void {
    const idle = this.idle;
    const failure = this.failure;
    this.idle = undefined;
    this.failure = undefined;
    if (idle) (failure ? idle.reject(failure) : idle.resolve());
  }
}

