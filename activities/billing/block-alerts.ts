import type { PrismaClient } from '../../lib/db/prisma';
import type { NotifyInput, NotifyResult } from '../notify/notification-service';

/**
 * Alerts when a block contract's prepaid time reaches 80, 95 and 100 % used, each sent once
 * through the notification routes of event `contract.block-threshold`.
 *
 * Used % = minutes consumed from blocks / minutes credited to blocks (minus what expired unused),
 * over the contract's life. The notification's idempotency key is
 * `contract-<id>:block-total-<credited minutes>:<threshold>`: the notification ledger sends each
 * (key, route) once, so a retry or a second check sends nothing. A top-up changes the credited
 * total, which re-arms the thresholds for the new total: with 10 h bought and 8 h used, the 80 %
 * alert has gone; a 10 h top-up makes it 8/20 = 40 %, and the next 80 % alert goes out at 16 h.
 * If the usage is still past a threshold of the new total right after a top-up, that threshold's
 * alert for the new total goes out at the next check.
 */
export const BLOCK_THRESHOLDS = [80, 95, 100] as const;
export const BLOCK_THRESHOLD_EVENT = 'contract.block-threshold';

export interface BlockAlertDeps {
  prisma: PrismaClient;
  /** Sends through the notification routes (activities/notify); absent: no alerts (logged by caller). */
  notify?: (input: NotifyInput) => Promise<NotifyResult>;
}

export interface BlockUsage {
  creditedMinutes: number;
  consumedMinutes: number;
  percent: number;
}

export async function blockUsage(prisma: PrismaClient, contractId: string): Promise<BlockUsage> {
  const sums = await prisma.contractLedgerEntry.groupBy({
    by: ['kind'],
    where: { contractId, kind: { in: ['BLOCK_CREDIT', 'BLOCK_EXPIRY', 'BLOCK_CONSUMPTION'] } },
    _sum: { minutes: true },
  });
  const sum = (kind: string) => sums.find((s) => s.kind === kind)?._sum.minutes ?? 0;
  const creditedMinutes = sum('BLOCK_CREDIT') + sum('BLOCK_EXPIRY');
  const consumedMinutes = -sum('BLOCK_CONSUMPTION');
  const percent = creditedMinutes > 0 ? (consumedMinutes * 100) / creditedMinutes : 0;
  return { creditedMinutes, consumedMinutes, percent };
}

/** Sends the thresholds reached and not yet sent for the current total; returns those reached. */
export async function checkBlockAlerts(deps: BlockAlertDeps, contractId: string): Promise<number[]> {
  const contract = await deps.prisma.contract.findUnique({ where: { id: contractId }, include: { client: { select: { id: true, name: true } } } });
  if (!contract || contract.type !== 'BLOCK_HOURS' || !deps.notify) return [];
  const usage = await blockUsage(deps.prisma, contractId);
  if (usage.creditedMinutes <= 0) return [];
  const reached = BLOCK_THRESHOLDS.filter((t) => usage.consumedMinutes * 100 >= t * usage.creditedMinutes);
  for (const threshold of reached) {
    const hours = (m: number) => (m / 60).toFixed(2);
    await deps.notify({
      clientId: contract.clientId,
      event: BLOCK_THRESHOLD_EVENT,
      dedupeKey: `contract-${contractId}:block-total-${usage.creditedMinutes}:${threshold}`,
      message: {
        title: `${contract.client.name}: ${threshold} % of the prepaid time used (${contract.name})`,
        text: `${hours(usage.consumedMinutes)} h used of ${hours(usage.creditedMinutes)} h prepaid (${usage.percent.toFixed(1)} %).`,
        severity: threshold >= 100 ? 'critical' : 'warning',
        fields: { contract: contract.name, threshold: `${threshold} %`, usedHours: hours(usage.consumedMinutes), prepaidHours: hours(usage.creditedMinutes) },
      },
    });
  }
  return reached;
}
