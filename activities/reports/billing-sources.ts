import type { PrismaClient } from '../../lib/db/prisma';
import { summarizeConsumption } from '../billing/consumption-summary';
import { termsOrNull } from '../billing/ledger-service';
import type { ConsumptionSource, MrrSource } from './collect';

/**
 * Where the report's contract consumption and MRR come from: the billing module
 * (activities/billing/, part A of issue 7), called with the report's asOf so they are as
 * reproducible as the rest of the snapshot.
 */
export const reportConsumptionSource: ConsumptionSource = (prisma, clientId, periodStart, periodEnd, opts) => summarizeConsumption(prisma, clientId, periodStart, periodEnd, opts);

/** MRR of one client for a period: monthly fixed fees of its contracts in force then (the KPI rule of kpi-service.ts), created before asOf. */
export const reportMrrSource: MrrSource = async (prisma: PrismaClient, clientId, periodStart, periodEnd, asOf) => {
  const fixed = await prisma.contract.findMany({
    where: { clientId, type: 'MONTHLY_FIXED', active: true, createdAt: { lt: asOf }, startsOn: { lt: periodEnd }, OR: [{ endsOn: null }, { endsOn: { gte: periodStart } }] },
  });
  return fixed.reduce((sum, c) => {
    const terms = termsOrNull(c);
    return sum + (terms?.type === 'MONTHLY_FIXED' ? terms.monthlyPriceCents : 0);
  }, 0);
};
