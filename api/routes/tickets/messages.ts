import type { FastifyInstance } from 'fastify';
import { getTicketAttachment, listTicketMessages, postStaffMessage } from '../../../activities/tickets/ticket-message-service';
import { NotFoundError } from '../../../lib/errors';
import { downloadHeaders } from '../../../lib/mail/attachments';
import { authErrors, dateTime, errorRef, nullable, uuid } from '../../schemas/common';
import type { ApiDeps } from '../../types';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
const tags = ['tickets'];

/** A ticket's conversation: the same business actions the mail intake uses for technicians' mail. */
export async function ticketMessageRoutes(app: FastifyInstance, deps: ApiDeps) {
  app.post<{ Params: { id: number }; Body: { kind: 'reply' | 'note'; body: string; idempotencyKey?: string } }>(
    '/tickets/:id/messages',
    {
      schema: {
        summary: 'Answer the client (reply: mailed to the requester from the support address) or add an internal note',
        tags,
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'body'],
          properties: {
            kind: { type: 'string', enum: ['reply', 'note'] },
            body: { type: 'string', minLength: 1, maxLength: 100_000 },
            idempotencyKey: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
        response: {
          201: { type: 'object', properties: { id: uuid, direction: { type: 'string' }, created: { type: 'boolean' } } },
          400: errorRef,
          404: errorRef,
          ...authErrors,
        },
      },
      config: { access: ['ADMIN', 'TECHNICIAN'] },
    },
    async (request, reply) => {
      const result = await postStaffMessage(deps, request.actor, request.params.id, request.body);
      void deps.dispatcher.drain().catch(() => undefined);
      return reply.status(201).send(result);
    },
  );

  app.get<{ Params: { id: number } }>(
    '/tickets/:id/messages',
    {
      schema: {
        summary: 'The ticket\'s messages, oldest first (internal notes included); HTML is sanitised',
        tags,
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: uuid,
                    direction: { type: 'string' },
                    fromAddress: nullable({ type: 'string' }),
                    outside: { type: 'boolean' },
                    userId: nullable(uuid),
                    contactId: nullable(uuid),
                    bodyText: { type: 'string' },
                    bodyHtml: nullable({ type: 'string' }),
                    inboundId: nullable(uuid),
                    createdAt: dateTime,
                    attachments: {
                      type: 'array',
                      items: { type: 'object', properties: { id: uuid, fileName: { type: 'string' }, contentType: { type: 'string' }, size: { type: 'integer' }, inline: { type: 'boolean' } } },
                    },
                  },
                },
              },
            },
          },
          404: errorRef,
          ...authErrors,
        },
      },
      config: { access: ['ADMIN', 'TECHNICIAN', 'ONBOARDING_MANAGER'] },
    },
    async (request) => ({ items: await listTicketMessages(deps, request.actor, request.params.id) }),
  );

  app.get<{ Params: { id: number; attachmentId: string } }>(
    '/tickets/:id/attachments/:attachmentId',
    {
      schema: {
        summary: 'An attachment, always as a download (never rendered: nosniff, sandbox CSP)',
        tags,
        params: { type: 'object', required: ['id', 'attachmentId'], properties: { id: { type: 'integer', minimum: 1 }, attachmentId: uuid } },
        response: { 404: errorRef, ...authErrors },
      },
      config: { access: ['ADMIN', 'TECHNICIAN', 'ONBOARDING_MANAGER'] },
    },
    async (request, reply) => {
      const att = await getTicketAttachment(deps, request.actor, request.params.id, request.params.attachmentId);
      return reply.headers(downloadHeaders({ displayName: att.fileName, contentType: att.contentType, size: att.content.length })).send(att.content);
    },
  );

  // The URL inline images get in a message's sanitised HTML (activities/intake/attachments.ts):
  // it cannot name the ticket, which may not exist yet when the HTML is written.
  app.get<{ Params: { attachmentId: string } }>(
    '/attachments/:attachmentId',
    {
      schema: {
        summary: 'An attachment by id (inline images in message HTML point here): always a download, as above',
        tags,
        params: { type: 'object', required: ['attachmentId'], properties: { attachmentId: uuid } },
        response: { 404: errorRef, ...authErrors },
      },
      config: { access: ['ADMIN', 'TECHNICIAN', 'ONBOARDING_MANAGER'] },
    },
    async (request, reply) => {
      const owner = await deps.prisma.attachment.findUnique({ where: { id: request.params.attachmentId }, select: { message: { select: { ticketId: true } } } });
      if (!owner) throw new NotFoundError(`Attachment ${request.params.attachmentId}`);
      // Same tenant check and 404 as the ticket route.
      const att = await getTicketAttachment(deps, request.actor, owner.message.ticketId, request.params.attachmentId);
      return reply.headers(downloadHeaders({ displayName: att.fileName, contentType: att.contentType, size: att.content.length })).send(att.content);
    },
  );
}
