import pino from 'pino';
import type { PrismaClient } from '../../lib/db/prisma';
import type { InboundRef, IntakeRules, RowResult } from '../../activities/intake/inbound-processor';
import { InboundQueue } from '../../activities/intake/inbound-queue';
import { laneOf, type LedgerSource, type PendingQuery, type QueuedRow } from '../../activities/intake/pending-rows';

/**
 * The queue's scheduling alone (pure logic): an in-memory ledger stands in for PostgreSQL and a
 * recording processor for the transactions. What is checked: one sender's mail strictly in order
 * even when a message fails while a read is under way, a failing sender retried only after
 * `retryAfterMs` however often the queue is kicked, no busy re-reading while a sender is blocked,
 * and a flood from one sender not hiding the others.
 */
interface Row extends QueuedRow {
  status: 'STORED' | 'PROCESSED';
}

class FakeLedger implements LedgerSource {
  rows: Row[] = [];
  reads = 0;
  /** Lets a test act while a read is under way. */
  onRead?: () => Promise<void>;
  private uid = 0n;

  add(from: string, count = 1): Row[] {
    const added = Array.from({ length: count }, () => {
      this.uid++;
      const row: Row = {
        id: `r${this.uid}`,
        mailboxId: 'mb',
        size: 100,
        messageIdHeader: `<m${this.uid}@test>`,
        attempts: 0,
        mailbox: { unknownSenders: null },
        fromAddress: from,
        receivedAt: new Date(1_700_000_000_000 + Number(this.uid)),
        uid: this.uid,
        status: 'STORED',
      };
      return row;
    });
    this.rows.push(...added);
    return added;
  }

  async pending(_mailboxId: string, q: PendingQuery): Promise<QueuedRow[]> {
    this.reads++;
    const perLane = new Map<string, number>();
    const out: QueuedRow[] = [];
    const candidates = this.rows.filter((r) => r.status === 'STORED' && !q.excludeIds.includes(r.id) && !q.excludeLanes.includes(laneOf(r)));
    for (const r of candidates) {
      const n = (perLane.get(laneOf(r)) ?? 0) + 1;
      perLane.set(laneOf(r), n);
      if (n <= q.perLane && out.length < q.take) out.push({ ...r });
    }
    await this.onRead?.();
    return out;
  }
}

function queueOn(ledger: FakeLedger, opts: { fail?: (row: QueuedRow, attempt: number) => boolean; retryAfterMs?: number; delayMs?: number } = {}) {
  const order: Array<{ id: string; from: string; ok: boolean; at: number }> = [];
  const attempts = new Map<string, number>();
  const processor = async (refs: InboundRef[]): Promise<RowResult[]> => {
    await new Promise((r) => setTimeout(r, opts.delayMs ?? 1));
    return refs.map((ref) => {
      const attempt = (attempts.get(ref.id) ?? 0) + 1;
      attempts.set(ref.id, attempt);
      const stored = ledger.rows.find((r) => r.id === ref.id)!;
      if (opts.fail?.(stored, attempt)) {
        order.push({ id: stored.id, from: stored.fromAddress, ok: false, at: Date.now() });
        return { error: new Error('connection reset') };
      }
      stored.status = 'PROCESSED';
      order.push({ id: stored.id, from: stored.fromAddress, ok: true, at: Date.now() });
      return { outcome: { status: 'PROCESSED', outcome: 'new-ticket' } };
    });
  };
  const queue = new InboundQueue(
    {
      prisma: {} as PrismaClient,
      log: pino({ level: 'silent' }),
      rules: {} as IntakeRules,
      concurrency: 4,
      batchSize: 8,
      retryAfterMs: opts.retryAfterMs ?? 300,
      processor,
      source: ledger,
    },
    'mb',
  );
  return { queue, order, attempts };
}

