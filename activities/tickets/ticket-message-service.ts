import crypto from 'node:crypto';
import { clientScope, type Actor } from '../../lib/access';
import type { Prisma, PrismaClient } from '../../lib/db/prisma';
import { NotFoundError, ValidationError } from '../../lib/errors';
import { checkBlockAlertsLater, signalTicket, sendTicketMail } from './ticket-effects';
import { recordTimeEntryTx } from '../billing/time-entry-service';

/**
 * Messages on a ticket, written once for the API and the mail intake. Each runs inside the
 * caller's transaction and is keyed by `sourceKey` (the mail ledger row, an API idempotency key):
 * the unique constraint makes a replay write nothing twice. Effects (workflow signals, mail to
 * send) go to the outbox in the same transaction.
 */
type Tx = Prisma.TransactionClient;

export interface AttachmentInput {
  storageKey: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  inline: boolean;
  contentId?: string;
}

interface MessageBase {
  ticketId: number;
  sourceKey: string;
  bodyText: string;
  /** Already sanitised. */
  bodyHtml?: string | null;
  inboundId?: string;
  attachments?: AttachmentInput[];
}

/**
 * Mail from the client side. A contact's message signals the workflow (resumes a paused clock,
 * reopens a resolved ticket); an outsider's is kept on the ticket but changes nothing and is
 * never relayed.
 */
export async function addClientMessage(
  tx: Tx,
  input: MessageBase & { contactId?: string | null; fromAddress: string; messageId?: string; outside: boolean; at: Date; /** false for the message that opens a ticket. */ signal?: boolean },
): Promise<{ messageId: string }> {
  const msg = await tx.ticketMessage.create({
    data: {
      ticketId: input.ticketId,
      direction: 'INBOUND',
      contactId: input.contactId ?? undefined,
      fromAddress: input.fromAddress,
      outside: input.outside,
      messageId: input.messageId,
      bodyText: input.bodyText,
      bodyHtml: input.bodyHtml ?? undefined,
      inboundId: input.inboundId,
      sourceKey: input.sourceKey,
      attachments: input.attachments?.length ? { create: input.attachments } : undefined,
    },
  });
  if (!input.outside && input.signal !== false) {
    await signalTicket(tx, input.sourceKey, { ticketId: input.ticketId, signal: 'clientReplied', at: input.at.getTime(), reference: input.messageId });
  }
  return { messageId: msg.id };
}

/** A private note (never sent): technicians' `#internal`, bounces, automatic replies. */
export async function addInternalNote(tx: Tx, input: MessageBase & { userId?: string | null; fromAddress?: string }): Promise<{ messageId: string }> {
  const msg = await tx.ticketMessage.create({
    data: {
      ticketId: input.ticketId,
      direction: 'INTERNAL',
      userId: input.userId ?? undefined,
      fromAddress: input.fromAddress,
      bodyText: input.bodyText,
      bodyHtml: input.bodyHtml ?? undefined,
      inboundId: input.inboundId,
      sourceKey: input.sourceKey,
      attachments: input.attachments?.length ? { create: input.attachments } : undefined,
    },
  });
  return { messageId: msg.id };
}

/**
 * A technician's public answer: logged on the ticket and mailed to the requester from the
 * support address (threaded on the client's last message), and the workflow told (first response).
 */
export async function addTechnicianReply(
  tx: Tx,
  input: MessageBase & { userId: string; inReplyTo?: string; references?: string[] },
): Promise<{ messageId: string; sentTo: string[] }> {
  const ticket = await tx.ticket.findUniqueOrThrow({
    where: { id: input.ticketId },
    select: { subject: true, contact: { select: { email: true, locale: true } }, client: { select: { locale: true } } },
  });
  const author = await tx.user.findUniqueOrThrow({ where: { id: input.userId }, select: { name: true } });
  const msg = await tx.ticketMessage.create({
    data: {
      ticketId: input.ticketId,
      direction: 'OUTBOUND',
      userId: input.userId,
      bodyText: input.bodyText,
      bodyHtml: input.bodyHtml ?? undefined,
      inboundId: input.inboundId,
      sourceKey: input.sourceKey,
      attachments: input.attachments?.length ? { create: input.attachments } : undefined,
    },
  });
  const to = ticket.contact ? [ticket.contact.email] : [];
  if (ticket.contact) {
    await sendTicketMail(tx, {
      idempotencyKey: `ticket-${input.ticketId}:reply:${msg.id}`,
      template: 'ticket-reply',
      data: { ticket: { id: input.ticketId, subject: ticket.subject }, bodyText: input.bodyText, technicianName: author.name },
      to,
      locale: ticket.contact.locale ?? ticket.client.locale,
      automatic: false,
      replyToken: { kind: 'ticket', entityId: String(input.ticketId), role: 'contact' },
      ticketId: input.ticketId,
      inReplyTo: input.inReplyTo ?? null,
      references: input.references,
      fromName: author.name,
    });
  }
  await signalTicket(tx, input.sourceKey, { ticketId: input.ticketId, signal: 'technicianReplied', at: Date.now(), by: input.userId });
  return { messageId: msg.id, sentTo: to };
}

