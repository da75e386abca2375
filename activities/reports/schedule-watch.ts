import type { Client } from '@temporalio/client';
import type { PrismaClient } from '../../lib/db/prisma';
import type { Logger } from '../../lib/logger';
import { syncReportSchedules } from './schedules';

/**
 * Keeps every client's report schedule in step with the client, whoever created or changed it
 * (the API, onboarding's provisioning step, a script): at start every client, then every
 * `everyMs` only the clients changed since the last pass (Client.updatedAt). A pass that fails
 * (Temporal down) is simply repeated by the next one from the same watermark.
 */
export class ReportScheduleWatch {
  private watermark: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: { prisma: PrismaClient; temporal: Client; taskQueue: string; hour: number; log: Logger },
    private readonly everyMs = 60_000,
  ) {}

  start(): void {
    const tick = () => {
      void this.runOnce()
        .catch((err) => this.deps.log.warn({ err: (err as Error).message }, 'report schedule sync failed; retried at the next pass'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.everyMs);
        });
    };
    tick();
  }

  /** One pass; returns how many clients it synced. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<number> {
    const startedAt = new Date();
    const changed = await this.deps.prisma.client.findMany({
      where: this.watermark ? { updatedAt: { gte: this.watermark } } : {},
      select: { id: true },
    });
    if (changed.length) await syncReportSchedules(this.deps, changed.map((c) => c.id));
    // Only after success: a failed pass leaves the watermark where it was.
    this.watermark = startedAt;
    return changed.length;
  }
}
