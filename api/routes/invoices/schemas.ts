import { authErrors, errorRef, uuid } from '../../schemas/common';

const tags = ['invoices'];
const loose = { type: 'object', additionalProperties: true } as const;
const month = { type: 'string', pattern: '^\\d{4}-\\d{2}$', description: 'YYYY-MM' } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;

export const generateDraftSchema = {
  summary: "Generate a client's invoice draft for a month (same data: same version; changed data: version n+1)",
  tags,
  body: { type: 'object', additionalProperties: false, required: ['clientId', 'month'], properties: { clientId: uuid, month } },
  response: { 201: loose, 200: loose, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const listDraftsSchema = {
  summary: 'Invoice drafts',
  tags,
  querystring: { type: 'object', additionalProperties: false, properties: { clientId: uuid, month } },
  response: { 200: loose, 400: errorRef, ...authErrors },
} as const;

export const getDraftSchema = { summary: 'An invoice draft with its lines', tags, params: idParams, response: { 200: loose, 404: errorRef, ...authErrors } } as const;

export const exportDraftSchema = {
  summary: 'Export a draft as CSV (formula-injection safe) or JSON',
  tags,
  params: idParams,
  querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['csv', 'json'], default: 'csv' } } },
  response: { 200: {}, 404: errorRef, ...authErrors },
} as const;

export const pushDraftSchema = {
  summary: 'Push a draft to the external invoicing system (idempotent: the external id is stored)',
  tags,
  params: idParams,
  response: { 200: loose, 400: errorRef, 404: errorRef, 503: errorRef, ...authErrors },
} as const;
