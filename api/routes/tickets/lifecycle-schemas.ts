import { authErrors, errorRef, nullable, priority, uuid } from '../../schemas/common';

const ticketStatus = { type: 'string', enum: ['NEW', 'ACKNOWLEDGED', 'IN_PROGRESS', 'WAITING_ON_CLIENT', 'RESOLVED', 'CLOSED'] } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
const epochMs = { type: 'number', description: 'Epoch milliseconds' } as const;

const clockView = nullable({
  type: 'object',
  properties: {
    targetMinutes: { type: 'number' },
    deadlineAt: nullable(epochMs),
    elapsedMinutes: { type: 'number' },
    remainingMinutes: { type: 'number' },
    met: { type: 'boolean' },
  },
});

export const ticketView = {
  $id: 'TicketView',
  type: 'object',
  required: ['ticketId', 'status', 'priority', 'sla'],
  properties: {
    ticketId: { type: 'integer' },
    status: ticketStatus,
    priority,
    assigneeId: nullable(uuid),
    sla: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['none', 'ok', 'warning', 'breached', 'paused', 'met'] },
        policy: nullable({ type: 'string' }),
        paused: { type: 'boolean' },
        firstResponse: clockView,
        resolution: clockView,
        nextMilestone: nullable({ type: 'object', properties: { key: { type: 'string' }, at: epochMs } }),
      },
    },
  },
} as const;

const viewResponses = { 200: { $ref: 'TicketView#' }, 400: errorRef, 404: errorRef, 409: errorRef, 503: errorRef, ...authErrors } as const;

export const changeStatusSchema = {
  summary: 'Move the ticket to another status (validated by its workflow)',
  tags: ['tickets'],
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['status'],
    properties: { status: ticketStatus, reason: { type: 'string', maxLength: 1000 } },
  },
  response: viewResponses,
} as const;

export const changePrioritySchema = {
  summary: 'Change the priority; the SLA deadlines are recomputed, elapsed time and pauses kept',
  tags: ['tickets'],
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['priority'],
    properties: { priority, reason: { type: 'string', maxLength: 1000 } },
  },
  response: viewResponses,
} as const;

export const assignSchema = {
  summary: 'Assign the ticket to a staff user (null to unassign)',
  tags: ['tickets'],
  params: idParams,
  body: { type: 'object', additionalProperties: false, required: ['assigneeId'], properties: { assigneeId: nullable(uuid) } },
  response: viewResponses,
} as const;

export const slaSchema = {
  summary: 'The ticket\'s SLA state and timeline (started, paused, resumed, warned, breached, escalated, recomputed)',
  tags: ['tickets'],
  params: idParams,
  response: {
    200: {
      type: 'object',
      required: ['view', 'timeline'],
      properties: {
        view: { $ref: 'TicketView#' },
        timeline: {
          type: 'array',
          items: {
            type: 'object',
            required: ['at', 'type'],
            properties: {
              at: epochMs,
              type: { type: 'string' },
              clock: { type: 'string' },
              fraction: { type: 'number' },
              level: { type: 'string' },
              reason: { type: 'string' },
              detail: { type: 'string' },
            },
          },
        },
      },
    },
    404: errorRef,
    409: errorRef,
    503: errorRef,
    ...authErrors,
  },
} as const;
