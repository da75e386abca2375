import { MIN_SECRET_LENGTH, NOTIFICATION_CHANNELS, NOTIFICATION_EVENTS } from '../../../activities/notify/route-admin-service';
import { authErrors, dateTime, errorRef, nullable, uuid } from '../../schemas/common';

const tags = ['notifications'];
const event = { type: 'string', enum: [...NOTIFICATION_EVENTS] } as const;
const channel = { type: 'string', enum: [...NOTIFICATION_CHANNELS] } as const;

/** A route as the API shows it: no `secret` property exists here, so the serializer cannot emit one. */
export const routeSchema = {
  $id: 'NotificationRoute',
  type: 'object',
  required: ['id', 'clientId', 'event', 'channel', 'target', 'hasSecret', 'enabled'],
  properties: {
    id: uuid,
    clientId: { ...nullable(uuid), description: 'null: an MSP-wide default route (replaced by a client\'s own routes for the same event)' },
    event,
    channel,
    target: { type: 'string', description: 'Email address(es), or the URL redacted to its origin (URLs carry their own credentials)' },
    hasSecret: { type: 'boolean', description: 'A WEBHOOK route\'s HMAC secret is set; the secret itself is never returned' },
    enabled: { type: 'boolean' },
    createdAt: dateTime,
    updatedAt: dateTime,
  },
} as const;

export const createRouteSchema = {
  summary: 'Route an SLA event to a channel (clientId omitted: MSP-wide default, administrators only)',
  tags,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['event', 'channel', 'target'],
    properties: {
      clientId: nullable(uuid),
      event,
      channel,
      target: {
        type: 'string',
        minLength: 1,
        maxLength: 2000,
        description: 'EMAIL: address(es), comma-separated; SLACK, TEAMS, WEBHOOK: an https URL (http only with NOTIFY_ALLOW_PRIVATE_TARGETS)',
      },
      secret: {
        type: 'string',
        maxLength: 500,
        description: `WEBHOOK only, required there: the HMAC-SHA256 key (at least ${MIN_SECRET_LENGTH} characters); write-only`,
      },
    },
  },
  response: { 201: { $ref: 'NotificationRoute#' }, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const listRoutesSchema = {
  summary: 'Notification routes visible to the caller (MSP-wide ones to administrators only); secrets are never returned',
  tags,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      clientId: uuid,
      includeDisabled: { type: 'boolean', default: false, description: 'Also list routes deleted (disabled) earlier' },
    },
  },
  response: {
    200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: 'NotificationRoute#' } } } },
    404: errorRef,
    ...authErrors,
  },
} as const;

export const deleteRouteSchema = {
  summary: 'Delete a route (soft: it is disabled and kept for the record)',
  tags,
  params: { type: 'object', required: ['id'], properties: { id: uuid } },
  response: { 200: { $ref: 'NotificationRoute#' }, 404: errorRef, ...authErrors },
} as const;
