import { authErrors, errorRef, uuid } from '../../schemas/common';

const tags = ['devices'];

export const listDevicesSchema = {
  summary: "A client's devices (synced from its RMM groups)",
  tags,
  querystring: {
    type: 'object',
    additionalProperties: false,
    required: ['clientId'],
    properties: { clientId: uuid, online: { type: 'boolean' }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 }, offset: { type: 'integer', minimum: 0, default: 0 } },
  },
  response: { 200: { type: 'object', additionalProperties: true }, ...authErrors },
} as const;

export const linkGroupSchema = {
  summary: "Link an RMM device group to a client (its devices sync under that client)",
  tags,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['clientId', 'provider', 'groupId'],
    properties: { clientId: uuid, provider: { type: 'string', enum: ['meshcentral', 'tactical', 'simulator'] }, groupId: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  response: { 201: { type: 'object', additionalProperties: true }, 400: errorRef, 404: errorRef, 409: errorRef, 503: errorRef, ...authErrors },
} as const;

export const syncSchema = {
  summary: "Sync a client's devices from its RMM groups now",
  tags,
  body: { type: 'object', additionalProperties: false, required: ['clientId'], properties: { clientId: uuid } },
  response: { 200: { type: 'object', additionalProperties: true }, 503: errorRef, ...authErrors },
} as const;

export const complianceSchema = {
  summary: "Patch compliance of a client: % of devices up to date, failures with reasons",
  tags,
  querystring: { type: 'object', additionalProperties: false, required: ['clientId'], properties: { clientId: uuid, rolloutId: uuid } },
  response: { 200: { type: 'object', additionalProperties: true }, ...authErrors },
} as const;