async function until(check: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const done = (ledger: FakeLedger) => ledger.rows.every((r) => r.status === 'PROCESSED');

test('one sender\'s mail stays in order when its message fails while a read is under way and the queue is kicked again', async () => {
  const ledger = new FakeLedger();
  const [r1, r2] = ledger.add('a@x.test', 2);
  const { queue, order } = queueOn(ledger, { fail: (row, attempt) => row.id === r1.id && attempt === 1, delayMs: 20, retryAfterMs: 200 });
  let r3: Row | undefined;
  // The second read starts while r1 is in flight; r1 fails during it; r3 arrives; a kick comes.
  let reads = 0;
  ledger.onRead = async () => {
    if (++reads !== 2) return;
    [r3] = ledger.add('a@x.test');
    await new Promise((r) => setTimeout(r, 60));
    void queue.kick().catch(() => undefined);
  };
  void queue.kick().catch(() => undefined);
  setTimeout(() => void queue.kick().catch(() => undefined), 5);
  await until(() => done(ledger));
  await queue.stop();
  const mine = order.filter((o) => o.from === 'a@x.test');
  expect(mine.map((o) => `${o.id}:${o.ok ? 'ok' : 'failed'}`)).toEqual([`${r1.id}:failed`, `${r1.id}:ok`, `${r2.id}:ok`, `${r3!.id}:ok`]);
});

test('a failing sender is retried after retryAfterMs, not at every kick; the others go on meanwhile', async () => {
  const ledger = new FakeLedger();
  const [bad] = ledger.add('bad@x.test');
  ledger.add('good@x.test', 5);
  const { queue, order } = queueOn(ledger, { fail: (row, attempt) => row.id === bad.id && attempt <= 2, retryAfterMs: 400 });
  const kicker = setInterval(() => void queue.kick().catch(() => undefined), 10);
  void queue.kick().catch(() => undefined);
  await until(() => done(ledger));
  clearInterval(kicker);
  await queue.stop();
  const tries = order.filter((o) => o.id === bad.id);
  expect(tries.map((t) => t.ok)).toEqual([false, false, true]);
  expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(390);
  expect(tries[2].at - tries[1].at).toBeGreaterThanOrEqual(390);
  // the good sender did not wait for the bad one
  const good = order.filter((o) => o.from === 'good@x.test');
  expect(good.every((g) => g.ok && g.at < tries[1].at)).toBe(true);
});

test('while a flooding sender is blocked, the ledger is not re-read in a loop and the other senders are served', async () => {
  const ledger = new FakeLedger();
  const [first] = ledger.add('flood@x.test', 450);
  for (let i = 0; i < 100; i++) ledger.add(`other${i}@x.test`);
  const { queue, order } = queueOn(ledger, { fail: (row, attempt) => row.id === first.id && attempt === 1, retryAfterMs: 1000 });
  void queue.kick().catch(() => undefined);
  await until(() => order.filter((o) => o.from !== 'flood@x.test' && o.ok).length === 100);
  const readsWhileBlocked = ledger.reads;
  await new Promise((r) => setTimeout(r, 300));
  expect(ledger.reads - readsWhileBlocked).toBeLessThanOrEqual(1);
  expect(order.filter((o) => o.from === 'flood@x.test' && o.ok)).toHaveLength(0);
  await until(() => done(ledger), 30_000);
  await queue.stop();
  const flood = order.filter((o) => o.from === 'flood@x.test' && o.ok).map((o) => Number(o.id.slice(1)));
  expect(flood).toEqual([...flood].sort((a, b) => a - b));
  expect(flood).toHaveLength(450);
});

test('a flood from one sender does not hide the mail of the others behind it', async () => {
  const ledger = new FakeLedger();
  ledger.add('flood@x.test', 600);
  const late = ledger.add('late@x.test');
  const { queue, order } = queueOn(ledger);
  void queue.kick().catch(() => undefined);
  await until(() => done(ledger), 30_000);
  await queue.stop();
  const position = order.findIndex((o) => o.id === late[0].id);
  // served with the first reads, not after the 600 messages before it
  expect(position).toBeLessThan(40);
});
