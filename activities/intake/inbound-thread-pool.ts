import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { InboundRef, IntakeRules, Outcome, RowResult } from './inbound-processor';
import type { InboundThreadData } from './inbound-thread';

/**
 * Processing an inbound message is CPU work in this process (MIME parsing, reply extraction,
 * HTML sanitising, Prisma's query building), so on a machine with several cores one event loop
 * is the intake's ceiling. The pool runs processInbound in worker threads, each with its own
 * Prisma client; the queue still decides the order (one sender's mail strictly in sequence) and
 * each message is still one transaction, so the guarantees are the same as in-process.
 */
export type InboundProcessor = (rows: InboundRef[]) => Promise<RowResult[]>;

/** A RowResult as it crosses the thread boundary (errors as plain data). */
export type SerializedRowResult = { outcome: Outcome } | { error: { message: string; code?: string; kind?: string; name?: string } };

interface Pending {
  resolve: (r: RowResult[]) => void;
  reject: (e: Error) => void;
}

class ThreadError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly kind?: string,
  ) {
    super(message);
  }
}

type Thread = { worker: Worker; busy: number; pending: Map<number, Pending>; dead: boolean };

export class InboundThreadPool {
  private readonly threads: Thread[] = [];
  private nextId = 1;
  private stopping = false;

  constructor(private readonly opts: { threads: number; databaseUrl: string; rules: IntakeRules; connectionsPerThread: number; logLevel: string }) {
    for (let i = 0; i < opts.threads; i++) this.threads.push(this.spawn());
  }

  private spawn(): Thread {
    const data: InboundThreadData = { databaseUrl: this.opts.databaseUrl, rules: this.opts.rules, maxConnections: this.opts.connectionsPerThread, logLevel: this.opts.logLevel };
    // The thread loads TypeScript the way the rest of mspflow does (tsx), whatever loader the
    // parent runs under (node --import tsx, Jest).
    const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(path.join(__dirname, 'inbound-thread.ts'))});`;
    const worker = new Worker(bootstrap, { eval: true, workerData: data, execArgv: [] });
    const thread: Thread = { worker, busy: 0, pending: new Map(), dead: false };
    worker.on('message', (msg: { id: number; results: SerializedRowResult[] }) => {
      const p = thread.pending.get(msg.id);
      if (!p) return;
      thread.pending.delete(msg.id);
      thread.busy--;
      p.resolve(
        msg.results.map((r) =>
          'error' in r ? { error: Object.assign(new ThreadError(r.error.message, r.error.code, r.error.kind), { name: r.error.name ?? 'Error' }) } : r,
        ),
      );
    });
    // A thread that dies fails what it held (those rows stay STORED and are taken again) and is
    // replaced.
    worker.on('error', (err) => this.failAll(thread, err));
    worker.on('exit', (code) => {
      thread.dead = true;
      this.failAll(thread, new Error(`intake thread exited with code ${code}`));
      const i = this.threads.indexOf(thread);
      // (after a pause: a thread that cannot even start must not spin the CPU)
      if (i >= 0 && !this.stopping) setTimeout(() => !this.stopping && (this.threads[i] = this.spawn()), 1000).unref();
    });
    return thread;
  }

  /** To the least busy thread. */
  readonly run: InboundProcessor = (rows) => {
    const live = this.threads.filter((t) => !t.dead);
    // (every thread died and none is back yet: the rows stay STORED and are taken again)
    if (live.length === 0) return Promise.reject(new ThreadError('no intake thread is running', undefined, 'operational'));
    const thread = live.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    thread.busy++;
    return new Promise<RowResult[]>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, rows });
    });
  };

  /** The live threads' ids (a dead one is replaced after a pause). */
  threadIds(): number[] {
    return this.threads.filter((t) => !t.dead).map((t) => t.worker.threadId);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      // a thread that already died will not exit again
      this.threads.filter((t) => !t.dead).map(
        (t) =>
          new Promise<void>((resolve) => {
            t.worker.once('exit', () => resolve());
            t.worker.postMessage({ stop: true });
            setTimeout(() => void t.worker.terminate(), 5000).unref();
          }),
      ),
    );
  }

  private failAll(thread: Thread, err: Error) {
    for (const p of thread.pending.values()) p.reject(Object.assign(new ThreadError(err.message), { kind: 'operational' }));
    thread.pending.clear();
    thread.busy = 0;
  }
}
