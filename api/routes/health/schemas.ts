const check = {
  type: 'object',
  required: ['status', 'latencyMs'],
  properties: { status: { type: 'string', enum: ['up', 'down'] }, latencyMs: { type: 'integer' }, detail: { type: 'string' } },
} as const;

const body = {
  type: 'object',
  required: ['status', 'dependencies'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    dependencies: {
      type: 'object',
      required: ['postgresql', 'temporal', 'worker', 'outbox'],
      properties: { postgresql: check, temporal: check, worker: check, outbox: check },
    },
  },
} as const;

export const healthSchema = {
  summary: 'State of each dependency (public)',
  tags: ['health'],
  response: { 200: body, 503: body },
} as const;
