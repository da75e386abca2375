import type { PrismaClient } from '../../lib/db/prisma';
import { UserError } from '../../lib/errors';

/**
 * In an EMAIL route's target, this placeholder stands for the ticket's assignee at the time of
 * sending (L1 escalation goes to whoever owns the ticket now, not to a fixed address).
 */
export const ASSIGNEE_PLACEHOLDER = '{assignee}';

export function emailTargetEntries(target: string): string[] {
  return target
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
}

/**
 * The addresses an EMAIL route sends to for this ticket: its fixed addresses, plus the
 * assignee's address in place of the placeholder. An unassigned ticket drops the placeholder;
 * if nothing is left, the delivery fails permanently with a reason the ledger keeps.
 */
export async function resolveEmailTarget(prisma: PrismaClient, target: string, ticketId: number | null | undefined): Promise<string> {
  const entries = emailTargetEntries(target);
  if (!entries.includes(ASSIGNEE_PLACEHOLDER)) return target;
  const fixed = entries.filter((e) => e !== ASSIGNEE_PLACEHOLDER);
  const assignee =
    ticketId == null
      ? null
      : (await prisma.ticket.findUnique({ where: { id: ticketId }, select: { assignee: { select: { email: true, active: true } } } }))?.assignee;
  const recipients = assignee?.active ? [assignee.email, ...fixed.filter((a) => a.toLowerCase() !== assignee.email.toLowerCase())] : fixed;
  if (recipients.length === 0) {
    throw new UserError(
      ticketId == null
        ? 'this route sends to the ticket assignee, but the event is not about a ticket'
        : `ticket ${ticketId} has no active assignee, and this route has no other recipient`,
      'NO_RECIPIENT',
    );
  }
  return recipients.join(', ');
}
