import { authErrors, errorRef, uuid } from '../../schemas/common';

const tags = ['rollouts'];
const ringName = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } as const;
const params = { type: 'object', required: ['id'], properties: { id: uuid } } as const;

const weekly = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(
    ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, { type: 'array', items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string' } } }]),
  ),
} as const;

const patchSet = {
  type: 'object',
  required: ['kind'],
  description: 'os-updates {category: security|all}, packages {packages}, windows-kbs {kbs}, or script {id, install, verify, rebootAfter}',
  properties: {
    kind: { type: 'string', enum: ['os-updates', 'packages', 'windows-kbs', 'script'] },
    category: { type: 'string', enum: ['security', 'all'] },
    packages: { type: 'array', items: { type: 'string', maxLength: 128 }, maxItems: 200 },
    kbs: { type: 'array', items: { type: 'string', maxLength: 16 }, maxItems: 200 },
    id: { type: 'string', maxLength: 64 },
    install: { type: 'string', maxLength: 60000 },
    verify: { type: 'string', maxLength: 20000 },
    rebootAfter: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

const ring = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: ringName,
    deviceIds: { type: 'array', items: uuid, maxItems: 10000 },
    tags: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 50 },
    percent: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    maxFailureRate: { type: 'number', minimum: 0, maximum: 1 },
    approval: { type: 'boolean' },
  },
} as const;

export const createRolloutSchema = {
  summary: 'Create a patch rollout and start its workflow (rollout-<id>)',
  tags,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'clientIds', 'patchSet', 'policy'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      clientIds: { type: 'array', items: uuid, minItems: 1, maxItems: 100 },
      patchSet,
      policy: {
        type: 'object',
        additionalProperties: false,
        required: ['rings'],
        properties: {
          rings: { type: 'array', items: ring, minItems: 1, maxItems: 10 },
          window: {
            description: 'Maintenance window: {calendarId} of a business calendar, or an inline calendar {timezone, weekly, holidays}',
            anyOf: [
              { type: 'null' },
              { type: 'object', required: ['calendarId'], additionalProperties: false, properties: { calendarId: uuid } },
              { type: 'object', required: ['timezone', 'weekly'], additionalProperties: false, properties: { timezone: { type: 'string' }, weekly, holidays: { type: 'array', items: { type: 'string', format: 'date' } } } },
            ],
          },
          batchSize: { type: 'integer', minimum: 1, maximum: 500 },
          maxParallelBatches: { type: 'integer', minimum: 1, maximum: 100 },
          concurrencyPerBatch: { type: 'integer', minimum: 1, maximum: 200 },
          offlineCatchUpMs: { type: 'integer', minimum: 0 },
          offlinePollMs: { type: 'integer', minimum: 100 },
          minFreeDiskKb: { type: 'integer', minimum: 0 },
          installAttempts: { type: 'integer', minimum: 1, maximum: 10 },
          retryInitialMs: { type: 'integer', minimum: 100 },
          rebootTimeoutMs: { type: 'integer', minimum: 1000 },
          scriptTimeoutMs: { type: 'integer', minimum: 1000 },
          heartbeatTimeoutMs: { type: 'integer', minimum: 1000 },
          historyBudget: { type: 'integer', minimum: 200, maximum: 40000 },
        },
      },
    },
  },
  response: { 201: { type: 'object', additionalProperties: true }, 400: errorRef, 404: errorRef, 503: errorRef, ...authErrors },
} as const;

export const getRolloutSchema = {
  summary: 'A rollout with its live progress (per ring, in flight, failures)',
  tags,
  params,
  response: { 200: { type: 'object', additionalProperties: true }, 404: errorRef, ...authErrors },
} as const;

export const listRolloutDevicesSchema = {
  summary: 'Devices of a rollout with their state (paged)',
  tags,
  params,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      state: { type: 'string', enum: ['pending', 'succeeded', 'failed', 'offline', 'missed', 'cancelled'] },
      ring: ringName,
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      offset: { type: 'integer', minimum: 0, default: 0 },
    },
  },
  response: { 200: { type: 'object', additionalProperties: true }, 404: errorRef, ...authErrors },
} as const;

export const evidenceSchema = {
  summary: 'Per-step evidence for one device: commands, exit codes, output digest and excerpt, timestamps',
  tags,
  params: { type: 'object', required: ['id', 'deviceId'], properties: { id: uuid, deviceId: uuid } },
  response: { 200: { type: 'object', additionalProperties: true }, 404: errorRef, ...authErrors },
} as const;

export const approveSchema = {
  summary: 'Approve the gate before a ring',
  tags,
  params,
  body: { type: 'object', additionalProperties: false, required: ['ring'], properties: { ring: ringName, comment: { type: 'string', maxLength: 1000 } } },
  response: { 200: { type: 'object', additionalProperties: true }, 400: errorRef, 404: errorRef, 409: errorRef, ...authErrors },
} as const;

export const controlSchema = (what: string) =>
  ({
    summary: `${what} the rollout`,
    tags,
    params,
    body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 1000 } } },
    response: { 200: { type: 'object', additionalProperties: true }, 404: errorRef, 409: errorRef, ...authErrors },
  }) as const;
