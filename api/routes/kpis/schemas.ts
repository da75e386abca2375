import { authErrors, errorRef } from '../../schemas/common';

export const kpiSchema = {
  summary: "The MSP's figures for a month: MRR, ARR, revenue per client and technician, tickets per day/week/month, billed hours per client, tasks per technician",
  tags: ['kpis'],
  querystring: { type: 'object', additionalProperties: false, required: ['month'], properties: { month: { type: 'string', pattern: '^\\d{4}-\\d{2}$' } } },
  response: { 200: { type: 'object', additionalProperties: true }, 400: errorRef, ...authErrors },
} as const;
