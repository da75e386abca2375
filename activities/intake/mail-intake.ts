import type { Config } from '../../lib/config';
import { resolveReplySecrets } from '../../lib/mail/reply-secret';
import type { IntakeRules } from './inbound-processor';
import { resealMailboxPasswords } from './mailbox-password';
import { MailboxIntake, type MailboxIntakeDeps } from './mailbox-intake';

/** The intake rules from configuration (the mail secret, limits, unknown-sender policy). */
export function intakeRulesFrom(config: Config): IntakeRules {
  return {
    maxMessageBytes: config.mail.maxMessageBytes,
    unknownSenders: config.intake.unknownSenders,
    keys: { secrets: resolveReplySecrets(config), supportAddress: config.mail.supportAddress, domain: config.mail.domain },
    attachments: config.mail.attachments,
    suppressionDays: config.mail.suppressionDays,
  };
}

/**
 * Runs one MailboxIntake per enabled Mailbox row, in the worker process. Picks up mailboxes
 * added, changed or disabled through the API at each reconcile.
 */
export class MailIntake {
  private readonly running = new Map<string, { intake: MailboxIntake; version: number }>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    /** The same settings every mailbox's intake gets. */
    private readonly deps: MailboxIntakeDeps,
  ) {}

  async start(): Promise<void> {
    // Plaintext passwords from before encryption at rest, and passwords under a former key.
    if (this.deps.secrets) {
      await resealMailboxPasswords({ prisma: this.deps.prisma, log: this.deps.log, secrets: this.deps.secrets }).catch((err) =>
        this.deps.log.error({ err: (err as Error).message }, 're-encrypting mailbox passwords failed; retried at the next start'),
      );
    }
    await this.refresh();
    const tick = () => {
      this.timer = setTimeout(() => {
        this.refresh()
          .catch((err) => this.deps.log.warn({ err: (err as Error).message }, 'mailbox list refresh failed'))
          .finally(() => !this.stopped && tick());
      }, this.deps.reconcileMs);
    };
    tick();
  }

  /** The intake of a mailbox (tests, and the API's "retry now" in a single process). */
  intakeOf(mailboxId: string): MailboxIntake | undefined {
    return this.running.get(mailboxId)?.intake;
  }

  nudgeAll(): void {
    for (const { intake } of this.running.values()) intake.nudge();
  }

  async refresh(): Promise<void> {
    if (this.stopped) return;
    const mailboxes = await this.deps.prisma.mailbox.findMany({ where: { enabled: true } });
    const wanted = new Map(mailboxes.map((m) => [m.id, m]));
    for (const [id, entry] of this.running) {
      const m = wanted.get(id);
      if (!m || m.updatedAt.getTime() !== entry.version) {
        this.running.delete(id);
        await entry.intake.stop();
      }
    }
    for (const m of mailboxes) {
      // stop() may have run while this refresh awaited: start nothing after it.
      if (this.stopped) return;
      if (this.running.has(m.id)) continue;
      const intake = new MailboxIntake(this.deps, m);
      this.running.set(m.id, { intake, version: m.updatedAt.getTime() });
      intake.start();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([...this.running.values()].map((e) => e.intake.stop()));
    this.running.clear();
  }
}
