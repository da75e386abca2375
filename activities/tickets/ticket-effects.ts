import type { Prisma } from '../../lib/db/prisma';
import { enqueueEffect } from '../../lib/outbox/outbox';
import type { MailTemplate, SendMailRequest } from '../mail/gateway-types';

/**
 * Effects a ticket change asks for outside PostgreSQL, written to the transactional outbox in the
 * same transaction as the change: the dispatcher performs them after the commit, so a crash never
 * loses one and a rolled-back change never causes one. Keys are business keys, unique forever.
 */
export const SIGNAL_TICKET = 'signal-ticket';
export const TICKET_COMMAND = 'ticket-command';
export const SEND_TICKET_MAIL = 'send-ticket-mail';
export const CHECK_BLOCK_ALERTS = 'check-block-alerts';

type Tx = Prisma.TransactionClient;

export type TicketSignalEffect =
  | { ticketId: number; signal: 'clientReplied'; at: number; reference?: string }
  | { ticketId: number; signal: 'technicianReplied'; at: number; by: string };

export type TicketCommandEffect =
  | { ticketId: number; command: 'status'; status: 'WAITING_ON_CLIENT' | 'RESOLVED' | 'IN_PROGRESS' | 'CLOSED'; by: string }
  | { ticketId: number; command: 'priority'; priority: 'P1' | 'P2' | 'P3' | 'P4'; by: string }
  | { ticketId: number; command: 'assign'; assigneeId: string; by: string };

export function signalTicket(tx: Tx, key: string, effect: TicketSignalEffect) {
  return enqueueEffect(tx, { kind: SIGNAL_TICKET, key: `signal:${effect.signal}:${key}`, payload: { ...effect } });
}

export function commandTicket(tx: Tx, key: string, effect: TicketCommandEffect) {
  return enqueueEffect(tx, { kind: TICKET_COMMAND, key: `command:${key}`, payload: { ...effect } });
}

/** A mail for the gateway to send after the commit; its idempotency key is also the outbox key. */
export function sendTicketMail<T extends MailTemplate>(tx: Tx, request: SendMailRequest<T>) {
  return enqueueEffect(tx, {
    kind: SEND_TICKET_MAIL,
    key: `mail:${request.idempotencyKey}`,
    payload: JSON.parse(JSON.stringify(request)) as Prisma.InputJsonValue,
  });
}

/** Several mails in one statement (a new ticket's acknowledgement and notifications). */
export async function sendTicketMails(tx: Tx, requests: Array<SendMailRequest<MailTemplate>>) {
  if (!requests.length) return;
  await tx.outboxEntry.createMany({
    data: requests.map((request) => ({
      kind: SEND_TICKET_MAIL,
      key: `mail:${request.idempotencyKey}`,
      payload: JSON.parse(JSON.stringify(request)) as Prisma.InputJsonValue,
    })),
  });
}

/** Time booked on a block contract inside a transaction: its usage alerts are checked after the commit. */
export function checkBlockAlertsLater(tx: Tx, timeEntryId: string, contractId: string) {
  return enqueueEffect(tx, { kind: CHECK_BLOCK_ALERTS, key: `block-alerts:${timeEntryId}`, payload: { contractId } });
}
