import crypto from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { canAccessClient, type Actor } from '../../lib/access';
import { isUniqueViolation, type EvidenceKind, type Prisma, type PrismaClient } from '../../lib/db/prisma';
import { ConflictError, ForbiddenError, NotFoundError, OperationalError, UserError, ValidationError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { enqueueEffect } from '../../lib/outbox/outbox';
import { workflowIds } from '../../workflows/definitions';
import {
  devicesChangedSignal,
  evidenceAttachedSignal,
  itemActionUpdate,
  onboardingViewQuery,
  type ItemActionRequest,
  type OnboardingView,
  type OnboardingWorkflowInput,
} from '../../workflows/onboarding/definitions';
import { Checklist } from '../../workflows/onboarding/checklist';
import { actorName, getTemplate } from './template-service';
import { SIGNAL_ONBOARDING_ANSWER, START_ONBOARDING_WORKFLOW, type ClientAnsweredEffect } from './workflow-start';

/**
 * Onboardings as business actions, written once: the API, the email intake and the device sync
 * call these. Item changes go through the workflow (an update with a validator: gates and who
 * may do what), never straight to the database; evidence is stored here first, so a refused
 * change never loses what was attached.
 */
export interface OnboardingDeps {
  prisma: PrismaClient;
  temporal: Client;
  log: Logger;
  /** Starts the workflow now (the outbox dispatcher); if it fails the outbox retries later. */
  dispatch?: (key: string) => Promise<boolean>;
}

/** A checklist gate holds (e.g. the SLA before step 1 is complete): 409 with code GATE_CLOSED. */
export class GateClosedError extends UserError {
  override readonly status = 409;
  constructor(message: string) {
    super(message, 'GATE_CLOSED');
  }
}

const CODE = /^[a-z0-9][a-z0-9-]{1,39}$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const MAX_FILE_BYTES = 10 * 1024 * 1024;

export interface StartOnboardingInput {
  clientCode: string;
  clientName: string;
  contactName: string;
  contactEmail: string;
  locale?: 'fr' | 'en';
  templateKey?: string;
  templateVersion?: number;
  /** Defaults to the caller when the caller is an onboarding manager or an admin. */
  managerId?: string;
}

/** Onboardings of clients not created yet are visible to staff who see all clients; then the client's tenant rules apply. */
function visible(actor: Actor, clientId: string | null): boolean {
  if (actor.kind === 'system' || actor.role === 'ADMIN' || actor.clientIds === 'all') return true;
  return clientId !== null && canAccessClient(actor, clientId);
}

export async function startOnboarding(deps: OnboardingDeps, actor: Actor, input: StartOnboardingInput) {
  const code = input.clientCode.trim().toLowerCase();
  const problems: string[] = [];
  if (!CODE.test(code)) problems.push('clientCode: 2-40 characters, lower-case letters, digits and dashes');
  if (!input.clientName?.trim()) problems.push('clientName: must not be empty');
  if (!input.contactName?.trim()) problems.push('contactName: must not be empty');
  const contactEmail = input.contactEmail.trim().toLowerCase();
  if (!EMAIL.test(contactEmail)) problems.push(`contactEmail: "${input.contactEmail}" is not an email address`);
  if (problems.length) throw new ValidationError(`Invalid onboarding: ${problems.join('; ')}`, { problems });
  if (!visible(actor, null)) throw new ForbiddenError('Starting an onboarding needs access to all clients');
  const managerId = input.managerId ?? (actor.kind === 'user' ? actor.userId : undefined);
  if (!managerId) throw new ValidationError('managerId: the onboarding manager is required');
  const manager = await deps.prisma.user.findUnique({ where: { id: managerId }, select: { role: true, active: true } });
  if (!manager?.active || (manager.role !== 'ONBOARDING_MANAGER' && manager.role !== 'ADMIN')) {
    throw new ValidationError('managerId: must be an active onboarding manager or administrator');
  }
  if (await deps.prisma.client.findUnique({ where: { code }, select: { id: true } })) {
    throw new ConflictError(`a client with code ${code} already exists`);
  }
  const template = await getTemplate(deps, input.templateKey ?? 'standard', input.templateVersion);
  const workflowId = workflowIds.onboarding(code);
  const startedAt = new Date();
  let row;
  try {
    row = await deps.prisma.$transaction(async (tx) => {
      const onboarding = await tx.onboarding.create({
        data: {
          clientCode: code,
          clientName: input.clientName.trim(),
          contactName: input.contactName.trim(),
          contactEmail,
          locale: input.locale ?? 'fr',
          managerId,
          templateId: template.id,
          workflowId,
          startedAt,
        },
      });
      const checklist = new Checklist(template.definition, startedAt.getTime());
      await tx.onboardingItem.createMany({
        data: template.definition.steps.flatMap((step) =>
          step.items.map((item) => ({
            onboardingId: onboarding.id,
            key: item.key,
            step: step.number,
            title: item.title,
            ownerRole: item.owner,
            required: item.required,
            evidenceType: item.evidence,
            automation: item.automation ?? null,
            dueAt: new Date(checklist.dueAt(item.key, startedAt.getTime())),
          })),
        ),
      });
      const payload: OnboardingWorkflowInput = {
        onboardingId: onboarding.id,
        clientCode: code,
        clientName: onboarding.clientName,
        locale: onboarding.locale === 'en' ? 'en' : 'fr',
        contactName: onboarding.contactName,
        contactEmail,
        managerId,
        template: { id: template.id, key: template.key, version: template.version, definition: template.definition },
        startedAt: startedAt.getTime(),
      };
      await enqueueEffect(tx, { kind: START_ONBOARDING_WORKFLOW, key: workflowId, payload: payload as unknown as Prisma.InputJsonValue });
      return onboarding;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`client ${code} already has an onboarding (${workflowId})`);
    throw err;
  }
  await deps.dispatch?.(workflowId).catch(() => false);
  return row;
}

async function findOnboarding(deps: Pick<OnboardingDeps, 'prisma'>, actor: Actor, code: string) {
  const row = await deps.prisma.onboarding.findUnique({ where: { clientCode: code }, include: { template: { select: { key: true, version: true, name: true } } } });
  if (!row || !visible(actor, row.clientId)) throw new NotFoundError(`Onboarding ${code}`);
  return row;
}

/** Every onboarding the caller may see, with progress and what blocks it (required items overdue). */
export async function listOnboardings(deps: Pick<OnboardingDeps, 'prisma'>, actor: Actor, filter: { status?: 'RUNNING' | 'LIVE' | 'COMPLETED' } = {}) {
  const rows = await deps.prisma.onboarding.findMany({
    where: filter.status ? { status: filter.status } : {},
    include: { items: { select: { key: true, title: true, step: true, status: true, required: true, dueAt: true, ownerRole: true } }, template: { select: { key: true, version: true } } },
    orderBy: { startedAt: 'desc' },
  });
  const now = Date.now();
  return rows
    .filter((r) => visible(actor, r.clientId))
    .map((r) => {
      const closed = r.items.filter((i) => i.status !== 'OPEN').length;
      const openRequired = r.items.filter((i) => i.status === 'OPEN' && i.required);
      return {
        id: r.id,
        clientCode: r.clientCode,
        clientName: r.clientName,
        clientId: r.clientId,
        status: r.status,
        template: r.template,
        startedAt: r.startedAt,
        liveAt: r.liveAt,
        completedAt: r.completedAt,
        progress: { done: closed, total: r.items.length, percent: r.items.length ? Math.round((100 * closed) / r.items.length) : 100 },
        currentStep: openRequired.length ? Math.min(...openRequired.map((i) => i.step)) : null,
        blocking: openRequired
          .filter((i) => i.dueAt && i.dueAt.getTime() < now)
          .sort((a, b) => a.dueAt!.getTime() - b.dueAt!.getTime())
          .map((i) => ({ key: i.key, title: i.title, step: i.step, owner: i.ownerRole, dueAt: i.dueAt })),
      };
    });
}

/** One onboarding: its checklist with evidence (file contents not included) and history, plus the workflow's live view. */
export async function getOnboarding(deps: OnboardingDeps, actor: Actor, code: string) {
  const row = await findOnboarding(deps, actor, code);
  const [items, evidence, history] = await Promise.all([
    deps.prisma.onboardingItem.findMany({ where: { onboardingId: row.id }, orderBy: [{ step: 'asc' }] }),
    deps.prisma.onboardingEvidence.findMany({ where: { onboardingId: row.id }, omit: { content: true }, orderBy: { createdAt: 'asc' } }),
    deps.prisma.onboardingEvent.findMany({ where: { onboardingId: row.id }, orderBy: { at: 'asc' } }),
  ]);
  let live: OnboardingView | null = null;
  if (row.status !== 'COMPLETED') {
    live = await deps.temporal.workflow.getHandle(row.workflowId).query(onboardingViewQuery).catch(() => null);
  }
  return {
    ...row,
    items: items.map((i) => ({ ...i, evidence: evidence.filter((e) => e.itemId === i.id) })),
    history,
    live,
  };
}

export interface EvidenceInput {
  kind: 'NOTE' | 'FILE' | 'LINK' | 'FIELD';
  text?: string;
  url?: string;
  fields?: Record<string, unknown>;
  file?: { name: string; contentType?: string; base64: string };
}

/** Display name of an uploaded file: no path, no control characters, bounded. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').replace(/^\.+/, '').trim().slice(0, 200);
  return clean || 'attachment';
}

function evidenceData(input: EvidenceInput): Omit<Prisma.OnboardingEvidenceUncheckedCreateInput, 'onboardingId' | 'itemId' | 'by'> {
  switch (input.kind) {
    case 'NOTE':
      if (!input.text?.trim()) throw new ValidationError('a note needs text');
      return { kind: 'NOTE', text: input.text.trim().slice(0, 20_000) };
    case 'LINK': {
      let url: URL;
      try {
        url = new URL(input.url ?? '');
      } catch {
        throw new ValidationError(`"${input.url}" is not a URL`);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ValidationError('a link must be http(s)');
      return { kind: 'LINK', url: url.toString(), text: input.text?.trim() || null };
    }
    case 'FIELD':
      if (!input.fields || typeof input.fields !== 'object') throw new ValidationError('field evidence needs fields');
      return { kind: 'FIELD', fields: input.fields as Prisma.InputJsonValue };
    case 'FILE': {
      if (!input.file?.base64) throw new ValidationError('a file needs its content (base64)');
      const content = Buffer.from(input.file.base64, 'base64');
      if (content.length === 0) throw new ValidationError('the file is empty');
      if (content.length > MAX_FILE_BYTES) throw new ValidationError(`the file exceeds ${MAX_FILE_BYTES} bytes`);
      return {
        kind: 'FILE',
        fileName: safeFileName(input.file.name),
        contentType: /^[\w.+-]+\/[\w.+-]+$/.test(input.file.contentType ?? '') ? input.file.contentType! : 'application/octet-stream',
        size: content.length,
        sha256: crypto.createHash('sha256').update(content).digest('hex'),
        content: new Uint8Array(content),
        text: input.text?.trim() || null,
      };
    }
  }
}

async function itemOf(deps: Pick<OnboardingDeps, 'prisma'>, onboardingId: string, key: string) {
  const item = await deps.prisma.onboardingItem.findUnique({ where: { onboardingId_key: { onboardingId, key } } });
  if (!item) throw new NotFoundError(`Item ${key}`);
  return item;
}

/** Stores evidence for an item and tells the workflow its kind. */
export async function attachEvidence(deps: OnboardingDeps, actor: Actor, code: string, itemKey: string, input: EvidenceInput) {
  const row = await findOnboarding(deps, actor, code);
  if (row.status === 'COMPLETED') throw new ConflictError('this onboarding is completed');
  const item = await itemOf(deps, row.id, itemKey);
  const evidence = await deps.prisma.onboardingEvidence.create({
    data: { ...evidenceData(input), onboardingId: row.id, itemId: item.id, by: actorName(actor) },
    omit: { content: true },
  });
  await deps.temporal.workflow
    .getHandle(row.workflowId)
    .signal(evidenceAttachedSignal, { itemKey, kind: evidence.kind })
    .catch((err: unknown) => {
      throw new OperationalError(`evidence stored, but the onboarding workflow could not be told: ${(err as Error).message}`, 'temporal');
    });
  return evidence;
}

/** Maps the workflow's refusal (update validator) onto the error taxonomy. */
async function asUserErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      switch (err.cause.type) {
        case 'Forbidden':
          throw new ForbiddenError(err.cause.message);
        case 'GateClosed':
          throw new GateClosedError(err.cause.message);
        case 'InvalidTransition':
          throw new ConflictError(err.cause.message);
        default:
          throw new ValidationError(err.cause.message);
      }
    }
    if (err instanceof WorkflowNotFoundError) throw new ConflictError('this onboarding\'s workflow has ended');
    throw err;
  }
}

