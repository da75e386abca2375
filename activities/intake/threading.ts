import type { Prisma } from '../../lib/db/prisma';
import { ticketNumberFromSubject } from '../../lib/mail/subject';
import { findReplyTokens, parseReplyToken, verifyReplyToken, type ReplyTokenRole } from '../../lib/mail/reply-token';
import type { InboundMail } from './inbound-analysis';
import type { SenderIdentity } from './sender-resolution';

type Tx = Prisma.TransactionClient;

/**
 * Which ticket a message answers, in order of trust:
 * 1. a reply token (plus-address or in one of our Message-IDs) whose signature verifies for
 *    this sender: the only way a message can speak as staff;
 * 2. In-Reply-To / References naming a message we have on a ticket (sent or received);
 * 3. the `[#T-n]` subject token, only from a contact of that ticket's client (the requester,
 *    anyone CC'd from the client, a colleague) or an address on one of its registered domains:
 *    a number in a subject is easy to guess.
 */
export interface ThreadMatch {
  ticketId: number;
  via: 'token' | 'message-id' | 'subject';
  /** Role the verified token was issued for (via token only). */
  tokenRole?: ReplyTokenRole;
}

export interface ThreadingKeys {
  secrets: readonly string[];
  supportAddress: string;
  domain: string;
}

export async function findThread(tx: Tx, mail: InboundMail, sender: SenderIdentity, keys: ThreadingKeys): Promise<ThreadMatch | null> {
  const tokens = findReplyTokens({ recipients: mail.recipients, inReplyTo: mail.inReplyTo, references: mail.references }, keys);
  for (const token of tokens) {
    const verdict = verifyReplyToken(keys.secrets, token, mail.from);
    if (!verdict.ok || verdict.claims.kind !== 'ticket') continue;
    const ticketId = Number(verdict.claims.entityId);
    if (!Number.isSafeInteger(ticketId)) continue;
    if (await tx.ticket.findUnique({ where: { id: ticketId }, select: { id: true } })) {
      return { ticketId, via: 'token', tokenRole: verdict.claims.role };
    }
  }

  // A token issued to the requester, quoted back by someone else (a colleague in CC): the
  // message is ours, so it threads, but it grants the sender nothing.
  for (const token of tokens) {
    const parsed = parseReplyToken(token);
    if (!parsed || parsed.kind !== 'ticket' || parsed.role !== 'contact') continue;
    const ticketId = Number(parsed.entityId);
    if (!Number.isSafeInteger(ticketId)) continue;
    const ticket = await tx.ticket.findUnique({ where: { id: ticketId }, select: { contact: { select: { email: true } } } });
    if (ticket?.contact && verifyReplyToken(keys.secrets, token, ticket.contact.email).ok) return { ticketId, via: 'message-id' };
  }

  const ids = [...mail.inReplyTo, ...[...mail.references].reverse()].filter((id) => id !== mail.messageId);
  const known = await ticketOfKnownMessage(tx, ids);
  if (known !== null) return { ticketId: known, via: 'message-id' };

  const number = ticketNumberFromSubject(mail.subject);
  if (number !== null && sender.clientId) {
    // The sender is a contact of the ticket's client or writes from one of its registered domains.
    const ticket = await tx.ticket.findUnique({ where: { id: number }, select: { id: true, clientId: true } });
    if (ticket && ticket.clientId === sender.clientId) return { ticketId: ticket.id, via: 'subject' };
  }
  return null;
}

/** The ticket of the first of these Message-IDs that we sent (gateway ledger) or stored. */
export async function ticketOfKnownMessage(tx: Tx, ids: string[]): Promise<number | null> {
  if (!ids.length) return null;
  const [sent, stored] = await Promise.all([
    tx.outboundMail.findMany({ where: { messageId: { in: ids }, ticketId: { not: null } }, select: { messageId: true, ticketId: true } }),
    tx.ticketMessage.findMany({ where: { messageId: { in: ids } }, select: { messageId: true, ticketId: true } }),
  ]);
  for (const id of ids) {
    const hit = sent.find((s) => s.messageId.toLowerCase() === id) ?? stored.find((s) => s.messageId === id);
    if (hit?.ticketId) return hit.ticketId;
  }
  return null;
}
