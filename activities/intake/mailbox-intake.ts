import type { ImapFlow } from 'imapflow';
import type { PrismaClient } from '../../lib/db/prisma';
import type { Logger } from '../../lib/logger';
import type { SecretKeyring } from '../../lib/secrets/secret-box';
import { openImap, type MailboxSettings } from './imap-connection';
import { MailboxPasswordError } from './mailbox-password';
import { InboundQueue } from './inbound-queue';
import type { InboundProcessor } from './inbound-thread-pool';
import type { IntakeRules, ProcessDeps } from './inbound-processor';
import { syncFolderToLedger } from './ledger';
import { markDoneOnServer } from './server-marks';

export interface MailboxIntakeDeps {
  prisma: PrismaClient;
  log: Logger;
  rules: IntakeRules;
  concurrency: number;
  /** Messages per processing transaction at most (MAIL_INTAKE_BATCH). */
  batchSize: number;
  /** Reconcile even without IDLE news this often (IDLE alone is never trusted). */
  reconcileMs: number;
  /** First reconnect delay; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  beforeCommit?: ProcessDeps['beforeCommit'];
  /** Processing threads shared by every mailbox (MAIL_INTAKE_THREADS); in-process without. */
  processor?: InboundProcessor;
  /**
   * Decrypts the mailboxes' IMAP passwords (resolveSecretKeyring(config)). Without it only
   * plaintext (legacy) passwords work and none is re-encrypted.
   */
  secrets?: SecretKeyring;
}

/**
 * The long-running intake of one mailbox: connect, then forever: copy new mail into the ledger,
 * process it, mark it on the server; sleep in IDLE until the server announces mail or the
 * reconcile timer fires. Any error drops the connection and reconnects with backoff; nothing is
 * lost because the ledger checkpoint only moves after a batch is stored.
 */
export class MailboxIntake {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private client: ImapFlow | undefined;
  private wake: (() => void) | undefined;
  private wakePending = false;
  private readonly queue: InboundQueue;
  private uidValidity: bigint | undefined;
  private duplicateUids: number[] = [];
  /** Last cycle outcome, for health and tests. */
  lastError: string | null = null;
  cycles = 0;
  /** Successful IMAP logins so far (more than one: the intake reconnected). */
  connects = 0;

  constructor(
    private readonly deps: MailboxIntakeDeps,
    readonly mailbox: MailboxSettings,
  ) {
    this.queue = new InboundQueue(
      { prisma: deps.prisma, log: deps.log, rules: deps.rules, concurrency: deps.concurrency, batchSize: deps.batchSize, retryAfterMs: deps.reconcileMs, beforeCommit: deps.beforeCommit, processor: deps.processor, onRoundDone: () => this.nudge() },
      mailbox.id,
    );
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.nudge();
    await this.queue.stop();
    await this.client?.logout().catch(() => this.client?.close());
    await this.loop;
  }

  /** Look now (new mail announced, a quarantined message released, work finished). */
  nudge(): void {
    this.wakePending = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    const log = this.deps.log.child({ mailbox: this.mailbox.name });
    let backoff = this.deps.backoffMs ?? 1000;
    while (!this.stopped) {
      let client: ImapFlow;
      try {
        client = openImap(this.mailbox, { secrets: this.deps.secrets, log });
      } catch (err) {
        // A password that cannot be decrypted stays so until the key or the password is fixed
        // (a change to the mailbox restarts this intake): say so loudly, retry rarely.
        if (!(err instanceof MailboxPasswordError)) throw err;
        this.lastError = err.message;
        log.error({ err: err.message }, 'mail intake of this mailbox cannot log in; the other mailboxes continue');
        backoff = this.deps.maxBackoffMs ?? 60_000;
        await this.sleep(backoff);
        continue;
      }
      this.client = client;
      client.on('error', (err: Error) => log.warn({ err: err.message }, 'IMAP connection error'));
      client.on('exists', () => this.nudge());
      client.on('close', () => this.nudge());
      try {
        await client.connect();
        this.connects++;
        log.info('IMAP connected');
        backoff = this.deps.backoffMs ?? 1000;
        while (!this.stopped && client.usable) {
          await this.cycle(client);
          this.cycles++;
          this.lastError = null;
          await this.idle(client);
        }
      } catch (err) {
        if (this.stopped) break;
        this.lastError = (err as Error).message;
        log.warn({ err: (err as Error).message, retryInMs: backoff }, 'mail intake cycle failed; reconnecting');
      } finally {
        client.removeAllListeners('exists');
        client.close();
      }
      if (this.stopped) break;
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, this.deps.maxBackoffMs ?? 60_000);
    }
  }

  private async cycle(client: ImapFlow): Promise<void> {
    this.wakePending = false;
    const sync = await syncFolderToLedger(this.deps, client, this.mailbox, { maxMessageBytes: this.deps.rules.maxMessageBytes });
    this.uidValidity = sync.uidValidity;
    this.duplicateUids.push(...sync.duplicateUids);
    void this.queue.kick().catch((err) => {
      this.lastError = (err as Error).message;
      this.deps.log.warn({ mailbox: this.mailbox.name, err: (err as Error).message }, 'processing round failed; retried at the next reconcile');
    });
    const uids = this.duplicateUids.splice(0);
    try {
      await markDoneOnServer(this.deps.prisma, client, this.mailbox, this.uidValidity, { duplicateUids: uids, log: this.deps.log.child({ mailbox: this.mailbox.name }) });
    } catch (err) {
      this.duplicateUids.push(...uids);
      throw err;
    }
  }

  /** IDLE until news, the reconcile timer or a nudge; the next command ends IDLE by itself. */
  private async idle(client: ImapFlow): Promise<void> {
    if (this.wakePending || this.stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.deps.reconcileMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
      if (this.wakePending) return done();
      client.idle().catch(() => done());
    });
    this.wake = undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        if (this.stopped) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
  }
}
