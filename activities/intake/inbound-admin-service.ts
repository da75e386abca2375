import crypto from 'node:crypto';
import { clientScope, type Actor } from '../../lib/access';
import type { Prisma, PrismaClient } from '../../lib/db/prisma';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors';
import type { SecretKeyring } from '../../lib/secrets/secret-box';
import { sealMailboxPassword } from './mailbox-password';
import { ensureContact } from './sender-resolution';

/**
 * Administration of the mail intake: mailboxes (the IMAP password is write-only) and the
 * ledger's quarantine / triage queue, listed and retried. Tenant-aware: a row whose sender was
 * resolved to a client is visible only to who may see that client; unresolved rows only to
 * users who see every client.
 */
export interface IntakeAdminDeps {
  prisma: PrismaClient;
}

/** Writing a mailbox seals its password (AES-256-GCM, lib/secrets): never stored in clear. */
export interface MailboxAdminDeps extends IntakeAdminDeps {
  secrets: SecretKeyring;
}

export type InboundListStatus = 'QUARANTINED' | 'HELD' | 'REJECTED' | 'IGNORED' | 'STORED' | 'PROCESSED';

export interface MailboxInput {
  name: string;
  address: string;
  imapHost: string;
  imapPort: number;
  imapTls: boolean;
  imapAllowPlain?: boolean;
  imapUser: string;
  imapPassword: string;
  folder?: string;
  processedFolder?: string | null;
  quarantineFolder?: string | null;
  unknownSenders?: 'CREATE_CONTACT' | 'HOLD' | 'REJECT' | null;
  enabled?: boolean;
}

const mailboxView = {
  id: true,
  name: true,
  address: true,
  imapHost: true,
  imapPort: true,
  imapTls: true,
  imapAllowPlain: true,
  imapUser: true,
  folder: true,
  processedFolder: true,
  quarantineFolder: true,
  unknownSenders: true,
  enabled: true,
  createdAt: true,
  updatedAt: true,
  syncStates: { select: { folder: true, uidValidity: true, lastUid: true, updatedAt: true } },
} satisfies Prisma.MailboxSelect;

function present(m: Prisma.MailboxGetPayload<{ select: typeof mailboxView }>) {
  return { ...m, syncStates: m.syncStates.map((s) => ({ ...s, uidValidity: String(s.uidValidity), lastUid: String(s.lastUid) })) };
}

export async function createMailbox(deps: MailboxAdminDeps, input: MailboxInput) {
  if (!input.imapTls && !input.imapAllowPlain && input.imapPort === 993) {
    throw new ValidationError('port 993 is implicit TLS: set imapTls true (or use 143 with STARTTLS)');
  }
  if (await deps.prisma.mailbox.findUnique({ where: { name: input.name }, select: { id: true } })) throw new ConflictError(`A mailbox named ${input.name} exists`);
  // The id is chosen here because the sealed password is bound to it.
  const id = crypto.randomUUID();
  const m = await deps.prisma.mailbox.create({
    data: { ...input, id, address: input.address.toLowerCase(), imapPassword: sealMailboxPassword(deps.secrets, id, input.imapPassword) },
    select: mailboxView,
  });
  return present(m);
}

export async function updateMailbox(deps: MailboxAdminDeps, id: string, input: Partial<MailboxInput>) {
  const found = await deps.prisma.mailbox.findUnique({ where: { id }, select: { id: true } });
  if (!found) throw new NotFoundError(`Mailbox ${id}`);
  const data = input.imapPassword === undefined ? input : { ...input, imapPassword: sealMailboxPassword(deps.secrets, id, input.imapPassword) };
  return present(await deps.prisma.mailbox.update({ where: { id }, data, select: mailboxView }));
}

/**
 * Each mailbox with its backlog: messages stored and waiting to be processed (and since when),
 * quarantined, held for triage, and when the last one was processed. Tells an admin at a glance
 * whether the intake keeps up and what needs a human.
 */
export async function listMailboxes(deps: IntakeAdminDeps) {
  const [mailboxes, counts, processed] = await Promise.all([
    deps.prisma.mailbox.findMany({ orderBy: { name: 'asc' }, select: mailboxView }),
    deps.prisma.inboundMessage.groupBy({
      by: ['mailboxId', 'status'],
      where: { status: { in: ['STORED', 'QUARANTINED', 'HELD'] } },
      _count: { _all: true },
      _min: { receivedAt: true },
    }),
    deps.prisma.inboundMessage.groupBy({ by: ['mailboxId'], where: { processedAt: { not: null } }, _max: { processedAt: true } }),
  ]);
  const count = (mailboxId: string, status: string) => counts.find((c) => c.mailboxId === mailboxId && c.status === status);
  return mailboxes.map((m) => ({
    ...present(m),
    backlog: {
      waiting: count(m.id, 'STORED')?._count._all ?? 0,
      oldestWaitingAt: count(m.id, 'STORED')?._min.receivedAt ?? null,
      quarantined: count(m.id, 'QUARANTINED')?._count._all ?? 0,
      held: count(m.id, 'HELD')?._count._all ?? 0,
      lastProcessedAt: processed.find((p) => p.mailboxId === m.id)?._max.processedAt ?? null,
    },
  }));
}

