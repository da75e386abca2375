import type { PrismaClient } from '../../lib/db/prisma';
import { NotFoundError } from '../../lib/errors';
import { assertValidCalendar, type BusinessCalendar } from '../../workflows/sla';
import {
  DEFAULT_ESCALATION,
  DEFAULT_WARN_AT,
  type EscalationLevel,
  type Priority,
  type SlaPolicySnapshot,
  type SlaTargets,
} from '../../workflows/incident/sla-tracker';

export interface SlaPolicyDeps {
  prisma: PrismaClient;
}

/** Escalation settings stored on SlaPolicy.escalation (JSON); every key optional. */
export interface EscalationSettings {
  warnAt?: number[];
  levels?: EscalationLevel[];
  autoCloseBusinessDays?: number;
  reopenWindowDays?: number;
}

const DEFAULT_AUTO_CLOSE_BUSINESS_DAYS = 5;
export const DEFAULT_REOPEN_WINDOW_DAYS = 14;

/**
 * The SLA policy that applies to a ticket now: its client's active contract's policy, with the
 * calendar and holidays, as a plain snapshot the workflow can compute with. null when the
 * client has no contract with an SLA (the ticket then has a lifecycle but no clock).
 */
export async function loadSlaPolicyForTicket(deps: SlaPolicyDeps, ticketId: number, now = new Date()): Promise<SlaPolicySnapshot | null> {
  const ticket = await deps.prisma.ticket.findUnique({ where: { id: ticketId }, select: { clientId: true } });
  if (!ticket) throw new NotFoundError(`Ticket ${ticketId}`);
  const contract = await deps.prisma.contract.findFirst({
    where: {
      clientId: ticket.clientId,
      active: true,
      slaPolicyId: { not: null },
      startsOn: { lte: now },
      OR: [{ endsOn: null }, { endsOn: { gte: now } }],
    },
    orderBy: { startsOn: 'desc' },
    include: { slaPolicy: { include: { targets: true, calendar: { include: { holidays: true } } } } },
  });
  const policy = contract?.slaPolicy;
  if (!policy) return null;
  const calendar: BusinessCalendar = {
    timezone: policy.calendar.timezone,
    weekly: policy.calendar.weeklyHours as unknown as BusinessCalendar['weekly'],
    holidays: policy.calendar.holidays.map((h) => h.date.toISOString().slice(0, 10)).sort(),
  };
  assertValidCalendar(calendar);
  const targets: Partial<Record<Priority, SlaTargets>> = {};
  for (const t of policy.targets) {
    targets[t.priority] = {
      firstResponseMinutes: t.firstResponseMinutes,
      resolutionMinutes: t.resolutionMinutes,
      twentyFourSeven: t.twentyFourSeven,
    };
  }
  const settings = (policy.escalation ?? {}) as EscalationSettings;
  return {
    policyId: policy.id,
    name: policy.name,
    calendar,
    targets,
    warnAt: settings.warnAt ?? DEFAULT_WARN_AT,
    escalation: settings.levels ?? DEFAULT_ESCALATION,
    autoCloseBusinessDays: settings.autoCloseBusinessDays ?? DEFAULT_AUTO_CLOSE_BUSINESS_DAYS,
    reopenWindowDays: settings.reopenWindowDays ?? DEFAULT_REOPEN_WINDOW_DAYS,
  };
}
