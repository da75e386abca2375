import type { Client } from '@temporalio/client';
import type { PrismaClient } from '../../lib/db/prisma';
import type { Logger } from '../../lib/logger';
import { syncReportSchedules } from './schedules';

/** What one pass did: clients looked at, and the schedules it created or rewrote (ids). */
export interface ScheduleWatchPass {
  clients: number;
  created: string[];
  updated: string[];
}

/**
 * Keeps every client's report schedule in step with the client, whoever created or changed it
 * (the API, onboarding's provisioning step, a script): at start every client, then every
 * `everyMs` only the clients changed since the last pass (Client.updatedAt). A pass that fails
 * (Temporal down) is simply repeated by the next one from the same watermark.
 *
 * A pass only describes a client's schedule and writes it when it differs (created, or its time
 * zone, hour, task queue... changed): so a worker start with 1,000 clients makes 1,000 reads and
 * no writes, and a schedule edited by hand is put back.
 */
export class ReportScheduleWatch {
  private watermark: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ScheduleWatchPass> | undefined;
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

  /** One pass (or the one already running). */
  runOnce(): Promise<ScheduleWatchPass> {
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

  private async pass(): Promise<ScheduleWatchPass> {
    const startedAt = new Date();
    const changed = await this.deps.prisma.client.findMany({
      where: this.watermark ? { updatedAt: { gte: this.watermark } } : {},
      select: { id: true },
    });
    const written = changed.length
      ? await syncReportSchedules(this.deps, changed.map((c) => c.id), { skipUnchanged: true })
      : { created: [], updated: [] };
    // Only after success: a failed pass leaves the watermark where it was.
    this.watermark = startedAt;
    return { clients: changed.length, ...written };
  }
}
