import type { ConsumptionSource } from './collect';
import type { PrismaClient } from '../../lib/db/prisma';

/**
 * Where the report's contract consumption and MRR come from: part A's billing module
 * (activities/billing/). Until it is merged the report shows "no data" for consumption.
 */
export const reportConsumptionSource: ConsumptionSource | undefined = undefined;
export const reportMrrSource: ((prisma: PrismaClient, clientId: string, at: Date) => Promise<number>) | undefined = undefined;
