import type { Client } from '@temporalio/client';
import { systemActor } from '../../../lib/access';
import type { PrismaClient } from '../../../lib/db/prisma';
import { UserError } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import { approveRolloutGate } from './rollout-service';

/**
 * Rollout approvals by email: the intake (activities/intake/token-replies.ts) checks the reply
 * token and the approver inside its transaction and writes this effect to the outbox; the outbox
 * dispatcher then approves through approveRolloutGate, the business action the API uses.
 */
export const APPROVE_ROLLOUT_BY_EMAIL = 'approve-rollout-by-email';

export interface EmailApprovalEffect {
  rolloutId: string;
  ring: string;
  /** `email:<sender address>`. */
  by: string;
}

export function rolloutEffectHandlers(deps: { prisma: PrismaClient; temporal: Client; taskQueue: string; log: Logger }): Record<string, (payload: unknown) => Promise<void>> {
  return {
    [APPROVE_ROLLOUT_BY_EMAIL]: async (payload) => {
      const e = payload as EmailApprovalEffect;
      try {
        await approveRolloutGate(deps, systemActor('mail-intake'), e.rolloutId, { ring: e.ring, via: 'email', by: e.by });
        deps.log.info({ rolloutId: e.rolloutId, ring: e.ring, by: e.by }, 'rollout ring approved by email');
      } catch (err) {
        // Refused by the workflow (already approved, cancelled, finished): retrying cannot change that.
        if (!(err instanceof UserError)) throw err;
        deps.log.warn({ rolloutId: e.rolloutId, ring: e.ring, by: e.by, reason: err.message }, 'approval by email refused');
      }
    },
  };
}
