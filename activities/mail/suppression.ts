import type { PrismaClient } from '../../lib/db/prisma';
import { normalizeAddress } from '../../lib/mail/reply-token';

/**
 * The suppression list: addresses that bounced get no automatic mail (acknowledgements,
 * rejections, notifications) until `until`. Mail a person writes (a technician's relayed
 * reply) still goes: a human chose to write to that address. A later bounce extends the period.
 */
/** Works inside a transaction too (anything with `mailSuppression`). */
type SuppressionStore = Pick<PrismaClient, 'mailSuppression'>;

export async function suppressAddress(
  prisma: SuppressionStore,
  input: { address: string; reason: string; source?: string | null; days: number; now?: Date },
): Promise<{ suppressed: boolean; until: Date | null }> {
  if (input.days <= 0) return { suppressed: false, until: null };
  const address = normalizeAddress(input.address);
  const now = input.now ?? new Date();
  const until = new Date(now.getTime() + input.days * 86_400_000);
  const reason = input.reason.slice(0, 500);
  await prisma.mailSuppression.upsert({
    where: { address },
    create: { address, reason, source: input.source ?? null, until },
    update: { reason, source: input.source ?? null, until },
  });
  return { suppressed: true, until };
}

export async function isSuppressed(prisma: SuppressionStore, address: string, now = new Date()): Promise<boolean> {
  const row = await prisma.mailSuppression.findFirst({ where: { address: normalizeAddress(address), until: { gt: now } } });
  return row !== null;
}

export async function liftSuppression(prisma: SuppressionStore, address: string): Promise<void> {
  await prisma.mailSuppression.deleteMany({ where: { address: normalizeAddress(address) } });
}
