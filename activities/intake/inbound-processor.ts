import { systemActor } from '../../lib/access';
import type { Prisma, PrismaClient } from '../../lib/db/prisma';
import type { Logger } from '../../lib/logger';
import { baseSubject } from '../../lib/mail/subject';
import { classifyAutomatic } from '../../lib/mail/automatic';
import { parseHeaderBlock, addressesIn } from '../../lib/mail/headers';
import { DEFAULT_REOPEN_WINDOW_DAYS, loadSlaPolicyForTicket } from '../sla/sla-policy-service';
import { sendTicketMail, sendTicketMails } from '../tickets/ticket-effects';
import type { MailTemplate, SendMailRequest } from '../mail/gateway-types';
import { addClientMessage, addInternalNote } from '../tickets/ticket-message-service';
import { insertTicket } from '../tickets/ticket-service';
import { analyseInbound, UnprocessableMailError, type InboundMail } from './inbound-analysis';
import { claimStoredRows, recordOutcomes, type RecordedOutcome } from './inbound-commit';
import { refusedNote, storeAttachments } from './attachments';
import { suppressAddress } from '../mail/suppression';
import { ensureContact, identifySenders, triageClient, type SenderIdentity } from './sender-resolution';
import { applyTechnicianReply } from './technician-reply';
import { handleTokenReply } from './token-replies';
import { findThread, ticketOfKnownMessage, type ThreadingKeys } from './threading';

type Tx = Prisma.TransactionClient;
type FinalStatus = 'PROCESSED' | 'IGNORED' | 'HELD' | 'REJECTED';

export interface IntakeRules {
  maxMessageBytes: number;
  unknownSenders: 'CREATE_CONTACT' | 'HOLD' | 'REJECT';
  keys: ThreadingKeys;
  attachments: { maxBytes: number; maxCount: number };
  /** Days an address that bounced gets no automatic mail. */
  suppressionDays: number;
}

export interface ProcessDeps {
  prisma: PrismaClient;
  log: Logger;
  rules: IntakeRules;
  /** Test-only: runs inside the processing transaction just before it commits (Message-IDs of its rows). */
  beforeCommit?: (messageIds: string[]) => void;
}

/** A ledger row to process, without its raw bytes (the queue holds many; bytes are loaded per batch). */
export interface InboundRef {
  id: string;
  mailboxId: string;
  size: number;
  messageIdHeader: string;
  attempts: number;
  mailbox: { unknownSenders: IntakeRules['unknownSenders'] | null };
}

export interface InboundRow extends InboundRef {
  raw: Uint8Array;
}

export interface Outcome {
  status: FinalStatus | 'QUARANTINED';
  outcome: string;
  ticketId?: number | null;
}

interface Decision {
  status: FinalStatus;
  outcome: string;
  ticketId?: number | null;
  clientId?: string | null;
}

class AlreadyProcessed extends Error {}

/** Processing attempts that failed for a seemingly passing reason before the row is quarantined. */
export const MAX_TRANSIENT_ATTEMPTS = 5;

/**
 * Step two of the intake: one ledger row → its effect on tickets, in ONE transaction that also
 * marks the row done. A crash before the commit leaves the row STORED (processed again, from
 * scratch); after it, the row is done and nothing runs twice. Failures that retrying cannot fix
 * put the row in quarantine; the others (database down) are thrown for the loop to retry.
 */
