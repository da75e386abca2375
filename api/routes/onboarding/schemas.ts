import { authErrors, errorRef, uuid } from '../../schemas/common';

const anyObject = { type: 'object', additionalProperties: true } as const;
const code = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,39}$' } as const;
const itemParams = { type: 'object', required: ['code', 'key'], properties: { code, key: { type: 'string', maxLength: 60 } } } as const;
const tags = ['onboarding'];

export const evidenceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { type: 'string', enum: ['NOTE', 'FILE', 'LINK', 'FIELD'] },
    text: { type: 'string', maxLength: 20000 },
    url: { type: 'string', maxLength: 2000 },
    fields: anyObject,
    file: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'base64'],
      properties: { name: { type: 'string', maxLength: 500 }, contentType: { type: 'string', maxLength: 200 }, base64: { type: 'string' } },
    },
  },
} as const;

export const listTemplatesSchema = { summary: 'Checklist templates (latest version of each)', tags, response: { 200: anyObject, ...authErrors } } as const;

export const getTemplateSchema = {
  summary: 'A checklist template: latest version, or ?version=n',
  tags,
  params: { type: 'object', required: ['key'], properties: { key: { type: 'string', maxLength: 40 } } },
  querystring: { type: 'object', additionalProperties: false, properties: { version: { type: 'integer', minimum: 1 } } },
  response: { 200: anyObject, 404: errorRef, ...authErrors },
} as const;

export const templateVersionsSchema = {
  summary: "A template's versions",
  tags,
  params: { type: 'object', required: ['key'], properties: { key: { type: 'string', maxLength: 40 } } },
  response: { 200: anyObject, 404: errorRef, ...authErrors },
} as const;

export const saveTemplateSchema = {
  summary: 'Save a new version of a checklist template (running onboardings keep theirs)',
  tags,
  params: { type: 'object', required: ['key'], properties: { key: { type: 'string', maxLength: 40 } } },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'definition'],
    properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, definition: anyObject, basedOnVersion: { type: 'integer', minimum: 0 } },
  },
  response: { 201: anyObject, 400: errorRef, 409: errorRef, ...authErrors },
} as const;

export const startOnboardingSchema = {
  summary: 'Start the onboarding of a new client from a template',
  tags,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['clientCode', 'clientName', 'contactName', 'contactEmail'],
    properties: {
      clientCode: code,
      clientName: { type: 'string', minLength: 1, maxLength: 200 },
      contactName: { type: 'string', minLength: 1, maxLength: 200 },
      contactEmail: { type: 'string', maxLength: 254 },
      locale: { type: 'string', enum: ['fr', 'en'] },
      templateKey: { type: 'string', maxLength: 40 },
      templateVersion: { type: 'integer', minimum: 1 },
      managerId: uuid,
    },
  },
  response: { 201: anyObject, 400: errorRef, 404: errorRef, 409: errorRef, ...authErrors },
} as const;

export const listOnboardingsSchema = {
  summary: 'Onboardings with progress and blocking (overdue required) items',
  tags,
  querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: ['RUNNING', 'LIVE', 'COMPLETED'] } } },
  response: { 200: anyObject, ...authErrors },
} as const;

export const getOnboardingSchema = {
  summary: 'One onboarding: checklist, evidence, history and the live workflow view',
  tags,
  params: { type: 'object', required: ['code'], properties: { code } },
  response: { 200: anyObject, 404: errorRef, ...authErrors },
} as const;

const actionResponses = { 200: anyObject, 400: errorRef, 404: errorRef, 409: errorRef, 503: errorRef, ...authErrors } as const;

export const completeItemSchema = {
  summary: 'Complete an item (evidence and form fields may come with it)',
  tags,
  params: itemParams,
  body: { type: 'object', additionalProperties: false, properties: { evidence: evidenceBody, fields: anyObject, reason: { type: 'string', maxLength: 2000 } } },
  response: actionResponses,
} as const;

export const skipItemSchema = {
  summary: 'Skip an item, with a reason',
  tags,
  params: itemParams,
  body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } } },
  response: actionResponses,
} as const;

export const reopenItemSchema = { ...skipItemSchema, summary: 'Reopen a done or skipped item, with a reason' } as const;

export const attachEvidenceSchema = {
  summary: 'Attach evidence to an item (a note, a file, a link or form fields)',
  tags,
  params: itemParams,
  body: evidenceBody,
  response: { 201: anyObject, 400: errorRef, 404: errorRef, 409: errorRef, ...authErrors },
} as const;

export const evidenceContentSchema = {
  summary: 'Download an evidence file',
  tags,
  params: { type: 'object', required: ['code', 'id'], properties: { code, id: uuid } },
  response: { 404: errorRef, ...authErrors },
} as const;
