import type { Actor } from '../../lib/access';
import type { PrismaClient } from '../../lib/db/prisma';
import { UserError } from '../../lib/errors';
import type { BillingPort } from './billing-port';
import { draftAsJson, getInvoiceDraft } from './invoice-draft-service';

/**
 * Pushes a draft to the external system once: a draft that has an externalId is not pushed
 * again; the adapter finds an invoice the remote already has under the draft's number (a crash
 * between the remote's answer and our write), so a re-push never creates a second invoice.
 */
export async function pushInvoiceDraft(deps: { prisma: PrismaClient; billing?: BillingPort }, actor: Actor, draftId: string) {
  const draft = await getInvoiceDraft(deps, actor, draftId);
  if (draft.externalId) return { draftId, externalSystem: draft.externalSystem, externalId: draft.externalId, pushed: false };
  if (!deps.billing) throw new UserError('No invoicing system is configured (BILLING_REST_URL)', 'BILLING_NOT_CONFIGURED');
  const latest = await deps.prisma.invoiceDraft.findFirst({ where: { clientId: draft.clientId, period: draft.period }, orderBy: { version: 'desc' }, select: { id: true, version: true } });
  if (latest && latest.id !== draft.id) throw new UserError(`Draft version ${draft.version} is superseded by version ${latest.version}; push the latest`, 'SUPERSEDED');
  const client = await deps.prisma.client.findUniqueOrThrow({ where: { id: draft.clientId }, select: { code: true, name: true } });
  const json = draftAsJson(draft, client);
  const result = await deps.billing.pushInvoice({
    number: json.number,
    client,
    period: draft.period,
    currency: draft.currency,
    lines: json.lines.map((l) => ({ description: l.description, quantity: l.quantity, unitPrice: l.unitPrice, amount: l.amount, kind: l.kind })),
    total: json.total,
  });
  await deps.prisma.invoiceDraft.updateMany({ where: { id: draft.id, externalId: null }, data: { externalId: result.externalId, externalSystem: deps.billing.system, pushedAt: new Date() } });
  const stored = await deps.prisma.invoiceDraft.findUniqueOrThrow({ where: { id: draft.id } });
  return { draftId, externalSystem: stored.externalSystem, externalId: stored.externalId, pushed: result.created };
}