export async function processInbound(deps: ProcessDeps, row: InboundRow): Promise<Outcome> {
  const raw = Buffer.from(row.raw);
  let mail: InboundMail | null = null;
  try {
    if (row.size > deps.rules.maxMessageBytes) return (await commit(deps, [{ row, work: (tx) => rejectOversize(tx, deps, row, raw) }]))[0];
    mail = await analyseInbound(raw, row.messageIdHeader);
    const parsed = mail;
    return (await commit(deps, [{ row, work: (tx) => decide(tx, deps, row, parsed), seen: { fromAddress: parsed.from, subject: parsed.subject } }]))[0];
  } catch (err) {
    if (err instanceof AlreadyProcessed) return { status: 'PROCESSED', outcome: 'already-processed' };
    const message = err instanceof Error ? err.message : String(err);
    if (!isPermanent(err) && row.attempts + 1 < MAX_TRANSIENT_ATTEMPTS) {
      // Counted outside the rolled-back transaction, so a failure that only looks transient
      // ends in quarantine instead of holding its sender's later mail back forever.
      await deps.prisma.inboundMessage
        .updateMany({ where: { id: row.id, status: 'STORED' }, data: { attempts: { increment: 1 }, error: message.slice(0, 2000) } })
        .catch(() => undefined);
      throw err;
    }
    deps.log.warn({ inboundId: row.id, err: message }, 'inbound message quarantined');
    await deps.prisma.inboundMessage.updateMany({
      where: { id: row.id, status: 'STORED' },
      data: {
        status: 'QUARANTINED',
        error: message.slice(0, 2000),
        attempts: { increment: 1 },
        fromAddress: mail?.from ?? undefined,
        subject: mail?.subject ?? undefined,
        processedAt: new Date(),
      },
    });
    return { status: 'QUARANTINED', outcome: 'quarantined' };
  }
}

/** What processing one row of a batch gave: its outcome, or the error processInbound threw. */
export type RowResult = { outcome: Outcome } | { error: Error };

/**
 * Several ledger rows (of different senders) in ONE transaction: the same decisions as
 * processInbound, with the transaction's fixed costs (begin, claim, reads, record, commit) paid
 * once. Their raw bytes are read here, in one statement. Anything out of the ordinary (oversize,
 * unparseable, a failure inside) sends the rows concerned through processInbound one by one,
 * where a failure stays with its own message.
 */
export async function processInboundBatch(deps: ProcessDeps, refs: InboundRef[]): Promise<RowResult[]> {
  const alone = async (row: InboundRow): Promise<RowResult> => {
    try {
      return { outcome: await processInbound(deps, row) };
    } catch (err) {
      return { error: err as Error };
    }
  };
  let raws: Map<string, Uint8Array>;
  try {
    raws = new Map(
      (await deps.prisma.inboundMessage.findMany({ where: { id: { in: refs.map((r) => r.id) }, status: 'STORED' }, select: { id: true, raw: true } })).map((r) => [r.id, r.raw]),
    );
  } catch (err) {
    return refs.map(() => ({ error: err as Error }));
  }
  const results = new Map<string, RowResult>();
  const rows: InboundRow[] = [];
  for (const ref of refs) {
    const raw = raws.get(ref.id);
    // done meanwhile (another process of the same mailbox, an API retry)
    if (!raw) results.set(ref.id, { outcome: { status: 'PROCESSED', outcome: 'already-processed' } });
    else rows.push({ ...ref, raw });
  }
  if (rows.length === 1) results.set(rows[0].id, await alone(rows[0]));
  const together: Array<{ row: InboundRow; mail: InboundMail }> = [];
  for (const row of rows.length > 1 ? rows : []) {
    if (row.size > deps.rules.maxMessageBytes) continue;
    try {
      together.push({ row, mail: await analyseInbound(Buffer.from(row.raw), row.messageIdHeader) });
    } catch {
      // processInbound parses it again and quarantines it with the reason
    }
  }
  if (together.length > 1) {
    try {
      let known: Known[] = [];
      const outcomes = await commit(
        deps,
        together.map(({ row, mail }, i) => ({ row, work: (tx: Tx) => decide(tx, deps, row, mail, known[i]), seen: { fromAddress: mail.from, subject: mail.subject } })),
        async (tx) => {
          known = await lookUp(tx, together.map((t) => t.mail));
        },
      );
      together.forEach(({ row }, i) => results.set(row.id, { outcome: outcomes[i] }));
    } catch (err) {
      // rolled back as a whole: each row again on its own, below, where a failure stays with
      // its own message (a deadlock between two batches ends here too)
      deps.log.info({ messages: together.length, err: (err as Error).message }, 'inbound batch rolled back; processing its messages one by one');
    }
  }
  for (const row of rows) if (!results.has(row.id)) results.set(row.id, await alone(row));
  return refs.map((ref) => results.get(ref.id)!);
}