/**
 * Completes, skips or reopens an item. Evidence sent with the request is stored first (so it is
 * kept even if the change is refused), then the workflow decides.
 */
export async function actOnItem(
  deps: OnboardingDeps,
  actor: Actor,
  code: string,
  itemKey: string,
  action: ItemActionRequest['action'],
  body: { reason?: string; evidence?: EvidenceInput; fields?: Record<string, unknown> } = {},
): Promise<OnboardingView> {
  const row = await findOnboarding(deps, actor, code);
  const kinds: string[] = [];
  if (body.evidence) kinds.push((await attachEvidence(deps, actor, code, itemKey, body.evidence)).kind);
  if (body.fields) kinds.push((await attachEvidence(deps, actor, code, itemKey, { kind: 'FIELD', fields: body.fields })).kind);
  const req: ItemActionRequest = {
    action,
    itemKey,
    by: actorName(actor),
    role: actor.kind === 'user' ? actor.role : 'system',
    reason: body.reason,
    evidenceKinds: kinds,
    fields: body.fields,
  };
  return asUserErrors(() => deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(itemActionUpdate, { args: [req] }));
}

export interface ClientReply {
  /** The item the reply answers, from the verified reply token of the request (kind 'onboarding'). */
  itemId: string;
  /** Sender address as parsed by the intake; checked against the onboarding's contacts, never trusted alone. */
  from: string;
  /** Message-ID of the reply: a replayed intake stores it once. */
  messageId: string;
  text: string;
  attachments?: Array<{ fileName: string; contentType: string; content: Buffer }>;
}

