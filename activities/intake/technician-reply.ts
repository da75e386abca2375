import type { Prisma } from '../../lib/db/prisma';
import { parseTechnicianCommands, type TicketCommand } from '../../lib/mail/commands';
import { commandTicket, sendTicketMail } from '../tickets/ticket-effects';
import { addInternalNote, addTechnicianReply, addTimeEntry } from '../tickets/ticket-message-service';
import type { InboundMail } from './inbound-analysis';
import type { ThreadingKeys } from './threading';

type Tx = Prisma.TransactionClient;

/**
 * A verified technician's reply (registered address AND a staff reply token signed for it):
 * the public part is relayed to the client as the MSP, `#internal` text becomes a note, `#time`
 * a time entry, and status/priority/assignment go to the ticket's workflow (via the outbox, after
 * this transaction commits) exactly as the API would. Command errors get a short answer.
 */
export async function applyTechnicianReply(
  tx: Tx,
  input: { ticketId: number; userId: string; mail: InboundMail; sourceKey: string; inboundId: string; keys: ThreadingKeys },
): Promise<void> {
  const { ticketId, userId, mail, sourceKey } = input;
  const parsed = parseTechnicianCommands(mail.body.text);
  const by = userId;
  const problems = parsed.errors.map((e) => ({ text: e.text, message: e.message }));

  if (parsed.publicText) {
    const lastClientMessage = await tx.ticketMessage.findFirst({
      where: { ticketId, direction: 'INBOUND', outside: false, messageId: { not: null } },
      orderBy: { createdAt: 'desc' },
      select: { messageId: true },
    });
    await addTechnicianReply(tx, {
      ticketId,
      userId,
      sourceKey: `${sourceKey}:public`,
      inboundId: input.inboundId,
      bodyText: parsed.publicText,
      inReplyTo: lastClientMessage?.messageId ?? undefined,
      references: lastClientMessage?.messageId ? [lastClientMessage.messageId] : undefined,
    });
  }
  if (parsed.internalText) {
    await addInternalNote(tx, { ticketId, userId, sourceKey: `${sourceKey}:internal`, inboundId: input.inboundId, bodyText: parsed.internalText });
  }

  let n = 0;
  for (const command of parsed.commands) {
    const key = `${sourceKey}:${n++}`;
    const problem = await applyCommand(tx, ticketId, userId, by, command, key);
    if (problem) problems.push(problem);
  }

  if (problems.length) {
    const ticket = await tx.ticket.findUniqueOrThrow({ where: { id: ticketId }, select: { subject: true } });
    await sendTicketMail(tx, {
      idempotencyKey: `inbound-${input.inboundId}:unknown-command`,
      template: 'unknown-command',
      data: { ticket: { id: ticketId, subject: ticket.subject }, errors: problems },
      to: [mail.from],
      automatic: 'auto-replied',
      replyToken: { kind: 'ticket', entityId: String(ticketId), role: 'staff' },
      ticketId,
      inReplyTo: mail.messageId,
    });
  }
}

async function applyCommand(tx: Tx, ticketId: number, userId: string, by: string, command: TicketCommand, key: string): Promise<{ text: string; message: string } | null> {
  switch (command.type) {
    case 'internal':
      return null;
    case 'time':
      await addTimeEntry(tx, { ticketId, userId, minutes: command.minutes, sourceKey: key, note: 'by email' });
      return null;
    case 'status':
      if (command.status === 'NEW' || command.status === 'ACKNOWLEDGED') {
        return { text: `#status`, message: `a ticket cannot be moved back to ${command.status} by email.` };
      }
      await commandTicket(tx, key, { ticketId, command: 'status', status: command.status, by });
      return null;
    case 'priority':
      await commandTicket(tx, key, { ticketId, command: 'priority', priority: command.priority, by });
      return null;
    case 'assign': {
      const assignee = await findAssignee(tx, command.assignee, userId);
      if (!assignee) return { text: `#assign ${command.assignee}`, message: 'no active technician with that address or name (exactly one must match).' };
      await commandTicket(tx, key, { ticketId, command: 'assign', assigneeId: assignee, by });
      return null;
    }
  }
}

async function findAssignee(tx: Tx, who: string, self: string): Promise<string | null> {
  if (/^(me|moi)$/i.test(who)) return self;
  const users = await tx.user.findMany({
    where: {
      active: true,
      role: { in: ['TECHNICIAN', 'ADMIN'] },
      OR: [{ email: who.toLowerCase() }, { email: { startsWith: `${who.toLowerCase()}@` } }, { name: { equals: who, mode: 'insensitive' } }],
    },
    select: { id: true },
    take: 2,
  });
  return users.length === 1 ? users[0].id : null;
}