function visible(actor: Actor): Prisma.InboundMessageWhereInput {
  const scope = clientScope(actor);
  return scope.clientId ? { clientId: scope.clientId } : {};
}

const inboundView = {
  id: true,
  mailboxId: true,
  folder: true,
  uidValidity: true,
  uid: true,
  messageIdHeader: true,
  fromAddress: true,
  subject: true,
  size: true,
  status: true,
  outcome: true,
  error: true,
  attempts: true,
  clientId: true,
  ticketId: true,
  receivedAt: true,
  processedAt: true,
  serverDoneAt: true,
} satisfies Prisma.InboundMessageSelect;

function presentInbound(r: Prisma.InboundMessageGetPayload<{ select: typeof inboundView }>) {
  return { ...r, uidValidity: String(r.uidValidity), uid: String(r.uid) };
}

export async function listInbound(deps: IntakeAdminDeps, actor: Actor, filter: { status?: InboundListStatus; mailboxId?: string; limit: number; before?: Date }) {
  const rows = await deps.prisma.inboundMessage.findMany({
    where: {
      ...visible(actor),
      ...(filter.status ? { status: filter.status } : { status: { in: ['QUARANTINED', 'HELD'] } }),
      ...(filter.mailboxId ? { mailboxId: filter.mailboxId } : {}),
      ...(filter.before ? { receivedAt: { lt: filter.before } } : {}),
    },
    orderBy: { receivedAt: 'desc' },
    take: filter.limit,
    select: inboundView,
  });
  return rows.map(presentInbound);
}

async function visibleInbound(deps: IntakeAdminDeps, actor: Actor, id: string) {
  const row = await deps.prisma.inboundMessage.findFirst({ where: { id, ...visible(actor) }, select: inboundView });
  if (!row) throw new NotFoundError(`Inbound message ${id}`);
  return row;
}

export async function getInboundRaw(deps: IntakeAdminDeps, actor: Actor, id: string): Promise<Buffer> {
  await visibleInbound(deps, actor, id);
  const { raw } = await deps.prisma.inboundMessage.findUniqueOrThrow({ where: { id }, select: { raw: true } });
  return Buffer.from(raw);
}

/**
 * Puts a quarantined or held message back in the queue; the intake processes it again at its
 * next pass. `clientId` files a held message's unknown sender as a contact of that client first.
 */
export async function retryInbound(deps: IntakeAdminDeps, actor: Actor, id: string, opts: { clientId?: string } = {}) {
  const row = await visibleInbound(deps, actor, id);
  if (row.status !== 'QUARANTINED' && row.status !== 'HELD') {
    throw new ConflictError(`Only quarantined or held messages can be retried (this one is ${row.status})`);
  }
  await deps.prisma.$transaction(async (tx) => {
    if (opts.clientId) {
      if (!(await tx.client.findUnique({ where: { id: opts.clientId }, select: { id: true } }))) throw new NotFoundError(`Client ${opts.clientId}`);
      if (!row.fromAddress) throw new ValidationError('this message has no sender address to file as a contact');
      await ensureContact(tx, opts.clientId, row.fromAddress, '');
    }
    // Already set aside on the server: after the new outcome commits, the intake finds the
    // message where it was moved and moves it where that outcome belongs (server-marks.ts).
    const where = await tx.inboundMessage.findUniqueOrThrow({ where: { id }, select: { serverFolder: true, mailbox: { select: { quarantineFolder: true } } } });
    const movedBeforeFolderWasRecorded = row.serverDoneAt !== null && where.serverFolder === null;
    const updated = await tx.inboundMessage.updateMany({
      where: { id, status: row.status },
      data: {
        status: 'STORED',
        error: null,
        serverDoneAt: null,
        ...(movedBeforeFolderWasRecorded ? { serverFolder: where.mailbox.quarantineFolder ?? row.folder } : {}),
      },
    });
    if (updated.count === 0) throw new ConflictError('The message changed meanwhile; reload and try again');
  });
  return presentInbound(await visibleInbound(deps, actor, id));
}
