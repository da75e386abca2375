import { NOTIFICATION_CHANNELS } from '../../../activities/notify/route-admin-service';
import { authErrors, dateTime, errorRef, nullable, uuid } from '../../schemas/common';

const tags = ['notifications'];
const status = { type: 'string', enum: ['PENDING', 'SENT', 'FAILED'] } as const;

export const deliverySchema = {
  $id: 'NotificationDelivery',
  type: 'object',
  required: ['id', 'clientId', 'ticketId', 'event', 'channel', 'target', 'status', 'attempts', 'lastError', 'createdAt', 'updatedAt'],
  properties: {
    id: uuid,
    clientId: nullable(uuid),
    ticketId: nullable({ type: 'integer' }),
    event: { type: 'string' },
    channel: { type: 'string', enum: [...NOTIFICATION_CHANNELS] },
    target: { type: 'string', description: 'Email address(es), or the URL redacted to its origin' },
    status: { ...status, description: 'PENDING: not sent yet or being sent; FAILED: the last attempt failed (lastError says why)' },
    attempts: { type: 'integer' },
    lastError: nullable({ type: 'string' }),
    title: nullable({ type: 'string' }),
    createdAt: dateTime,
    updatedAt: dateTime,
    sentAt: nullable(dateTime),
  },
} as const;

export const listDeliveriesSchema = {
  summary: 'Notification deliveries (newest first), e.g. status=FAILED for those that failed after their retries',
  tags,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      status,
      clientId: uuid,
      ticketId: { type: 'integer', minimum: 1 },
      event: { type: 'string', maxLength: 100 },
      limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    },
  },
  response: {
    200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: 'NotificationDelivery#' } } } },
    404: errorRef,
    ...authErrors,
  },
} as const;
