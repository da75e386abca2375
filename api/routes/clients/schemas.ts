import { authErrors, dateTime, errorRef, uuid } from '../../schemas/common';

export const clientSchema = {
  $id: 'Client',
  type: 'object',
  required: ['id', 'code', 'name', 'timezone', 'domains'],
  properties: {
    id: uuid,
    code: { type: 'string' },
    name: { type: 'string' },
    timezone: { type: 'string' },
    locale: { type: 'string' },
    domains: { type: 'array', items: { type: 'string' } },
    createdAt: dateTime,
  },
} as const;

export const createClientSchema = {
  summary: 'Create a client (the MSP customer company)',
  tags: ['clients'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['code', 'name'],
    properties: {
      code: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,39}$', description: 'Stable slug used in workflow ids' },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      timezone: { type: 'string', description: 'IANA time zone, default Europe/Paris' },
      locale: { type: 'string', enum: ['fr', 'en'] },
      domains: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 253 } },
    },
  },
  response: { 201: { $ref: 'Client#' }, 400: errorRef, 409: errorRef, ...authErrors },
} as const;

export const listClientsSchema = {
  summary: 'Clients visible to the caller',
  tags: ['clients'],
  response: { 200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'Client#' } } } }, ...authErrors },
} as const;

export const getClientSchema = {
  summary: 'One client',
  tags: ['clients'],
  params: { type: 'object', required: ['id'], properties: { id: uuid } },
  response: { 200: { $ref: 'Client#' }, 404: errorRef, ...authErrors },
} as const;