/**
 * The email intake calls this, inside its processing transaction, when a reply to a "please send
 * us X" email arrives with a verified reply token of kind 'onboarding': the reply's text and
 * attachments become the item's evidence (once per Message-ID), and an outbox effect wakes the
 * workflow once the transaction commits (it completes the item if its gates allow). Replies from
 * an address that is not the onboarding's contact (or a collected contact, or their domain) are
 * refused. Given the client rather than a transaction, it opens its own and dispatches at once.
 */
export async function recordClientReplyForItem(
  deps: { prisma: PrismaClient | Prisma.TransactionClient; dispatch?: (key: string) => Promise<boolean> },
  reply: ClientReply,
): Promise<{ onboardingCode: string; itemKey: string; stored: boolean; clientId: string | null }> {
  const own = '$transaction' in deps.prisma;
  const result = own
    ? await (deps.prisma as PrismaClient).$transaction((tx) => storeClientReply(tx, reply))
    : await storeClientReply(deps.prisma as Prisma.TransactionClient, reply);
  if (result.signalKey) await deps.dispatch?.(result.signalKey).catch(() => false);
  return { onboardingCode: result.onboardingCode, itemKey: result.itemKey, stored: result.stored, clientId: result.clientId };
}

async function storeClientReply(tx: Prisma.TransactionClient, reply: ClientReply) {
  const item = await tx.onboardingItem.findUnique({ where: { id: reply.itemId }, include: { onboarding: true } });
  if (!item) throw new NotFoundError(`Onboarding item ${reply.itemId}`);
  const o = item.onboarding;
  const from = reply.from.trim().toLowerCase();
  const allowedDomains = new Set([o.contactEmail.split('@')[1], ...collectedDomains(o.info)]);
  if (from !== o.contactEmail && !allowedDomains.has(from.split('@')[1] ?? '')) {
    throw new ForbiddenError(`${from} is not a contact of ${o.clientName}: the reply is not attached`);
  }
  const by = `client:${from}`;
  const bodyKey = `email:${reply.messageId}:body`;
  const texts: Prisma.OnboardingEvidenceUncheckedCreateInput[] = [
    { onboardingId: o.id, itemId: item.id, kind: 'EMAIL' as EvidenceKind, text: reply.text.slice(0, 50_000), by, dedupeKey: bodyKey },
    ...(reply.attachments ?? []).map((a, i) => ({
      onboardingId: o.id,
      itemId: item.id,
      kind: 'EMAIL' as EvidenceKind,
      fileName: safeFileName(a.fileName),
      contentType: a.contentType,
      size: a.content.length,
      sha256: crypto.createHash('sha256').update(a.content).digest('hex'),
      content: new Uint8Array(a.content),
      by,
      dedupeKey: `email:${reply.messageId}:attachment:${i}`,
    })),
  ];
  const created = await tx.onboardingEvidence.createMany({ data: texts, skipDuplicates: true });
  const body = await tx.onboardingEvidence.findUniqueOrThrow({ where: { dedupeKey: bodyKey }, select: { id: true } });
  let signalKey: string | null = null;
  if (o.status !== 'COMPLETED') {
    signalKey = `onboarding-answer:${body.id}`;
    const signal: ClientAnsweredEffect = { workflowId: o.workflowId, itemKey: item.key, from, evidenceId: body.id };
    // once per stored reply: a replayed intake finds the effect already written
    await tx.outboxEntry.createMany({ data: [{ kind: SIGNAL_ONBOARDING_ANSWER, key: signalKey, payload: { ...signal } }], skipDuplicates: true });
  }
  return { onboardingCode: o.clientCode, itemKey: item.key, stored: created.count > 0, clientId: o.clientId, signalKey };
}

