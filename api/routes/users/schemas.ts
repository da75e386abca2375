import { authErrors, errorRef, uuid } from '../../schemas/common';

const role = { type: 'string', enum: ['ADMIN', 'ONBOARDING_MANAGER', 'TECHNICIAN'] } as const;

export const createUserSchema = {
  summary: 'Create a staff user (admin only)',
  tags: ['users'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'name', 'role'],
    properties: {
      email: { type: 'string', maxLength: 254 },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      role,
      clientIds: { type: 'array', items: uuid, description: 'Restrict the user to these clients; omit for all' },
    },
  },
  response: {
    201: { type: 'object', required: ['id', 'email', 'role'], properties: { id: uuid, email: { type: 'string' }, name: { type: 'string' }, role } },
    400: errorRef,
    409: errorRef,
    ...authErrors,
  },
} as const;

export const issueTokenSchema = {
  summary: 'Issue an API token for a user (admin only); the token is shown once',
  tags: ['users'],
  params: { type: 'object', required: ['id'], properties: { id: uuid } },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 100 },
      expiresAt: { type: 'string', format: 'date-time' },
    },
  },
  response: {
    201: { type: 'object', required: ['id', 'token'], properties: { id: uuid, token: { type: 'string' }, prefix: { type: 'string' } } },
    404: errorRef,
    ...authErrors,
  },
} as const;