/** PostgreSQL conditions that a retry of the same work can get past (SQLSTATE). */
const PASSING_SQLSTATES = new Set([
  '40001', // serialization failure
  '40P01', // deadlock detected
  '55P03', // lock not available
  '57014', // statement timeout / cancelled
  '57P01', // admin shutdown
  '57P02', // crash shutdown
  '57P03', // cannot connect now
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
  '53300', // too many connections
]);
/** Prisma's codes for the same: cannot reach / timed out / pool exhausted / transaction expired / write conflict. */
const PASSING_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034']);

/** Connection problems, deadlocks and timeouts are worth retrying as they are; anything else about one message is not. */
function isPermanent(err: unknown): boolean {
  if (err instanceof UnprocessableMailError) return true;
  const e = err as { code?: string; kind?: string; message?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } } };
  if (e?.kind === 'operational') return false;
  if (e?.code && PASSING_PRISMA_CODES.has(e.code)) return false;
  const sqlState = e?.meta?.driverAdapterError?.cause?.originalCode ?? (e?.code && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined);
  if (sqlState && PASSING_SQLSTATES.has(sqlState)) return false;
  if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|connection error|not queryable|timed out/i.test(e?.message ?? '')) return false;
  return true;
}

interface Work {
  row: InboundRow;
  work: (tx: Tx) => Promise<Decision>;
  seen?: { fromAddress?: string; subject?: string };
}

/**
 * One transaction for the rows of `works`: claim them, `prepare` (reads for all of them), run
 * each one's work in order, record their outcomes. A row already done elsewhere is reported as such (AlreadyProcessed when alone).
 */
async function commit(deps: ProcessDeps, works: Work[], prepare?: (tx: Tx) => Promise<void>): Promise<Outcome[]> {
  return deps.prisma.$transaction(
    async (tx) => {
      const claimed = await claimStoredRows(tx, works.map((w) => w.row.id));
      if (works.length === 1 && claimed.size === 0) throw new AlreadyProcessed();
      await prepare?.(tx);
      const outcomes: Outcome[] = [];
      const recorded: RecordedOutcome[] = [];
      for (const w of works) {
        if (!claimed.has(w.row.id)) {
          outcomes.push({ status: 'PROCESSED', outcome: 'already-processed' });
          continue;
        }
        const d = await w.work(tx);
        recorded.push({ id: w.row.id, status: d.status, outcome: d.outcome, ticketId: d.ticketId ?? null, clientId: d.clientId ?? null, ...w.seen });
        outcomes.push({ status: d.status, outcome: d.outcome, ticketId: d.ticketId ?? null });
      }
      await recordOutcomes(tx, recorded, new Date());
      deps.beforeCommit?.(works.map((w) => w.row.messageIdHeader));
      return outcomes;
    },
    { timeout: 30_000, maxWait: 30_000 },
  );
}

async function rejectOversize(tx: Tx, deps: ProcessDeps, row: InboundRow, head: Buffer): Promise<Decision> {
  const headers = parseHeaderBlock(head);
  const from = addressesIn(headers.get('from'))[0] ?? '';
  const subject = headers.get('subject') ?? '';
  await tx.inboundMessage.update({ where: { id: row.id }, data: { fromAddress: from, subject: subject.slice(0, 500) } });
  const automatic = classifyAutomatic({ headers, from });
  if (from && !automatic.automatic) {
    await sendTicketMail(tx, {
      idempotencyKey: `inbound-${row.id}:oversize`,
      template: 'oversize-rejection',
      data: { originalSubject: subject, sizeBytes: row.size, maxBytes: deps.rules.maxMessageBytes },
      to: [from],
      automatic: 'auto-replied',
      inReplyTo: row.messageIdHeader,
    });
  }
  return { status: 'REJECTED', outcome: automatic.automatic ? 'too-large-automatic' : 'too-large' };
}

