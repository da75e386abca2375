import type { PrismaClient } from '../../lib/db/prisma';
import type { EscalationSettings } from '../../activities/sla/sla-policy-service';
import type { Priority } from '../../workflows/incident/sla-tracker';

/** Paris office hours, Mon-Fri 09:00-12:00 and 14:00-18:00. */
export const parisOfficeHours = {
  mon: [['09:00', '12:00'], ['14:00', '18:00']],
  tue: [['09:00', '12:00'], ['14:00', '18:00']],
  wed: [['09:00', '12:00'], ['14:00', '18:00']],
  thu: [['09:00', '12:00'], ['14:00', '18:00']],
  fri: [['09:00', '12:00'], ['14:00', '18:00']],
  sat: [],
  sun: [],
};

type TargetMinutes = { firstResponseMinutes: number; resolutionMinutes: number };

/** The standard targets in business minutes; P1 runs 24/7 and ignores the office hours. */
const standardTargets: Array<{ priority: Priority; twentyFourSeven?: boolean } & TargetMinutes> = [
  { priority: 'P1', firstResponseMinutes: 15, resolutionMinutes: 240, twentyFourSeven: true },
  { priority: 'P2', firstResponseMinutes: 60, resolutionMinutes: 480 },
  { priority: 'P3', firstResponseMinutes: 240, resolutionMinutes: 1440 },
  { priority: 'P4', firstResponseMinutes: 480, resolutionMinutes: 2880 },
];

/**
 * A client contract with an SLA policy: business-hours calendar, targets per priority, P1 24/7.
 * `targets` replaces the minutes of some priorities (the bench moves P1's deadlines).
 */
export async function seedSlaContract(
  prisma: PrismaClient,
  clientId: string,
  opts: {
    holidays?: string[];
    escalation?: EscalationSettings;
    timezone?: string;
    policyName?: string;
    targets?: Partial<Record<Priority, TargetMinutes>>;
  } = {},
) {
  const calendar = await prisma.businessCalendar.create({
    data: {
      clientId,
      name: 'Office hours',
      timezone: opts.timezone ?? 'Europe/Paris',
      weeklyHours: parisOfficeHours,
      holidays: { create: (opts.holidays ?? []).map((date) => ({ date: new Date(`${date}T00:00:00Z`), name: 'Holiday' })) },
    },
  });
  const policy = await prisma.slaPolicy.create({
    data: {
      name: opts.policyName ?? 'Standard',
      calendarId: calendar.id,
      escalation: (opts.escalation ?? {}) as object,
      targets: { create: standardTargets.map((t) => ({ ...t, ...opts.targets?.[t.priority] })) },
    },
  });
  const contract = await prisma.contract.create({
    data: { clientId, name: 'Managed services', type: 'MONTHLY_FIXED', slaPolicyId: policy.id, startsOn: new Date('2020-01-01') },
  });
  return { calendar, policy, contract };
}
