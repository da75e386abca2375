import type { PrismaClient } from '../lib/db/prisma';
import { withFailureMapping } from '../lib/temporal-failure';
import { createTicketActivities } from './tickets/ticket-activities';

export interface ActivityDeps {
  prisma: PrismaClient;
}

/** Every activity the worker registers, built from its dependencies (no globals). */
export function createActivities(deps: ActivityDeps) {
  return withFailureMapping({
    ...createTicketActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