/** What processing a message starts from, read for a whole batch at once. */
interface Known {
  sender: SenderIdentity;
  /** The ticket already holding this Message-ID (the same mail through another mailbox). */
  seenOnTicket: number | null;
}

/**
 * The senders' identities and the Message-IDs already on tickets, for several messages in two
 * round trips. Valid for a whole batch: its messages come from different senders, so none of
 * them changes what is read here for another.
 */
async function lookUp(tx: Tx, mails: InboundMail[]): Promise<Known[]> {
  const senders = await identifySenders(tx, mails.map((m) => m.from));
  const seen = await tx.ticketMessage.findMany({ where: { messageId: { in: mails.map((m) => m.messageId) } }, select: { messageId: true, ticketId: true } });
  const ticketOf = new Map(seen.map((t) => [t.messageId, t.ticketId]));
  return mails.map((m) => ({ sender: senders.get(m.from.toLowerCase())!, seenOnTicket: ticketOf.get(m.messageId) ?? null }));
}

async function decide(tx: Tx, deps: ProcessDeps, row: InboundRow, mail: InboundMail, known?: Known): Promise<Decision> {
  const { sender, seenOnTicket } = known ?? (await lookUp(tx, [mail]))[0];
  const sourceKey = `inbound:${row.id}`;

  // The same mail reached us through another mailbox (To one address, Cc another): once is enough.
  if (seenOnTicket !== null) return { status: 'IGNORED', outcome: 'already-on-ticket', ticketId: seenOnTicket, clientId: await clientOf(tx, seenOnTicket) };

  if (mail.bounce) return handleBounce(tx, deps, row, mail, sourceKey);

  // Answers to onboarding requests and rollout approvals (verified tokens), never automatic mail.
  const tokenReply = mail.automatic.automatic ? null : await handleTokenReply(tx, mail, { keys: deps.rules.keys, attachments: deps.rules.attachments, sourceKey });
  if (tokenReply) return { status: 'PROCESSED', ...tokenReply };

  const thread = await findThread(tx, mail, sender, deps.rules.keys);

  if (mail.automatic.automatic) {
    // Never answered; kept on the ticket it belongs to, for the record.
    if (!thread) return { status: 'IGNORED', outcome: `automatic:${mail.automatic.reason}`, clientId: sender.clientId };
    await addInternalNote(tx, {
      ticketId: thread.ticketId,
      sourceKey,
      inboundId: row.id,
      fromAddress: mail.from,
      bodyText: `Automatic message from ${mail.from} (${mail.automatic.detail}):\n\n${mail.body.text}`.slice(0, 100_000),
    });
    return { status: 'PROCESSED', outcome: 'automatic-note', ticketId: thread.ticketId, clientId: await clientOf(tx, thread.ticketId) };
  }

  // After the automatic check: a technician's out-of-office answering a notification carries a
  // valid staff token too, and must never be relayed to the client.
  if (thread && thread.via === 'token' && thread.tokenRole === 'staff' && sender.staff) {
    await applyTechnicianReply(tx, { ticketId: thread.ticketId, userId: sender.staff.id, mail, sourceKey, inboundId: row.id, keys: deps.rules.keys });
    return { status: 'PROCESSED', outcome: 'technician-reply', ticketId: thread.ticketId, clientId: await clientOf(tx, thread.ticketId) };
  }

  if (thread) {
    const ticket = await tx.ticket.findUniqueOrThrow({ where: { id: thread.ticketId }, select: { id: true, clientId: true, status: true, closedAt: true, contactId: true } });
    // From a contact of the ticket's client, or the requester: the client speaking. Anyone else
    // (including a staff address without a valid staff token: a forged technician reply) is an
    // outside message: kept, never relayed, changes nothing.
    const fromClient = sender.clientId === ticket.clientId;
    const contact = fromClient && !sender.contact ? await ensureContact(tx, ticket.clientId, mail.from, mail.fromName) : sender.contact;
    if (fromClient && ticket.status === 'CLOSED' && !(await withinReopenWindow(tx, ticket))) {
      return newTicket(tx, deps, row, mail, sender, sourceKey, ticket.id);
    }
    const files = await storeAttachments(tx, mail, deps.rules.attachments);
    await addClientMessage(tx, {
      ticketId: ticket.id,
      sourceKey,
      inboundId: row.id,
      contactId: fromClient ? contact!.id : null,
      fromAddress: mail.from,
      messageId: mail.messageId,
      outside: !fromClient,
      at: mail.date,
      bodyText: mail.body.text + refusedNote(files.refused),
      bodyHtml: mail.body.html,
      attachments: files.stored,
    });
    return { status: 'PROCESSED', outcome: fromClient ? `reply:${thread.via}` : 'outside-reply', ticketId: ticket.id, clientId: ticket.clientId };
  }

  return newTicket(tx, deps, row, mail, sender, sourceKey, null);
}

