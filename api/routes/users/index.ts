import type { FastifyInstance } from 'fastify';
import type { Role } from '../../../lib/access';
import { createUser, issueToken } from '../../../lib/auth/users';
import type { ApiDeps } from '../../types';
import { createUserSchema, issueTokenSchema } from './schemas';

export async function userRoutes(app: FastifyInstance, deps: ApiDeps) {
  app.post<{ Body: { email: string; name: string; role: Role; clientIds?: string[] } }>(
    '/users',
    { schema: createUserSchema, config: { access: ['ADMIN'] } },
    async (request, reply) => reply.status(201).send(await createUser(deps.prisma, request.body)),
  );

  app.post<{ Params: { id: string }; Body: { name: string; expiresAt?: string } }>(
    '/users/:id/tokens',
    { schema: issueTokenSchema, config: { access: ['ADMIN'] } },
    async (request, reply) => {
      const expiresAt = request.body.expiresAt ? new Date(request.body.expiresAt) : undefined;
      return reply.status(201).send(await issueToken(deps.prisma, request.params.id, request.body.name, expiresAt));
    },
  );
}
