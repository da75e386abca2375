import type { Client } from '@temporalio/client';
import { systemActor } from '../../lib/access';
import type { ContractType, PrismaClient } from '../../lib/db/prisma';
import { NotFoundError, ValidationError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { createClient } from '../clients/client-service';
import { createCalendar, createContract, createSlaPolicy, type TargetInput } from '../sla/sla-admin-service';

/** Response/resolution targets (business minutes) of the Good / Better / Best offers. */
export const TIER_TARGETS: Record<string, TargetInput[]> = {
  good: [
    { priority: 'P1', firstResponseMinutes: 240, resolutionMinutes: 1440 },
    { priority: 'P2', firstResponseMinutes: 480, resolutionMinutes: 2880 },
    { priority: 'P3', firstResponseMinutes: 960, resolutionMinutes: 5760 },
    { priority: 'P4', firstResponseMinutes: 1920, resolutionMinutes: 11520 },
  ],
  better: [
    { priority: 'P1', firstResponseMinutes: 60, resolutionMinutes: 480, twentyFourSeven: true },
    { priority: 'P2', firstResponseMinutes: 240, resolutionMinutes: 1440 },
    { priority: 'P3', firstResponseMinutes: 480, resolutionMinutes: 2880 },
    { priority: 'P4', firstResponseMinutes: 960, resolutionMinutes: 5760 },
  ],
  best: [
    { priority: 'P1', firstResponseMinutes: 30, resolutionMinutes: 240, twentyFourSeven: true },
    { priority: 'P2', firstResponseMinutes: 120, resolutionMinutes: 480 },
    { priority: 'P3', firstResponseMinutes: 240, resolutionMinutes: 1440 },
    { priority: 'P4', firstResponseMinutes: 480, resolutionMinutes: 2880 },
  ],
};

const CONTRACT_TYPES: readonly ContractType[] = ['MONTHLY_FIXED', 'BLOCK_HOURS', 'TIME_AND_MATERIALS'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export interface CollectedInfo {
  legalName?: string;
  domains?: string[] | string;
  timezone?: string;
  contacts?: Array<{ name: string; email: string; phone?: string }>;
  tier?: string;
  contractType?: string;
  /** "08:00-18:00" (Monday to Friday) or weekly hours { mon: [["08:00","12:00"], ...], ... }. */
  siteHours?: string | Record<string, Array<[string, string]>>;
  servers?: number | string;
  workstations?: number | string;
}

export function expectedDevices(info: CollectedInfo): number {
  return Number(info.servers ?? 0) + Number(info.workstations ?? 0);
}

function weeklyHours(siteHours: CollectedInfo['siteHours']): Record<string, Array<[string, string]>> {
  if (typeof siteHours === 'string') {
    const m = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(siteHours.trim());
    if (!m) throw new ValidationError(`siteHours "${siteHours}" must look like 08:00-18:00`);
    return Object.fromEntries(DAYS.map((d, i) => [d, i < 5 ? [[m[1], m[2]]] : []]));
  }
  return Object.fromEntries(DAYS.map((d) => [d, siteHours?.[d] ?? []]));
}

export interface ProvisionResult {
  clientId: string;
  contacts: number;
  domains: number;
  contractId: string;
  slaPolicyId: string;
}

/**
 * Step 7: creates the client, its contacts and email domains, its business-hours calendar, SLA
 * policy and contract from the information collected in step 1, through the existing client and
 * SLA services, in one transaction. Idempotent on the onboarding: the onboarding row is locked
 * and records the client it created, so a retry returns what the first run made.
 */
export async function provisionClientFromOnboarding(
  deps: { prisma: PrismaClient; temporal: Client; log: Logger },
  onboardingId: string,
  today: Date,
): Promise<ProvisionResult> {
  return deps.prisma.$transaction(
    async (txClient) => {
      const tx = txClient as unknown as PrismaClient;
      await tx.$queryRaw`SELECT id FROM "Onboarding" WHERE id = ${onboardingId}::uuid FOR UPDATE`;
      const onboarding = await tx.onboarding.findUnique({ where: { id: onboardingId } });
      if (!onboarding) throw new NotFoundError(`Onboarding ${onboardingId}`);
      if (onboarding.clientId) {
        const contract = await tx.contract.findFirstOrThrow({ where: { clientId: onboarding.clientId }, orderBy: { createdAt: 'asc' } });
        return {
          clientId: onboarding.clientId,
          contacts: await tx.contact.count({ where: { clientId: onboarding.clientId } }),
          domains: await tx.clientDomain.count({ where: { clientId: onboarding.clientId } }),
          contractId: contract.id,
          slaPolicyId: contract.slaPolicyId!,
        };
      }
      const info = (onboarding.info ?? {}) as CollectedInfo;
      const tier = (info.tier ?? '').toString().toLowerCase();
      const problems: string[] = [];
      if (!TIER_TARGETS[tier]) problems.push(`tier "${info.tier}" must be one of ${Object.keys(TIER_TARGETS).join(', ')}`);
      const contractType = (info.contractType ?? 'MONTHLY_FIXED').toString().toUpperCase() as ContractType;
      if (!CONTRACT_TYPES.includes(contractType)) problems.push(`contractType "${info.contractType}" must be one of ${CONTRACT_TYPES.join(', ')}`);
      if (problems.length) throw new ValidationError(`Cannot create the client from the collected information: ${problems.join('; ')}`, { problems });

      const domains = Array.isArray(info.domains) ? info.domains : (info.domains ?? '').split(/[\s,;]+/).filter(Boolean);
      const timezone = info.timezone || 'Europe/Paris';
      const client = await createClient({ prisma: tx }, {
        code: onboarding.clientCode,
        name: info.legalName?.trim() || onboarding.clientName,
        timezone,
        locale: onboarding.locale === 'en' ? 'en' : 'fr',
        domains,
      });
      const contacts = new Map<string, { name: string; email: string; phone?: string }>();
      for (const c of [{ name: onboarding.contactName, email: onboarding.contactEmail }, ...(info.contacts ?? [])]) {
        const email = String(c.email ?? '').trim().toLowerCase();
        if (!/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(email)) throw new ValidationError(`contact "${c.name}": "${c.email}" is not an email address`);
        contacts.set(email, { name: String(c.name ?? email).trim() || email, email, phone: c.phone });
      }
      const taken = await tx.contact.findMany({ where: { email: { in: [...contacts.keys()] } }, select: { email: true } });
      if (taken.length) throw new ValidationError(`these contacts already belong to another client: ${taken.map((t) => t.email).join(', ')}`);
      await tx.contact.createMany({ data: [...contacts.values()].map((c) => ({ ...c, clientId: client.id })) });

      const actor = systemActor('onboarding');
      const adminDeps = { prisma: tx, temporal: { client: deps.temporal }, log: deps.log };
      const calendar = await createCalendar(adminDeps, actor, { clientId: client.id, name: `${client.name} site hours`, timezone, weekly: weeklyHours(info.siteHours) });
      const policy = await createSlaPolicy(adminDeps, actor, { name: `${client.name} ${tier}`, calendarId: calendar.id, targets: TIER_TARGETS[tier] });
      const { contract } = await createContract(adminDeps, actor, client.id, {
        name: `${client.name} managed services (${tier})`,
        type: contractType,
        slaPolicyId: policy.id,
        startsOn: today.toISOString().slice(0, 10),
        terms: { tier, expectedDevices: expectedDevices(info), onboardingId },
      });
      await tx.onboarding.update({ where: { id: onboardingId }, data: { clientId: client.id } });
      return { clientId: client.id, contacts: contacts.size, domains: client.domains.length, contractId: contract.id, slaPolicyId: policy.id };
    },
    { timeout: 30_000 },
  );
}
