import type { FastifyInstance } from 'fastify';
import {
  createCalendar,
  createContract,
  createSlaPolicy,
  getCalendar,
  getSlaPolicy,
  importIcalHolidays,
  listCalendars,
  listContracts,
  listSlaPolicies,
  updateCalendarWeekly,
  updateSlaPolicyTargets,
  type CalendarInput,
  type ContractInput,
  type IcalImportInput,
  type PolicyInput,
  type TargetInput,
} from '../../../activities/sla/sla-admin-service';
import type { EscalationSettings } from '../../../activities/sla/sla-policy-service';
import type { ApiDeps } from '../../types';
import {
  calendarSchema,
  contractSchema,
  createCalendarSchema,
  createContractSchema,
  createPolicySchema,
  getCalendarSchema,
  getPolicySchema,
  importIcalSchema,
  listCalendarsSchema,
  listContractsSchema,
  listPoliciesSchema,
  policySchema,
  updateTargetsSchema,
  updateWeeklySchema,
} from './schemas';

/** Who sets SLAs up: administrators and onboarding managers (tenant rules in the service). */
const setup = ['ADMIN', 'ONBOARDING_MANAGER'] as const;

/** Business-hours calendars, SLA policies and client contracts: SLA setup from the API alone. */
export async function slaRoutes(app: FastifyInstance, deps: ApiDeps) {
  app.addSchema(calendarSchema);
  app.addSchema(policySchema);
  app.addSchema(contractSchema);
  const config = { access: [...setup] };

  // ---------------------------------------------------------------- calendars

  app.post<{ Body: CalendarInput }>('/calendars', { schema: createCalendarSchema, config }, async (request, reply) =>
    reply.status(201).send(await createCalendar(deps, request.actor, request.body)),
  );

  app.get<{ Querystring: { clientId?: string } }>('/calendars', { schema: listCalendarsSchema, config }, async (request) => ({
    items: await listCalendars(deps, request.actor, request.query),
  }));

  app.get<{ Params: { id: string } }>('/calendars/:id', { schema: getCalendarSchema, config }, async (request) =>
    getCalendar(deps, request.actor, request.params.id),
  );

  app.put<{ Params: { id: string }; Body: { weekly: unknown } }>('/calendars/:id/weekly', { schema: updateWeeklySchema, config }, async (request) =>
    updateCalendarWeekly(deps, request.actor, request.params.id, request.body.weekly),
  );

  app.post<{ Params: { id: string }; Body: IcalImportInput }>(
    '/calendars/:id/holidays/ical',
    { schema: importIcalSchema, config },
    async (request) => importIcalHolidays(deps, request.actor, request.params.id, request.body),
  );

  // ---------------------------------------------------------------- SLA policies

  app.post<{ Body: PolicyInput }>('/sla-policies', { schema: createPolicySchema, config }, async (request, reply) =>
    reply.status(201).send(await createSlaPolicy(deps, request.actor, request.body)),
  );

  app.get<{ Querystring: { clientId?: string } }>('/sla-policies', { schema: listPoliciesSchema, config }, async (request) => ({
    items: await listSlaPolicies(deps, request.actor, request.query),
  }));

  app.get<{ Params: { id: string } }>('/sla-policies/:id', { schema: getPolicySchema, config }, async (request) =>
    getSlaPolicy(deps, request.actor, request.params.id),
  );

  app.put<{ Params: { id: string }; Body: { targets: TargetInput[]; escalation?: EscalationSettings } }>(
    '/sla-policies/:id/targets',
    { schema: updateTargetsSchema, config },
    async (request) => updateSlaPolicyTargets(deps, request.actor, request.params.id, request.body),
  );

  // ---------------------------------------------------------------- contracts

  app.post<{ Params: { id: string }; Body: ContractInput }>(
    '/clients/:id/contracts',
    { schema: createContractSchema, config },
    async (request, reply) => reply.status(201).send(await createContract(deps, request.actor, request.params.id, request.body)),
  );

  app.get<{ Params: { id: string } }>('/clients/:id/contracts', { schema: listContractsSchema, config }, async (request) => ({
    items: await listContracts(deps, request.actor, request.params.id),
  }));
}
