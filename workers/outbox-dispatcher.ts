import type { Client } from '@temporalio/client';
import type { PrismaClient } from '../lib/db/prisma';
import type { Logger } from '../lib/logger';
import { START_TICKET_WORKFLOW, markDispatched, markFailed, pendingEffects, type PendingEffect } from '../lib/outbox/outbox';
import { startTicketWorkflow } from '../lib/temporal/workflow-starts';
import type { TicketWorkflowInput } from '../workflows/definitions';
import { onboardingEffectHandlers } from '../activities/onboarding/workflow-start';
import { rolloutEffectHandlers } from '../activities/rmm/rollout/approval-by-email';

/**
 * Drains the outbox: performs each pending effect (idempotently) and marks it done. Runs on
 * a timer so effects left behind by a crash are picked up, and on demand (`dispatchKey`) so
 * the API's happy path starts the workflow before it answers.
 */
export class OutboxDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Effects of onboarding and rollouts (workflow starts, signals, email approvals), plus the caller's handlers. */
  private readonly handlers: Record<string, (payload: unknown) => Promise<void>>;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      temporal: Client;
      taskQueue: string;
      log: Logger;
      /** Performers of further effect kinds (ticket signals, commands, mail), by kind. */
      handlers?: Record<string, (payload: unknown) => Promise<void>>;
    },
    private readonly pollMs: number,
  ) {
    this.handlers = { ...onboardingEffectHandlers(deps), ...rolloutEffectHandlers(deps), ...deps.handlers };
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.drain()
        .catch((err) => this.deps.log.error({ err }, 'outbox drain failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.pollMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Drains everything pending now; concurrent calls share one pass. */
  drain(): Promise<void> {
    this.running ??= this.drainOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drainOnce(): Promise<void> {
    for (;;) {
      const batch = await pendingEffects(this.deps.prisma, 50);
      if (batch.length === 0) return;
      let progressed = false;
      for (const effect of batch) progressed = (await this.dispatch(effect)) || progressed;
      if (!progressed || this.stopped) return; // everything failed: wait for the next tick
    }
  }

  /** Performs the effect for one key right now; true when it is done (now or before). */
  async dispatchKey(key: string): Promise<boolean> {
    const [effect] = await pendingEffects(this.deps.prisma, 1, key);
    if (!effect) return true;
    return this.dispatch(effect);
  }

  private async dispatch(effect: PendingEffect): Promise<boolean> {
    try {
      await this.perform(effect);
      await markDispatched(this.deps.prisma, effect.id);
      return true;
    } catch (err) {
      this.deps.log.warn({ err, key: effect.key, attempts: effect.attempts + 1 }, 'outbox effect failed; will retry');
      await markFailed(this.deps.prisma, effect.id, (err as Error).message ?? String(err));
      return false;
    }
  }

  private async perform(effect: PendingEffect): Promise<void> {
    switch (effect.kind) {
      case START_TICKET_WORKFLOW: {
        const r = await startTicketWorkflow(this.deps.temporal, this.deps.taskQueue, effect.payload as TicketWorkflowInput);
        this.deps.log.info({ workflowId: r.workflowId, alreadyStarted: r.alreadyStarted }, 'ticket workflow started');
        return;
      }
      default: {
        const handler = this.handlers[effect.kind];
        if (!handler) throw new Error(`Unknown outbox effect kind "${effect.kind}"`);
        await handler(effect.payload);
        return;
      }
    }
  }
}
