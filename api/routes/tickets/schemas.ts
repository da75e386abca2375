import { authErrors, dateTime, errorRef, nullable, priority, uuid } from '../../schemas/common';

const ticketStatus = { type: 'string', enum: ['NEW', 'ACKNOWLEDGED', 'IN_PROGRESS', 'WAITING_ON_CLIENT', 'RESOLVED', 'CLOSED'] } as const;

const ticketSummary = {
  type: 'object',
  required: ['id', 'number', 'clientId', 'subject', 'priority', 'status', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    number: { type: 'string', description: 'Human ticket number, e.g. T-1042' },
    clientId: uuid,
    subject: { type: 'string' },
    priority,
    status: ticketStatus,
    kind: { type: 'string', enum: ['INCIDENT', 'REQUEST'] },
    createdAt: dateTime,
  },
} as const;

export const ticketDetail = {
  $id: 'TicketDetail',
  type: 'object',
  required: [...ticketSummary.required, 'workflow', 'events'],
  properties: {
    ...ticketSummary.properties,
    description: { type: 'string' },
    category: nullable({ type: 'string' }),
    source: { type: 'string' },
    client: { type: 'object', properties: { id: uuid, code: { type: 'string' }, name: { type: 'string' } } },
    contact: nullable({ type: 'object', properties: { id: uuid, email: { type: 'string' }, name: { type: 'string' } } }),
    assignee: nullable({ type: 'object', properties: { id: uuid, email: { type: 'string' }, name: { type: 'string' } } }),
    updatedAt: dateTime,
    workflow: {
      type: 'object',
      required: ['id', 'state'],
      properties: {
        id: { type: 'string' },
        state: {
          type: 'string',
          enum: ['queued', 'started', 'running'],
          description:
            'queued: committed, the workflow start waits in the outbox (Temporal unreachable); started: the workflow exists; running: it has recorded itself in the database',
        },
        startedAt: nullable(dateTime),
      },
    },
    events: {
      type: 'array',
      items: { type: 'object', properties: { type: { type: 'string' }, at: dateTime, data: {} } },
    },
  },
} as const;

export const createTicketSchema = {
  summary: 'Open a ticket and start its workflow',
  tags: ['tickets'],
  headers: {
    type: 'object',
    properties: {
      'idempotency-key': {
        type: 'string',
        minLength: 8,
        maxLength: 200,
        description: 'Retrying with the same key returns the same ticket instead of creating another',
      },
    },
  },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['clientId', 'subject'],
    properties: {
      clientId: uuid,
      contactId: uuid,
      subject: { type: 'string', minLength: 1, maxLength: 300 },
      description: { type: 'string', maxLength: 100_000 },
      priority,
      kind: { type: 'string', enum: ['INCIDENT', 'REQUEST'] },
      category: { type: 'string', maxLength: 100 },
    },
  },
  response: { 201: { $ref: 'TicketDetail#' }, 200: { $ref: 'TicketDetail#' }, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const getTicketSchema = {
  summary: 'One ticket with its history and workflow state',
  tags: ['tickets'],
  params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
  response: { 200: { $ref: 'TicketDetail#' }, 404: errorRef, ...authErrors },
} as const;

export const listTicketsSchema = {
  summary: 'Tickets visible to the caller, oldest first, paged by id',
  tags: ['tickets'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      clientId: uuid,
      status: ticketStatus,
      limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
      afterId: { type: 'integer', minimum: 0 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['items'],
      properties: { items: { type: 'array', items: ticketSummary }, nextAfterId: nullable({ type: 'integer' }) },
    },
    ...authErrors,
  },
} as const;
