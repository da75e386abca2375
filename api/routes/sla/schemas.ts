import { MAX_TARGET_MINUTES } from '../../../activities/sla/sla-admin-service';
import { authErrors, dateTime, errorRef, nullable, priority, uuid } from '../../schemas/common';

const tags = ['sla'];
const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;
const date = { type: 'string', format: 'date', description: 'YYYY-MM-DD' } as const;
const hhmm = { type: 'string', maxLength: 20, description: 'HH:MM local time; "24:00" may end an interval' } as const;

/**
 * Weekly hours. Deliberately loose here: validateCalendar reports every problem at once (missing
 * or unknown days, bad times, overlaps, unsorted intervals) as `details.problems`.
 */
const weekly = {
  type: 'object',
  description: 'Open intervals per weekday, e.g. {"mon": [["09:00","12:00"],["14:00","18:00"]], ..., "sun": []}; every day mon..sun',
  additionalProperties: { type: 'array', maxItems: 48, items: { type: 'array', items: hhmm } },
  examples: [{ mon: [['09:00', '12:00'], ['14:00', '18:00']], tue: [['09:00', '18:00']], wed: [], thu: [], fri: [], sat: [], sun: [] }],
} as const;

/** What every change that moves running tickets' deadlines reports. */
const signalled = {
  signalled: { type: 'integer', description: 'Running ticket workflows told to reload their SLA policy and recompute deadlines' },
  signalFailed: { type: 'integer', description: 'Ticket workflows that could not be signalled (Temporal refused or was unreachable; logged)' },
} as const;

export const calendarSchema = {
  $id: 'BusinessCalendar',
  type: 'object',
  required: ['id', 'clientId', 'name', 'timezone', 'weekly', 'holidays'],
  properties: {
    id: uuid,
    clientId: nullable(uuid),
    name: { type: 'string' },
    timezone: { type: 'string' },
    weekly: { type: 'object', additionalProperties: { type: 'array', items: { type: 'array', items: { type: 'string' } } } },
    holidays: { type: 'array', items: { type: 'object', properties: { date, name: { type: 'string' } } } },
    createdAt: dateTime,
    updatedAt: dateTime,
  },
} as const;

export const createCalendarSchema = {
  summary: 'Create a business-hours calendar (clientId omitted: MSP-wide, administrators only)',
  tags,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'timezone', 'weekly'],
    properties: {
      clientId: nullable(uuid),
      name: { type: 'string', minLength: 1, maxLength: 200 },
      timezone: { type: 'string', maxLength: 100, description: 'IANA time zone, e.g. Europe/Paris' },
      weekly,
      holidays: { type: 'array', maxItems: 5000, items: { type: 'string', maxLength: 10 }, description: 'Closed dates YYYY-MM-DD' },
    },
  },
  response: { 201: { $ref: 'BusinessCalendar#' }, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const listCalendarsSchema = {
  summary: 'Calendars visible to the caller (MSP-wide ones and its clients\'); with clientId, that client\'s and the MSP-wide ones',
  tags,
  querystring: { type: 'object', additionalProperties: false, properties: { clientId: uuid } },
  response: {
    200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: 'BusinessCalendar#' } } } },
    404: errorRef,
    ...authErrors,
  },
} as const;

export const getCalendarSchema = {
  summary: 'One calendar with its weekly hours and holidays',
  tags,
  params: idParams,
  response: { 200: { $ref: 'BusinessCalendar#' }, 404: errorRef, ...authErrors },
} as const;

export const updateWeeklySchema = {
  summary: 'Replace the weekly hours; running tickets that use the calendar get their deadlines recomputed',
  tags,
  params: idParams,
  body: { type: 'object', additionalProperties: false, required: ['weekly'], properties: { weekly } },
  response: {
    200: { type: 'object', required: ['calendar', 'signalled'], properties: { calendar: { $ref: 'BusinessCalendar#' }, ...signalled } },
    400: errorRef,
    404: errorRef,
    ...authErrors,
  },
} as const;

export const importIcalSchema = {
  summary: 'Import holidays from an iCalendar (.ics) file for a range of years; dates already present are kept and reported as skipped',
  tags,
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['ics', 'fromYear', 'toYear'],
    properties: {
      ics: { type: 'string', minLength: 1, maxLength: 1_000_000, description: 'The text of the .ics file' },
      fromYear: { type: 'integer', minimum: 1900, maximum: 9999 },
      toYear: { type: 'integer', minimum: 1900, maximum: 9999 },
      unsupported: {
        type: 'string',
        enum: ['error', 'skip'],
        default: 'error',
        description: 'error: an event that cannot be expanded exactly (RDATE, BYDAY...) refuses the file; skip: it is left out and listed in ignoredEvents',
      },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['added', 'skipped', 'ignoredEvents', 'calendar', 'signalled'],
      properties: {
        added: { type: 'array', items: { type: 'object', properties: { date, name: { type: 'string' } } } },
        skipped: { type: 'array', items: { type: 'object', properties: { date, name: { type: 'string' }, reason: { type: 'string' } } } },
        ignoredEvents: { type: 'array', items: { type: 'object', properties: { event: { type: 'string' }, reason: { type: 'string' } } } },
        calendar: { $ref: 'BusinessCalendar#' },
        ...signalled,
      },
    },
    400: errorRef,
    404: errorRef,
    ...authErrors,
  },
} as const;

// ---------------------------------------------------------------- SLA policies

