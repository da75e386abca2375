import { Context } from '@temporalio/activity';
import type { Prisma, PrismaClient } from '../../lib/db/prisma';
import { NotFoundError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { ItemEvent, ItemStatus } from '../../workflows/onboarding/definitions';
import type { NotifyInput } from '../notify/notification-service';
import type { DeviceGroupPort, OnboardingMailer, OnboardingMailTemplate } from './ports';
import { expectedDevices, provisionClientFromOnboarding, type CollectedInfo } from './provisioning';

export interface OnboardingActivityDeps {
  prisma: PrismaClient;
  log: Logger;
  mailer: OnboardingMailer;
  devices: DeviceGroupPort;
  notify(input: NotifyInput): Promise<unknown>;
  /** Shown in client emails; staffLocale for mail to MSP staff (default French). */
  mail: { supportAddress: string; msp: string; staffLocale?: 'fr' | 'en' };
}

type Base = { onboardingId: string; itemKey: string; dedupeKey: string };

export function createOnboardingActivities(deps: OnboardingActivityDeps) {
  const load = async (id: string) => {
    const o = await deps.prisma.onboarding.findUnique({ where: { id } });
    if (!o) throw new NotFoundError(`Onboarding ${id}`);
    return o;
  };
  const itemOf = async (onboardingId: string, key: string) => {
    const item = await deps.prisma.onboardingItem.findUnique({ where: { onboardingId_key: { onboardingId, key } } });
    if (!item) throw new NotFoundError(`Onboarding item ${key}`);
    return item;
  };
  const clientOf = async (onboardingId: string) => {
    const o = await load(onboardingId);
    if (!o.clientId) throw new NotFoundError(`The client of onboarding ${o.clientCode} (not created yet)`);
    return { id: o.clientId, code: o.clientCode, name: o.clientName, onboarding: o };
  };
  const mailData = (o: Awaited<ReturnType<typeof load>>, extra: Record<string, string> = {}) => ({
    clientName: o.clientName,
    contactName: o.contactName,
    msp: deps.mail.msp,
    supportAddress: deps.mail.supportAddress,
    welcomeUrl: `mailto:${deps.mail.supportAddress}?subject=welcome`,
    feedbackUrl: `mailto:${deps.mail.supportAddress}?subject=${encodeURIComponent(`Feedback ${o.clientCode}`)}`,
    ...extra,
  });
  const locale = (o: { locale: string }) => (o.locale === 'en' ? 'en' : 'fr') as 'fr' | 'en';

  return {
    /** Writes the workflow's view of the checklist: item states and due dates, new history events, collected fields. */
    async persistOnboardingProgress(input: {
      onboardingId: string;
      items: Array<{ key: string; status: ItemStatus; dueAt: number | null; doneAt: number | null; doneBy: string | null; skipReason: string | null }>;
      events: Array<ItemEvent & { dedupeKey: string }>;
      info?: Record<string, unknown>;
    }): Promise<void> {
      await deps.prisma.$transaction(async (tx) => {
        for (const i of input.items) {
          await tx.onboardingItem.updateMany({
            where: { onboardingId: input.onboardingId, key: i.key },
            data: {
              status: i.status,
              dueAt: i.dueAt === null ? null : new Date(i.dueAt),
              doneAt: i.doneAt === null ? null : new Date(i.doneAt),
              doneBy: i.doneBy,
              skipReason: i.skipReason,
            },
          });
        }
        if (input.events.length) {
          await tx.onboardingEvent.createMany({
            data: input.events.map((e) => ({
              onboardingId: input.onboardingId,
              itemKey: e.itemKey,
              type: e.type,
              by: e.by,
              data: (e.detail ? { detail: e.detail } : {}) as Prisma.InputJsonValue,
              dedupeKey: e.dedupeKey,
              at: new Date(e.at),
            })),
            skipDuplicates: true,
          });
        }
        if (input.info && Object.keys(input.info).length) {
          const row = await tx.onboarding.findUniqueOrThrow({ where: { id: input.onboardingId }, select: { info: true } });
          await tx.onboarding.update({
            where: { id: input.onboardingId },
            data: { info: { ...((row.info ?? {}) as object), ...input.info } as Prisma.InputJsonValue },
          });
        }
      });
    },

    async sendOnboardingEmail(input: Base & { template: Extract<OnboardingMailTemplate, 'welcome' | 'go-live' | 'feedback'> }): Promise<{ messageId: string }> {
      const o = await load(input.onboardingId);
      const r = await deps.mailer.send({
        onboardingId: o.id,
        to: o.contactEmail,
        template: input.template,
        locale: locale(o),
        data: mailData(o),
        idempotencyKey: input.dedupeKey,
      });
      return { messageId: r.messageId };
    },

    /** "Please send us X": the email carries a reply token for the item. */
    async requestFromClient(input: Base): Promise<void> {
      const o = await load(input.onboardingId);
      const item = await itemOf(o.id, input.itemKey);
      await deps.mailer.send({
        onboardingId: o.id,
        to: o.contactEmail,
        template: 'request',
        locale: locale(o),
        data: mailData(o, { itemTitle: item.title }),
        replyItemId: item.id,
        idempotencyKey: input.dedupeKey,
      });
    },

    async provisionClient(input: Base) {
      // The contract starts today by the wall clock, which is what ticket SLA look-ups compare with.
      const today = new Date();
      return provisionClientFromOnboarding({ prisma: deps.prisma, temporal: Context.current().client, log: deps.log }, input.onboardingId, today);
    },

    async announceNewClient(input: Base): Promise<void> {
      const { id, onboarding } = await clientOf(input.onboardingId);
      const info = onboarding.info as CollectedInfo;
      await deps.notify({
        clientId: id,
        event: 'onboarding.new-client',
        dedupeKey: input.dedupeKey,
        message: {
          title: `New client: ${onboarding.clientName}`,
          text: `${onboarding.clientName} (${onboarding.clientCode}) is being onboarded: ${info.tier ?? '?'} tier, ${expectedDevices(info)} devices. Contact: ${onboarding.contactName} <${onboarding.contactEmail}>.`,
          severity: 'info',
        },
      });
    },

    async ensureDeviceGroup(input: Base): Promise<{ groupId: string }> {
      const client = await clientOf(input.onboardingId);
      return deps.devices.ensureGroup(client);
    },

    async countReportingAgents(input: Base): Promise<{ reporting: number; expected: number }> {
      const client = await clientOf(input.onboardingId);
      const expected = expectedDevices(client.onboarding.info as CollectedInfo);
      return { reporting: await deps.devices.countReportingAgents(client), expected };
    },

    async recordGoLive(input: { onboardingId: string; at: number }): Promise<void> {
      await deps.prisma.onboarding.update({ where: { id: input.onboardingId }, data: { status: 'LIVE', liveAt: new Date(input.at) } });
    },

    async sendReviewReminder(input: Base & { title: string }): Promise<void> {
      const o = await load(input.onboardingId);
      await deps.notify({
        clientId: o.clientId,
        event: 'onboarding.review',
        dedupeKey: input.dedupeKey,
        message: { title: `${o.clientName}: ${input.title}`, text: `Time for the ${input.title.toLowerCase()} with ${o.clientName} (${o.contactName} <${o.contactEmail}>): schedule the meeting.`, severity: 'info' },
      });
    },

    /** Overdue: the owner is reminded (a client by email, staff through the notification routes); then the onboarding manager gets the escalation. */
    async sendOverdueReminder(input: { onboardingId: string; itemKey: string; kind: 'reminder' | 'escalation'; dueAt: number; dedupeKey: string }): Promise<void> {
      const o = await load(input.onboardingId);
      const item = await itemOf(o.id, input.itemKey);
      const due = new Date(input.dueAt).toISOString().slice(0, 10);
      if (input.kind === 'reminder' && item.ownerRole === 'client') {
        await deps.mailer.send({
          onboardingId: o.id,
          to: o.contactEmail,
          template: 'reminder',
          locale: locale(o),
          data: mailData(o, { itemTitle: item.title, dueDate: due }),
          replyItemId: item.id,
          idempotencyKey: input.dedupeKey,
        });
        return;
      }
      const manager = await deps.prisma.user.findUnique({ where: { id: o.managerId }, select: { name: true, email: true, active: true } });
      const escalation = input.kind === 'escalation';
      if (escalation && manager?.active) {
        // The manager in person, not only whoever the routes reach.
        await deps.mailer.send({
          onboardingId: o.id,
          to: manager.email,
          template: 'escalation',
          locale: deps.mail.staffLocale ?? 'fr',
          data: mailData(o, { managerName: manager.name, itemTitle: item.title, ownerRole: item.ownerRole, dueDate: due }),
          idempotencyKey: `${input.dedupeKey}:manager`,
        });
      }
      await deps.notify({
        clientId: o.clientId,
        event: escalation ? 'onboarding.escalation' : 'onboarding.reminder',
        dedupeKey: input.dedupeKey,
        message: {
          title: `${escalation ? 'Escalated' : 'Overdue'}: ${item.title} (${o.clientName})`,
          text: escalation
            ? `For ${manager?.name ?? 'the onboarding manager'} <${manager?.email ?? '?'}>: "${item.title}" (owner: ${item.ownerRole}) of ${o.clientName}'s onboarding was due ${due} and is still open.`
            : `"${item.title}" of ${o.clientName}'s onboarding was due ${due}; owner: ${item.ownerRole}.`,
          severity: escalation ? 'critical' : 'warning',
        },
      });
    },

    async completeOnboarding(input: { onboardingId: string; summary: object }): Promise<void> {
      const completedAt = new Date((input.summary as { completedAt: number }).completedAt);
      await deps.prisma.onboarding.update({
        where: { id: input.onboardingId },
        data: { status: 'COMPLETED', completedAt, summary: input.summary as Prisma.InputJsonValue },
      });
    },
  };
}

export type OnboardingActivities = ReturnType<typeof createOnboardingActivities>;