function collectedDomains(info: unknown): string[] {
  const d = (info as { domains?: unknown })?.domains;
  if (Array.isArray(d)) return d.map((x) => String(x).toLowerCase());
  if (typeof d === 'string') return d.toLowerCase().split(/[\s,;]+/).filter(Boolean);
  return [];
}

/**
 * The device sync calls this after it stored devices of a client: the running onboarding of that
 * client re-counts its reporting agents. No onboarding, or a finished one: nothing to do.
 */
export async function notifyDevicesChanged(deps: Pick<OnboardingDeps, 'prisma' | 'temporal'>, clientId: string): Promise<boolean> {
  const o = await deps.prisma.onboarding.findUnique({ where: { clientId }, select: { workflowId: true, status: true } });
  if (!o || o.status === 'COMPLETED') return false;
  try {
    await deps.temporal.workflow.getHandle(o.workflowId).signal(devicesChangedSignal);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** An evidence file's bytes, for download. */
export async function evidenceContent(deps: Pick<OnboardingDeps, 'prisma'>, actor: Actor, code: string, evidenceId: string) {
  const row = await findOnboarding(deps, actor, code);
  const e = await deps.prisma.onboardingEvidence.findFirst({ where: { id: evidenceId, onboardingId: row.id, content: { not: null } } });
  if (!e) throw new NotFoundError(`Evidence file ${evidenceId}`);
  return { fileName: e.fileName ?? 'attachment', contentType: e.contentType ?? 'application/octet-stream', content: Buffer.from(e.content!) };
}
