import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Actor } from '../../lib/access';
import type { PrismaClient } from '../../lib/db/prisma';
import { OperationalError, UserError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { clientRepliedSignal, technicianRepliedSignal, workflowIds } from '../../workflows/definitions';
import type { MailGateway, SendMailRequest } from '../mail/gateway-types';
import { checkBlockAlerts, type BlockAlertDeps } from '../billing/block-alerts';
import { CHECK_BLOCK_ALERTS, SEND_TICKET_MAIL, SIGNAL_TICKET, TICKET_COMMAND, type TicketCommandEffect, type TicketSignalEffect } from './ticket-effects';
import { assignTicket, changeTicketPriority, changeTicketStatus } from './ticket-lifecycle-service';
import { recordTicketEvent } from './ticket-service';

export interface TicketEffectDeps {
  prisma: PrismaClient;
  temporal: Client;
  log: Logger;
  /** Undefined when no SMTP server is configured: mail effects are then skipped (logged). */
  gateway?: Pick<MailGateway, 'send'>;
  /** Block usage alerts (activities/billing/wiring.ts); without it they wait for the next booking. */
  blockAlerts?: BlockAlertDeps;
}

/**
 * How the outbox dispatcher performs the effects ticket changes enqueue. Each is safe to repeat:
 * signals are idempotent in the workflow's state machine, updates refused as invalid are recorded
 * on the ticket (not retried), and mail is keyed in the gateway's OutboundMail ledger.
 */
export function ticketEffectHandlers(deps: TicketEffectDeps): Record<string, (payload: unknown) => Promise<void>> {
  return {
    [SIGNAL_TICKET]: async (payload) => {
      const effect = payload as TicketSignalEffect;
      const handle = deps.temporal.workflow.getHandle(workflowIds.ticket(effect.ticketId));
      try {
        if (effect.signal === 'clientReplied') await handle.signal(clientRepliedSignal, { at: effect.at, reference: effect.reference });
        else await handle.signal(technicianRepliedSignal, { at: effect.at, by: effect.by });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        if (!(await workflowStarted(deps, effect.ticketId))) throw new OperationalError(`ticket ${effect.ticketId}'s workflow is not started yet`, 'temporal');
        deps.log.info({ ticketId: effect.ticketId, signal: effect.signal }, 'ticket workflow has ended; signal dropped');
      }
    },
    [TICKET_COMMAND]: async (payload) => {
      const effect = payload as TicketCommandEffect;
      const user = await deps.prisma.user.findUnique({ where: { id: effect.by }, select: { id: true, role: true } });
      const actor: Actor = user ? { kind: 'user', userId: user.id, role: user.role, clientIds: 'all' } : { kind: 'system', component: 'mail-command' };
      try {
        if (effect.command === 'status') await changeTicketStatus(deps, actor, effect.ticketId, effect.status, 'by email');
        else if (effect.command === 'priority') await changeTicketPriority(deps, actor, effect.ticketId, effect.priority, 'by email');
        else await assignTicket(deps, actor, effect.ticketId, effect.assigneeId);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        // Refused by the workflow (e.g. an invalid transition): recorded, never retried.
        await recordTicketEvent(deps, effect.ticketId, {
          type: 'email-command-refused',
          dedupeKey: `email-command-refused:${effect.ticketId}:${JSON.stringify(effect)}`,
          data: { command: effect.command, reason: err.message },
        });
      }
    },
    [CHECK_BLOCK_ALERTS]: async (payload) => {
      const { contractId } = payload as { contractId: string };
      // Each threshold is sent once per (contract, total, route) by the notification ledger.
      if (deps.blockAlerts) await checkBlockAlerts(deps.blockAlerts, contractId);
      else deps.log.warn({ contractId }, 'no notification setup for block alerts here; checked at the next booking');
    },
    [SEND_TICKET_MAIL]: async (payload) => {
      const request = payload as SendMailRequest;
      if (!deps.gateway) {
        deps.log.warn({ key: request.idempotencyKey, template: request.template }, 'no SMTP server configured (SMTP_HOST): mail not sent');
        return;
      }
      try {
        await deps.gateway.send(request);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        // A request the gateway can never send (e.g. an unusable address): retrying would only
        // hold up the effects behind it. Logged; the ticket keeps the message.
        deps.log.warn({ key: request.idempotencyKey, err: err.message }, 'mail refused by the gateway; not retried');
      }
    },
  };
}

async function workflowStarted(deps: TicketEffectDeps, ticketId: number): Promise<boolean> {
  const entry = await deps.prisma.outboxEntry.findUnique({ where: { key: workflowIds.ticket(ticketId) }, select: { dispatchedAt: true } });
  return Boolean(entry?.dispatchedAt);
}
