import type { FastifyInstance } from 'fastify';
import {
  addTopUp,
  createBillingContract,
  deactivateBillingContract,
  expireBlocks,
  getBillingContract,
  listBillingContracts,
  updateBillingContract,
  type BillingContractInput,
  type TopUpInput,
} from '../../../activities/billing/contract-service';
import { consumptionByTechnician, summarizeConsumption } from '../../../activities/billing/consumption-summary';
import { monthBounds } from '../../../activities/billing/invoice-draft-service';
import { blockBalances } from '../../../activities/billing/ledger-service';
import { blockUsage } from '../../../activities/billing/block-alerts';
import { createBillingDeps } from '../../../activities/billing/wiring';
import type { ApiDeps } from '../../types';
import { consumptionSchema, createContractSchema, deactivateContractSchema, expireSchema, getContractSchema, ledgerSchema, listContractsSchema, topUpSchema, updateContractSchema } from './schemas';

const staff = { access: ['ADMIN' as const, 'ONBOARDING_MANAGER' as const, 'TECHNICIAN' as const] };
const managers = { access: ['ADMIN' as const, 'ONBOARDING_MANAGER' as const] };

/** Contracts, top-ups, block expiry, consumption and the ledger. Tenant checks live in the services. */
export async function contractRoutes(app: FastifyInstance, deps: ApiDeps) {
  const billing = createBillingDeps(deps.config, deps);
  app.addHook('onClose', async () => billing.close());

  app.post<{ Body: BillingContractInput }>('/contracts', { schema: createContractSchema, config: managers }, async (request, reply) =>
    reply.status(201).send(await createBillingContract(billing, request.actor, request.body)),
  );
  app.get<{ Querystring: { clientId?: string; active?: boolean } }>('/contracts', { schema: listContractsSchema, config: staff }, async (request) => ({
    items: await listBillingContracts(billing, request.actor, request.query),
  }));
  app.get<{ Params: { id: string } }>('/contracts/:id', { schema: getContractSchema, config: staff }, async (request) => getBillingContract(billing, request.actor, request.params.id));
  app.patch<{ Params: { id: string }; Body: { name?: string; endsOn?: string | null; active?: boolean; terms?: unknown } }>(
    '/contracts/:id',
    { schema: updateContractSchema, config: managers },
    async (request) => updateBillingContract(billing, request.actor, request.params.id, request.body),
  );
  app.delete<{ Params: { id: string } }>('/contracts/:id', { schema: deactivateContractSchema, config: managers }, async (request) =>
    deactivateBillingContract(billing, request.actor, request.params.id),
  );
  app.post<{ Params: { id: string }; Body: TopUpInput }>('/contracts/:id/top-ups', { schema: topUpSchema, config: managers }, async (request, reply) => {
    const { row, created } = await addTopUp(billing, request.actor, request.params.id, request.body);
    return reply.status(created ? 201 : 200).send({ created, blockId: row.id, minutes: row.minutes, priceCents: row.priceCents, expiresOn: row.expiresOn, usage: await blockUsage(deps.prisma, request.params.id) });
  });
  app.post<{ Params: { id: string }; Body: { at?: string } }>('/contracts/:id/expire-blocks', { schema: expireSchema, config: managers }, async (request) => ({
    written: await expireBlocks(billing, request.actor, request.params.id, request.body?.at ? new Date(`${request.body.at}T00:00:00Z`) : new Date()),
  }));

  app.get<{ Params: { id: string }; Querystring: { month?: string } }>('/contracts/:id/consumption', { schema: consumptionSchema, config: staff }, async (request) => {
    const contract = await getBillingContract(billing, request.actor, request.params.id);
    const { start, end } = monthBounds(request.query.month ?? new Date().toISOString().slice(0, 7));
    const asOf = new Date();
    const summary = await summarizeConsumption(deps.prisma, contract.clientId, start, end, { asOf });
    const isAdmin = request.actor.kind === 'user' && request.actor.role === 'ADMIN';
    const { revenueCents, ...rest } = summary;
    return {
      contract: summary.contracts.find((c) => c.contractId === contract.id) ?? null,
      ...rest,
      byTechnician: await consumptionByTechnician(deps.prisma, contract.clientId, start, end, { asOf }),
      // Revenue is the MSP's internal figure: administrators only.
      ...(isAdmin ? { revenueCents } : {}),
    };
  });

  app.get<{ Params: { id: string }; Querystring: { limit?: number; offset?: number } }>('/contracts/:id/ledger', { schema: ledgerSchema, config: staff }, async (request) => {
    const contract = await getBillingContract(billing, request.actor, request.params.id);
    const rows = await deps.prisma.contractLedgerEntry.findMany({
      where: { contractId: contract.id },
      orderBy: [{ recordedAt: 'asc' }, { businessKey: 'asc' }],
      take: request.query.limit ?? 1000,
      skip: request.query.offset ?? 0,
    });
    return { contractId: contract.id, usage: await blockUsage(deps.prisma, contract.id), blocks: await blockBalances(deps.prisma, contract.id), rows };
  });
}