async function clientOf(tx: Tx, ticketId: number): Promise<string> {
  return (await tx.ticket.findUniqueOrThrow({ where: { id: ticketId }, select: { clientId: true } })).clientId;
}

async function withinReopenWindow(tx: Tx, ticket: { id: number; closedAt: Date | null }): Promise<boolean> {
  if (!ticket.closedAt) return true;
  // The same policy the ticket's workflow uses: it accepts a reopen until exactly then.
  const policy = await loadSlaPolicyForTicket({ prisma: tx as unknown as PrismaClient }, ticket.id);
  const days = policy?.reopenWindowDays ?? DEFAULT_REOPEN_WINDOW_DAYS;
  return Date.now() < ticket.closedAt.getTime() + days * 24 * 3600 * 1000;
}

async function newTicket(
  tx: Tx,
  deps: ProcessDeps,
  row: InboundRow,
  mail: InboundMail,
  sender: SenderIdentity,
  sourceKey: string,
  linkedTicketId: number | null,
): Promise<Decision> {
  let contact = sender.contact;
  let clientId = sender.clientId;
  if (!contact && clientId) contact = await ensureContact(tx, clientId, mail.from, mail.fromName);
  if (!contact) {
    const policy = row.mailbox.unknownSenders ?? deps.rules.unknownSenders;
    if (policy === 'HOLD') return { status: 'HELD', outcome: 'unknown-sender' };
    if (policy === 'REJECT') {
      await sendTicketMail(tx, {
        idempotencyKey: `inbound-${row.id}:unknown-sender`,
        template: 'unknown-sender-rejection',
        data: { originalSubject: mail.subject },
        to: [mail.from],
        automatic: 'auto-replied',
        inReplyTo: mail.messageId,
        references: [...mail.references, mail.messageId].slice(-20),
      });
      return { status: 'REJECTED', outcome: 'unknown-sender' };
    }
    clientId = await triageClient(tx);
    contact = await ensureContact(tx, clientId, mail.from, mail.fromName);
  }
  clientId = contact.clientId;

  const ticketId = await insertTicket(tx, systemActor('mail-intake'), {
    clientId,
    contactId: contact.id,
    subject: baseSubject(mail.subject) || '(no subject)',
    description: mail.body.text.slice(0, 20_000),
    source: 'EMAIL',
    requestKey: `mail:${row.mailboxId}:${row.messageIdHeader}`,
    linkedTicketId: linkedTicketId ?? undefined,
  });
  const files = await storeAttachments(tx, mail, deps.rules.attachments);
  await addClientMessage(tx, {
    ticketId,
    sourceKey,
    inboundId: row.id,
    contactId: contact.id,
    fromAddress: mail.from,
    messageId: mail.messageId,
    outside: false,
    signal: false,
    at: mail.date,
    bodyText: mail.body.text + refusedNote(files.refused),
    bodyHtml: mail.body.html,
    attachments: files.stored,
  });
  await announceNewTicket(tx, ticketId, clientId, contact, mail, linkedTicketId);
  return { status: 'PROCESSED', outcome: linkedTicketId ? 'new-ticket-linked' : 'new-ticket', ticketId, clientId };
}

