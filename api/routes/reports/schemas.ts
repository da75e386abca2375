import { authErrors, errorRef, uuid } from '../../schemas/common';

const tags = ['reports'];
const month = { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' } as const;
const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: uuid } } as const;

export const listReportsSchema = {
  summary: 'Monthly reports (newest month first); the internal version (revenue) is for administrators only',
  tags,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { clientId: uuid, month, audience: { type: 'string', enum: ['CLIENT', 'INTERNAL'] }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
  },
  response: { 200: { type: 'object', additionalProperties: true }, ...authErrors },
} as const;

export const getReportSchema = {
  summary: "A report's stored snapshot: every number with its evidence (JSON)",
  tags,
  params: idParams,
  response: { 200: { type: 'object', additionalProperties: true }, 404: errorRef, ...authErrors },
} as const;

export const reportHtmlSchema = { summary: 'A report rendered as HTML (from its snapshot)', tags, params: idParams, response: { 404: errorRef, ...authErrors } } as const;
export const reportPdfSchema = { summary: 'A report as PDF (headless Chromium, from its snapshot)', tags, params: idParams, response: { 404: errorRef, 503: errorRef, ...authErrors } } as const;

export const resendReportSchema = {
  summary: 'Send a report again (recorded with who asked); to its usual recipients or to the given addresses',
  tags,
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { recipients: { type: 'array', maxItems: 20, items: { type: 'string', format: 'email', maxLength: 254 } } },
  },
  response: { 200: { type: 'object', additionalProperties: true }, 400: errorRef, 404: errorRef, 503: errorRef, ...authErrors },
} as const;

export const runReportSchema = {
  summary: 'Run the monthly report of a client for a past month now (workflow report-<client>-<YYYY-MM>; a month already run is not run again)',
  tags,
  body: { type: 'object', additionalProperties: false, required: ['clientId', 'month'], properties: { clientId: uuid, month } },
  response: { 202: { type: 'object', additionalProperties: true }, 200: { type: 'object', additionalProperties: true }, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const syncSchedulesSchema = {
  summary: "Create or update every client's monthly report schedule (idempotent)",
  tags,
  body: { type: 'object', additionalProperties: false, properties: { clientIds: { type: 'array', items: uuid, maxItems: 1000 } } },
  response: { 200: { type: 'object', additionalProperties: true }, ...authErrors },
} as const;
