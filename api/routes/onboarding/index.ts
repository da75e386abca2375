import type { FastifyInstance } from 'fastify';
import {
  actOnItem,
  attachEvidence,
  evidenceContent,
  getOnboarding,
  listOnboardings,
  startOnboarding,
  type EvidenceInput,
  type StartOnboardingInput,
} from '../../../activities/onboarding/onboarding-service';
import { getTemplate, listTemplates, listTemplateVersions, saveTemplateVersion } from '../../../activities/onboarding/template-service';
import type { ApiDeps } from '../../types';
import {
  attachEvidenceSchema,
  completeItemSchema,
  evidenceContentSchema,
  getOnboardingSchema,
  getTemplateSchema,
  listOnboardingsSchema,
  listTemplatesSchema,
  reopenItemSchema,
  saveTemplateSchema,
  skipItemSchema,
  startOnboardingSchema,
  templateVersionsSchema,
} from './schemas';

const staff = ['ADMIN', 'ONBOARDING_MANAGER', 'TECHNICIAN'] as const;
const managers = ['ADMIN', 'ONBOARDING_MANAGER'] as const;
/** A 10 MB file, base64-encoded in JSON, plus room for the rest of the body. */
const EVIDENCE_BODY_LIMIT = 14 * 1024 * 1024;

type ItemParams = { Params: { code: string; key: string } };

/**
 * Onboarding for onboarding managers. Item changes are open to all staff roles at the route:
 * the workflow's update validator decides who may do what to which item (a technician completes
 * technician items, only managers skip or reopen), so the rule lives in one place.
 */
export async function onboardingRoutes(app: FastifyInstance, deps: ApiDeps) {
  const svc = { prisma: deps.prisma, temporal: deps.temporal.client, log: deps.log, dispatch: (key: string) => deps.dispatcher.dispatchKey(key) };

  app.get('/onboarding-templates', { schema: listTemplatesSchema, config: { access: [...staff] } }, async () => ({ items: await listTemplates(deps) }));

  app.get<{ Params: { key: string }; Querystring: { version?: number } }>(
    '/onboarding-templates/:key',
    { schema: getTemplateSchema, config: { access: [...staff] } },
    async (request) => getTemplate(deps, request.params.key, request.query.version),
  );

  app.get<{ Params: { key: string } }>(
    '/onboarding-templates/:key/versions',
    { schema: templateVersionsSchema, config: { access: [...staff] } },
    async (request) => ({ items: await listTemplateVersions(deps, request.params.key) }),
  );

  app.put<{ Params: { key: string }; Body: { name: string; definition: unknown; basedOnVersion?: number } }>(
    '/onboarding-templates/:key',
    { schema: saveTemplateSchema, config: { access: [...managers] } },
    async (request, reply) => reply.status(201).send(await saveTemplateVersion(deps, request.actor, request.params.key, request.body)),
  );

  app.post<{ Body: StartOnboardingInput }>(
    '/onboardings',
    { schema: startOnboardingSchema, config: { access: [...managers] } },
    async (request, reply) => {
      const row = await startOnboarding(svc, request.actor, request.body);
      return reply.status(201).send(await getOnboarding(svc, request.actor, row.clientCode));
    },
  );

  app.get<{ Querystring: { status?: 'RUNNING' | 'LIVE' | 'COMPLETED' } }>(
    '/onboardings',
    { schema: listOnboardingsSchema, config: { access: [...staff] } },
    async (request) => ({ items: await listOnboardings(deps, request.actor, request.query) }),
  );

  app.get<{ Params: { code: string } }>(
    '/onboardings/:code',
    { schema: getOnboardingSchema, config: { access: [...staff] } },
    async (request) => getOnboarding(svc, request.actor, request.params.code),
  );

  app.post<ItemParams & { Body: { evidence?: EvidenceInput; fields?: Record<string, unknown>; reason?: string } }>(
    '/onboardings/:code/items/:key/complete',
    { schema: completeItemSchema, bodyLimit: EVIDENCE_BODY_LIMIT, config: { access: [...staff] } },
    async (request) => actOnItem(svc, request.actor, request.params.code, request.params.key, 'complete', request.body ?? {}),
  );

  app.post<ItemParams & { Body: { reason: string } }>(
    '/onboardings/:code/items/:key/skip',
    { schema: skipItemSchema, config: { access: [...staff] } },
    async (request) => actOnItem(svc, request.actor, request.params.code, request.params.key, 'skip', request.body),
  );

  app.post<ItemParams & { Body: { reason: string } }>(
    '/onboardings/:code/items/:key/reopen',
    { schema: reopenItemSchema, config: { access: [...staff] } },
    async (request) => actOnItem(svc, request.actor, request.params.code, request.params.key, 'reopen', request.body),
  );

  app.post<ItemParams & { Body: EvidenceInput }>(
    '/onboardings/:code/items/:key/evidence',
    { schema: attachEvidenceSchema, bodyLimit: EVIDENCE_BODY_LIMIT, config: { access: [...staff] } },
    async (request, reply) => reply.status(201).send(await attachEvidence(svc, request.actor, request.params.code, request.params.key, request.body)),
  );

  app.get<{ Params: { code: string; id: string } }>(
    '/onboardings/:code/evidence/:id/content',
    { schema: evidenceContentSchema, config: { access: [...staff] } },
    async (request, reply) => {
      const file = await evidenceContent(deps, request.actor, request.params.code, request.params.id);
      // Served as a download, never rendered inline: the content came from outside.
      return reply
        .header('content-type', file.contentType)
        .header('content-disposition', `attachment; filename="${file.fileName.replace(/[^\x20-\x7e]|["\\]/g, '_')}"`)
        .header('x-content-type-options', 'nosniff')
        .send(file.content);
    },
  );
}