/** Acknowledgement to the client, notification to the technicians of that client. */
async function announceNewTicket(
  tx: Tx,
  ticketId: number,
  clientId: string,
  contact: { id: string; name: string; locale: string | null },
  mail: InboundMail,
  _linkedTicketId: number | null,
) {
  const { client, technicians } = await audienceOf(tx, clientId);
  const ticket = { id: ticketId, subject: baseSubject(mail.subject) || '(no subject)', clientName: client.name };
  const mails: Array<SendMailRequest<MailTemplate>> = [
    {
      idempotencyKey: `ticket-${ticketId}:ack`,
      template: 'ticket-acknowledgement',
      data: { ticket, contactName: contact.name },
      to: [mail.from],
      locale: contact.locale ?? client.locale,
      automatic: 'auto-replied',
      replyToken: { kind: 'ticket', entityId: String(ticketId), role: 'contact' },
      ticketId,
      inReplyTo: mail.messageId,
      references: [...mail.references, mail.messageId].slice(-20),
    },
  ];
  for (const tech of technicians) {
    mails.push({
      idempotencyKey: `ticket-${ticketId}:new-technician:${tech.id}`,
      template: 'ticket-new-technician',
      data: { ticket, requester: { name: contact.name, email: mail.from }, bodyText: mail.body.text.slice(0, 5000), technicianName: tech.name },
      to: [tech.email],
      automatic: 'auto-generated',
      // Our own event to our own staff: it cannot start a loop (their auto-replies are
      // recognised and never answered), and a busy morning must not silence it.
      budgeted: false,
      replyToken: { kind: 'ticket', entityId: String(ticketId), role: 'staff' },
      ticketId,
    });
  }
  await sendTicketMails(tx, mails);
}

/**
 * A client's name and language and the technicians who see it, read at most every few seconds
 * per client: every new ticket needs them and they rarely change.
 */
type Technician = { id: string; email: string; name: string };
type Audience = { client: { name: string; locale: string }; technicians: Technician[] };
const audienceCache = new Map<string, { at: number; audience: Audience }>();
const AUDIENCE_CACHE_MS = 10_000;

async function audienceOf(tx: Tx, clientId: string): Promise<Audience> {
  const hit = audienceCache.get(clientId);
  if (hit && Date.now() - hit.at < AUDIENCE_CACHE_MS) return hit.audience;
  const client = await tx.client.findUniqueOrThrow({ where: { id: clientId }, select: { name: true, locale: true } });
  const technicians = await tx.user.findMany({
    where: { active: true, role: 'TECHNICIAN', OR: [{ allClients: true }, { clientAccess: { some: { clientId } } }] },
    select: { id: true, email: true, name: true },
    orderBy: { email: 'asc' },
    take: 50,
  });
  const audience = { client, technicians };
  audienceCache.set(clientId, { at: Date.now(), audience });
  return audience;
}

async function handleBounce(tx: Tx, deps: ProcessDeps, row: InboundRow, mail: InboundMail, sourceKey: string): Promise<Decision> {
  const bounce = mail.bounce!;
  const ids = [bounce.originalMessageId, ...bounce.originalReferences.reverse()].filter((x): x is string => Boolean(x));
  const ticketId = await ticketOfKnownMessage(tx, ids);
  for (const address of bounce.failedRecipients) {
    await suppressAddress(tx as unknown as PrismaClient, { address, reason: bounce.diagnostic, source: `inbound:${row.id}`, days: deps.rules.suppressionDays });
  }
  if (ticketId === null) return { status: 'PROCESSED', outcome: 'bounce' };
  await addInternalNote(tx, {
    ticketId,
    sourceKey,
    inboundId: row.id,
    fromAddress: mail.from,
    bodyText: `Delivery failed: ${bounce.diagnostic}`.slice(0, 10_000),
  });
  return { status: 'PROCESSED', outcome: 'bounce-note', ticketId, clientId: await clientOf(tx, ticketId) };
}

