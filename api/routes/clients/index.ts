import type { FastifyInstance } from 'fastify';
import { createClient, getClient, listClients } from '../../../activities/clients/client-service';
import type { ApiDeps } from '../../types';
import { clientSchema, createClientSchema, getClientSchema, listClientsSchema } from './schemas';

type ClientRow = Awaited<ReturnType<typeof getClient>>;
const present = (c: ClientRow) => ({ ...c, domains: c.domains.map((d) => d.domain) });

export async function clientRoutes(app: FastifyInstance, deps: ApiDeps) {
  app.addSchema(clientSchema);

  app.post<{ Body: Parameters<typeof createClient>[1] }>(
    '/clients',
    { schema: createClientSchema, config: { access: ['ADMIN', 'ONBOARDING_MANAGER'] } },
    async (request, reply) => reply.status(201).send(present(await createClient(deps, request.body))),
  );

  app.get(
    '/clients',
    { schema: listClientsSchema, config: { access: ['ADMIN', 'ONBOARDING_MANAGER', 'TECHNICIAN'] } },
    async (request) => ({ items: (await listClients(deps, request.actor)).map(present) }),
  );

  app.get<{ Params: { id: string } }>(
    '/clients/:id',
    { schema: getClientSchema, config: { access: ['ADMIN', 'ONBOARDING_MANAGER', 'TECHNICIAN'] } },
    async (request) => present(await getClient(deps, request.actor, request.params.id)),
  );
}
