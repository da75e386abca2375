import type { FastifyInstance } from 'fastify';
import {
  createMailbox,
  getInboundRaw,
  listInbound,
  listMailboxes,
  retryInbound,
  updateMailbox,
  type InboundListStatus,
  type MailboxInput,
} from '../../../activities/intake/inbound-admin-service';
import { resolveSecretKeyring } from '../../../lib/secrets/secret-box';
import type { ApiDeps } from '../../types';
import {
  createMailboxSchema,
  inboundRawSchema,
  inboundSchema,
  listInboundSchema,
  listMailboxesSchema,
  mailboxSchema,
  retryInboundSchema,
  updateMailboxSchema,
} from './schemas';

/** Mailboxes and the mail ledger (quarantine, triage): administrators only. */
export async function mailIntakeRoutes(app: FastifyInstance, deps: ApiDeps) {
  app.addSchema(mailboxSchema);
  app.addSchema(inboundSchema);
  const config = { access: ['ADMIN' as const] };
  // Resolved on first use: an API that never writes a mailbox never creates DATA_DIR/secrets.key.
  const mailboxDeps = () => ({ prisma: deps.prisma, secrets: resolveSecretKeyring(deps.config) });

  app.post<{ Body: MailboxInput }>('/mailboxes', { schema: createMailboxSchema, config }, async (request, reply) =>
    reply.status(201).send(await createMailbox(mailboxDeps(), request.body)),
  );
  app.get('/mailboxes', { schema: listMailboxesSchema, config }, async () => ({ items: await listMailboxes(deps) }));
  app.patch<{ Params: { id: string }; Body: Partial<MailboxInput> }>('/mailboxes/:id', { schema: updateMailboxSchema, config }, async (request) =>
    updateMailbox(mailboxDeps(), request.params.id, request.body),
  );

  app.get<{ Querystring: { status?: InboundListStatus; mailboxId?: string; before?: string; limit: number } }>(
    '/mail/inbound',
    { schema: listInboundSchema, config },
    async (request) => ({
      items: await listInbound(deps, request.actor, {
        ...request.query,
        before: request.query.before ? new Date(request.query.before) : undefined,
      }),
    }),
  );
  app.get<{ Params: { id: string } }>('/mail/inbound/:id/raw', { schema: inboundRawSchema, config }, async (request, reply) => {
    const raw = await getInboundRaw(deps, request.actor, request.params.id);
    return reply
      .header('content-type', 'message/rfc822')
      .header('content-disposition', `attachment; filename="${request.params.id}.eml"`)
      .header('x-content-type-options', 'nosniff')
      .send(raw);
  });
  app.post<{ Params: { id: string }; Body: { clientId?: string } }>('/mail/inbound/:id/retry', { schema: retryInboundSchema, config }, async (request, reply) =>
    reply.status(202).send(await retryInbound(deps, request.actor, request.params.id, request.body ?? {})),
  );
}