/**
 * Time spent, to the minute, once per source: the billing time-entry action (ticket category,
 * contract in force and its billable default, booked into the contract's ledger in this transaction).
 */
export async function addTimeEntry(tx: Tx, input: { ticketId: number; userId: string; minutes: number; sourceKey: string; note?: string }) {
  const { entry, created } = await recordTimeEntryTx(tx, input);
  // The block alerts are sent after the commit, by the outbox (never from inside a transaction);
  // a replay finds the entry and the effect already written by the transaction that created it.
  if (created && entry.contractId) await checkBlockAlertsLater(tx, entry.id, entry.contractId);
}

export function storageKeyFor(): string {
  return `att/${crypto.randomUUID()}`;
}

/**
 * The API's side of the same actions: a staff member answers (public reply, mailed to the
 * requester) or notes (internal) on a ticket they may see. `idempotencyKey` makes a retried
 * request write nothing twice.
 */
export async function postStaffMessage(
  deps: { prisma: PrismaClient },
  actor: Actor,
  ticketId: number,
  input: { kind: 'reply' | 'note'; body: string; idempotencyKey?: string },
): Promise<{ id: string; direction: string; created: boolean }> {
  if (actor.kind !== 'user') throw new ValidationError('only a person can write on a ticket');
  const body = input.body.trim();
  if (!body) throw new ValidationError('body must not be empty');
  const ticket = await deps.prisma.ticket.findFirst({ where: { id: ticketId, ...clientScope(actor) }, select: { id: true } });
  if (!ticket) throw new NotFoundError(`Ticket ${ticketId}`);
  const sourceKey = `api:${actor.userId}:${input.idempotencyKey ?? crypto.randomUUID()}`;
  const existing = await deps.prisma.ticketMessage.findUnique({ where: { sourceKey }, select: { id: true, direction: true } });
  if (existing) return { ...existing, created: false };
  const written = await deps.prisma.$transaction(async (tx) => {
    if (input.kind === 'note') return addInternalNote(tx, { ticketId, userId: actor.userId, sourceKey, bodyText: body });
    const lastClientMessage = await tx.ticketMessage.findFirst({
      where: { ticketId, direction: 'INBOUND', outside: false, messageId: { not: null } },
      orderBy: { createdAt: 'desc' },
      select: { messageId: true },
    });
    return addTechnicianReply(tx, {
      ticketId,
      userId: actor.userId,
      sourceKey,
      bodyText: body,
      inReplyTo: lastClientMessage?.messageId ?? undefined,
      references: lastClientMessage?.messageId ? [lastClientMessage.messageId] : undefined,
    });
  });
  return { id: written.messageId, direction: input.kind === 'note' ? 'INTERNAL' : 'OUTBOUND', created: true };
}

/** A ticket's messages (internal notes included: staff only), oldest first, with attachment metadata. */
export async function listTicketMessages(
  deps: { prisma: PrismaClient },
  actor: Actor,
  ticketId: number,
) {
  const ticket = await deps.prisma.ticket.findFirst({ where: { id: ticketId, ...clientScope(actor) }, select: { id: true } });
  if (!ticket) throw new NotFoundError(`Ticket ${ticketId}`);
  return deps.prisma.ticketMessage.findMany({
    where: { ticketId },
    orderBy: { createdAt: 'asc' },
    select: {
      id: true,
      direction: true,
      fromAddress: true,
      outside: true,
      userId: true,
      contactId: true,
      bodyText: true,
      bodyHtml: true,
      inboundId: true,
      createdAt: true,
      attachments: { select: { id: true, fileName: true, contentType: true, size: true, inline: true } },
    },
  });
}

/** An attachment's bytes and metadata, for a ticket the actor may see (served as a download). */
export async function getTicketAttachment(deps: { prisma: PrismaClient }, actor: Actor, ticketId: number, attachmentId: string) {
  const att = await deps.prisma.attachment.findFirst({
    where: { id: attachmentId, message: { ticketId, ticket: clientScope(actor) } },
    select: { storageKey: true, fileName: true, contentType: true, size: true },
  });
  if (!att) throw new NotFoundError(`Attachment ${attachmentId}`);
  const blob = await deps.prisma.attachmentBlob.findUnique({ where: { storageKey: att.storageKey }, select: { content: true } });
  if (!blob) throw new NotFoundError(`Attachment ${attachmentId}`);
  return { ...att, content: Buffer.from(blob.content) };
}
