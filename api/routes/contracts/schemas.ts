import { authErrors, errorRef, uuid } from '../../schemas/common';

const tags = ['contracts'];
const date = { type: 'string', description: 'YYYY-MM-DD' } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;
const loose = { type: 'object', additionalProperties: true } as const;
/** Terms are checked per contract type by zod (activities/billing/contract-terms.ts), every problem listed. */
const terms = { type: 'object', additionalProperties: true, description: 'Per type: see README "Contracts, time and invoices"' } as const;
const contractType = { type: 'string', enum: ['MONTHLY_FIXED', 'BLOCK_HOURS', 'TIME_AND_MATERIALS'] } as const;

export const createContractSchema = {
  summary: 'Create a contract (terms validated for its type)',
  tags,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['clientId', 'name', 'type', 'startsOn', 'terms'],
    properties: { clientId: uuid, name: { type: 'string', maxLength: 200 }, type: contractType, startsOn: date, endsOn: { anyOf: [date, { type: 'null' }] }, slaPolicyId: { anyOf: [uuid, { type: 'null' }] }, terms },
  },
  response: { 201: loose, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const listContractsSchema = {
  summary: 'Contracts (of one client, or every client the caller sees)',
  tags,
  querystring: { type: 'object', additionalProperties: false, properties: { clientId: uuid, active: { type: 'boolean' } } },
  response: { 200: loose, ...authErrors },
} as const;

export const getContractSchema = { summary: 'A contract', tags, params: idParams, response: { 200: loose, 404: errorRef, ...authErrors } } as const;

export const updateContractSchema = {
  summary: 'Change name, end date, active flag or terms (terms validated as a whole)',
  tags,
  params: idParams,
  body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name: { type: 'string', maxLength: 200 }, endsOn: { anyOf: [date, { type: 'null' }] }, active: { type: 'boolean' }, terms } },
  response: { 200: loose, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const deactivateContractSchema = { summary: 'Deactivate a contract (its ledger is kept; contracts are never deleted)', tags, params: idParams, response: { 200: loose, 404: errorRef, ...authErrors } } as const;

export const topUpSchema = {
  summary: 'Add a prepaid block (top-up) to a block contract, once per idempotencyKey',
  tags,
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['quantity', 'priceCents'],
    properties: {
      quantity: { type: 'number', description: 'In the contract unit (hours or days)' },
      priceCents: { type: 'integer' },
      purchasedOn: date,
      expiresOn: { anyOf: [date, { type: 'null' }], description: 'First day the block can no longer be used' },
      idempotencyKey: { type: 'string', minLength: 1, maxLength: 200 },
      note: { type: 'string', maxLength: 500 },
    },
  },
  response: { 201: loose, 200: loose, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const expireSchema = {
  summary: 'Expire the blocks due by a date (default today), rolling over what the terms allow',
  tags,
  params: idParams,
  body: { type: 'object', additionalProperties: false, properties: { at: date } },
  response: { 200: loose, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const consumptionSchema = {
  summary: "A contract's client consumption for a period (planned vs consumed, weekly, by category/requester/subsidiary/domain)",
  tags,
  params: idParams,
  querystring: { type: 'object', additionalProperties: false, properties: { month: { type: 'string', pattern: '^\\d{4}-\\d{2}$' } } },
  response: { 200: loose, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const ledgerSchema = {
  summary: "A contract's ledger rows and block balances",
  tags,
  params: idParams,
  querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 5000, default: 1000 }, offset: { type: 'integer', minimum: 0, default: 0 } } },
  response: { 200: loose, 404: errorRef, ...authErrors },
} as const;