const minutes = { type: 'integer', minimum: 1, maximum: MAX_TARGET_MINUTES, description: 'Business minutes' } as const;
const fraction = { type: 'number', exclusiveMinimum: 0, maximum: 10 } as const;

const target = {
  type: 'object',
  additionalProperties: false,
  required: ['priority', 'firstResponseMinutes', 'resolutionMinutes'],
  properties: {
    priority,
    firstResponseMinutes: minutes,
    resolutionMinutes: minutes,
    twentyFourSeven: { type: 'boolean', default: false, description: 'The clock runs around the clock, ignoring the calendar' },
  },
} as const;

const targets = { type: 'array', minItems: 1, maxItems: 4, items: target, description: 'One target per priority (unique)' } as const;

const escalation = {
  type: 'object',
  additionalProperties: false,
  description: 'Every key optional; defaults: warnAt [0.5, 0.75, 0.9], L1 0.75, L2 1, L3 1.5, autoCloseBusinessDays 5, reopenWindowDays 14',
  properties: {
    warnAt: { type: 'array', maxItems: 10, items: fraction, description: 'Warning fractions of the target, strictly ascending' },
    levels: {
      type: 'array',
      maxItems: 3,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['level', 'atFraction'],
        properties: { level: { type: 'string', enum: ['L1', 'L2', 'L3'] }, atFraction: fraction },
      },
      description: 'Escalation levels in order L1, L2, L3 at strictly ascending fractions',
    },
    autoCloseBusinessDays: { type: 'integer', minimum: 1, maximum: 365 },
    reopenWindowDays: { type: 'integer', minimum: 0, maximum: 365 },
  },
} as const;

export const policySchema = {
  $id: 'SlaPolicy',
  type: 'object',
  required: ['id', 'name', 'calendarId', 'clientId', 'targets', 'escalation'],
  properties: {
    id: uuid,
    name: { type: 'string' },
    calendarId: uuid,
    clientId: { ...nullable(uuid), description: 'Owner of the calendar; null: MSP-wide policy usable by any client' },
    calendar: { type: 'object', properties: { id: uuid, name: { type: 'string' }, timezone: { type: 'string' } } },
    targets: { type: 'array', items: target },
    escalation,
    createdAt: dateTime,
    updatedAt: dateTime,
  },
} as const;

export const createPolicySchema = {
  summary: 'Create an SLA policy: a calendar, targets per priority and escalation settings',
  tags,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'calendarId', 'targets'],
    properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, calendarId: uuid, targets, escalation },
  },
  response: { 201: { $ref: 'SlaPolicy#' }, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const listPoliciesSchema = {
  summary: 'SLA policies visible to the caller; with clientId, those its contracts may use (its own and MSP-wide)',
  tags,
  querystring: { type: 'object', additionalProperties: false, properties: { clientId: uuid } },
  response: {
    200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: 'SlaPolicy#' } } } },
    404: errorRef,
    ...authErrors,
  },
} as const;

export const getPolicySchema = {
  summary: 'One SLA policy',
  tags,
  params: idParams,
  response: { 200: { $ref: 'SlaPolicy#' }, 404: errorRef, ...authErrors },
} as const;

export const updateTargetsSchema = {
  summary: 'Replace the targets (and the escalation settings, when given); running tickets under the policy get their deadlines recomputed',
  tags,
  params: idParams,
  body: { type: 'object', additionalProperties: false, required: ['targets'], properties: { targets, escalation } },
  response: {
    200: { type: 'object', required: ['policy', 'signalled'], properties: { policy: { $ref: 'SlaPolicy#' }, ...signalled } },
    400: errorRef,
    404: errorRef,
    ...authErrors,
  },
} as const;

// ---------------------------------------------------------------- contracts

const contractType = { type: 'string', enum: ['MONTHLY_FIXED', 'BLOCK_HOURS', 'TIME_AND_MATERIALS'] } as const;

export const contractSchema = {
  $id: 'Contract',
  type: 'object',
  required: ['id', 'clientId', 'name', 'type', 'slaPolicyId', 'startsOn', 'endsOn', 'active'],
  properties: {
    id: uuid,
    clientId: uuid,
    name: { type: 'string' },
    type: contractType,
    slaPolicyId: nullable(uuid),
    slaPolicy: nullable({ type: 'object', properties: { id: uuid, name: { type: 'string' } } }),
    startsOn: date,
    endsOn: nullable(date),
    terms: { type: 'object', additionalProperties: true },
    active: { type: 'boolean' },
    createdAt: dateTime,
    updatedAt: dateTime,
  },
} as const;

export const createContractSchema = {
  summary: 'Create a contract for the client; with an SLA policy, the client\'s running tickets get their deadlines recomputed',
  tags,
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'type', 'startsOn'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      type: contractType,
      slaPolicyId: nullable(uuid),
      startsOn: date,
      endsOn: nullable(date),
      terms: { type: 'object', maxProperties: 100, additionalProperties: true, description: 'Type-specific terms (plan, block size, rates...)' },
    },
  },
  response: {
    201: { type: 'object', required: ['contract', 'signalled'], properties: { contract: { $ref: 'Contract#' }, ...signalled } },
    400: errorRef,
    404: errorRef,
    ...authErrors,
  },
} as const;

export const listContractsSchema = {
  summary: 'The client\'s contracts, latest start first',
  tags,
  params: idParams,
  response: {
    200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: 'Contract#' } } } },
    404: errorRef,
    ...authErrors,
  },
} as const;
