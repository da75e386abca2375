import { authErrors, errorRef, uuid } from '../../schemas/common';

const tags = ['time'];
const loose = { type: 'object', additionalProperties: true } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const optionalText = (max: number) => ({ anyOf: [{ type: 'string', maxLength: max }, { type: 'null' }] }) as const;

/** What an entry says, the same whether it is recorded or corrected. */
const entryFields = {
  minutes: { type: 'integer' },
  startedAt: dateTime,
  note: { type: 'string', maxLength: 4000 },
  category: optionalText(100),
  domain: optionalText(100),
  billable: { type: 'boolean' },
  outOfScope: { type: 'boolean' },
  idempotencyKey: { type: 'string', minLength: 1, maxLength: 200 },
} as const;

export const createTimeEntrySchema = {
  summary: 'Record time on a ticket, to the minute (booked into the contract ledger); once per idempotencyKey',
  tags,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['ticketId', 'minutes', 'idempotencyKey'],
    properties: {
      ticketId: { type: 'integer', minimum: 1 },
      ...entryFields,
      contractId: uuid,
      userId: { ...uuid, description: 'Admins only: record for another technician' },
    },
  },
  response: { 201: loose, 200: loose, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const listTimeEntriesSchema = {
  summary: 'Time entries (current versions; includeSuperseded for corrected ones too)',
  tags,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      clientId: uuid,
      ticketId: { type: 'integer', minimum: 1 },
      userId: uuid,
      from: dateTime,
      to: dateTime,
      includeSuperseded: { type: 'boolean' },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
      offset: { type: 'integer', minimum: 0, default: 0 },
    },
  },
  response: { 200: loose, ...authErrors },
} as const;

export const correctTimeEntrySchema = {
  summary: 'Correct a time entry: a new entry replaces it, its ledger rows are reversed (never edited)',
  tags,
  params: { type: 'object', required: ['id'], properties: { id: uuid } },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: {
      ...entryFields,
      reason: { type: 'string', minLength: 1, maxLength: 500 },
    },
  },
  response: { 201: loose, 200: loose, 400: errorRef, 404: errorRef, 409: errorRef, ...authErrors },
} as const;
