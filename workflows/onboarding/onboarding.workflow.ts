import {
  ApplicationFailure,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { OnboardingActivities } from '../../activities/onboarding/onboarding-activities';
import { searchAttributes } from '../definitions';
import { Checklist, type DueReminder } from './checklist';
import {
  clientAnsweredSignal,
  devicesChangedSignal,
  evidenceAttachedSignal,
  itemActionUpdate,
  onboardingViewQuery,
  type ItemDefinition,
  type OnboardingView,
  type OnboardingWorkflowInput,
} from './definitions';

const acts = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '5 minutes' },
});

export interface OnboardingSummary {
  clientCode: string;
  clientId: string | null;
  templateVersion: number;
  startedAt: number;
  liveAt: number | null;
  completedAt: number;
  done: number;
  skipped: Array<{ key: string; reason: string | null }>;
  reminders: number;
  escalations: number;
}

/**
 * One per client onboarding, id `onboarding-<client code>`: runs the checklist of the template
 * version it started with. Decisions (gates, due dates, permissions, reminders) live in
 * Checklist; this function wires them to Temporal: updates, signals, activities, timers, the
 * search attributes and the Temporal UI's current details.
 */
export async function onboardingWorkflow(input: OnboardingWorkflowInput): Promise<OnboardingSummary> {
  const wfId = workflowInfo().workflowId;
  const checklist = new Checklist(input.template.definition, input.startedAt);
  let clientId: string | null = null;
  let liveAt: number | null = null;
  let phase: OnboardingView['phase'] = 'running';
  let wake = false;
  const running = new Set<string>();
  /** Automated items waiting for a signal before they check again (agents reporting in). */
  const waitingForSignal = new Set<string>();
  const requested = new Set<string>();
  /** Automated items that failed for good (bad collected data): shown, retried after the next item change. */
  const failed = new Map<string, string>();
  const counters = { reminders: 0, escalations: 0 };

  // Database writes are chained so they land in decision order; each carries every event not yet written.
  let persisted: Promise<unknown> = Promise.resolve();
  let written = 0;
  const persist = (extra: { info?: Record<string, unknown> } = {}) => {
    persisted = persisted.then(async () => {
      const now = Date.now();
      const upTo = checklist.events.length;
      const events = checklist.events.slice(written, upTo).map((e, i) => ({ ...e, dedupeKey: `${wfId}:${written + i}` }));
      await acts.persistOnboardingProgress({
        onboardingId: input.onboardingId,
        items: checklist.view(now, meta()).items.map((i) => ({
          key: i.key,
          status: i.status,
          dueAt: i.dueAt,
          doneAt: i.doneAt,
          doneBy: i.doneBy,
          skipReason: i.skipReason,
        })),
        events,
        info: extra.info,
      });
      written = Math.max(written, upTo);
    });
    return persisted;
  };

  const meta = () => ({ clientCode: input.clientCode, clientId, phase });
  const refresh = () => {
    const view = checklist.view(Date.now(), meta());
    upsertSearchAttributes([
      { key: searchAttributes.OnboardingStep, value: view.currentStep === null ? phase : String(view.currentStep) },
      ...(clientId ? [{ key: searchAttributes.ClientId, value: clientId }] : []),
    ]);
    const waiting = [...[...failed].map(([k, m]) => `FAILED ${k}: ${m}`), ...view.waitingFor].slice(0, 8);
    setCurrentDetails(
      [
        `**${input.clientName}** (${input.clientCode}) · ${phase} · ${view.done}/${view.total} items (${view.percent} %)`,
        view.currentStep === null ? 'All required items done' : `Current step: ${view.currentStep}`,
        waiting.length ? `Waiting for:\n${waiting.map((w) => `- ${w}`).join('\n')}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    wake = true;
  };

  setHandler(onboardingViewQuery, () => checklist.view(Date.now(), meta()));

  setHandler(
    itemActionUpdate,
    async (req) => {
      checklist.apply(req, Date.now());
      failed.clear(); // corrected data may let a failed automation succeed now
      refresh();
      const def = checklist.item(req.itemKey)!;
      await persist({ info: req.action === 'complete' && def.evidence === 'field' ? (req.fields ?? {}) : undefined });
      return checklist.view(Date.now(), meta());
    },
    {
      validator: (req) => {
        if (phase === 'completed') throw ApplicationFailure.nonRetryable('this onboarding is completed', 'InvalidTransition');
        const refusal = checklist.refusal(req, Date.now());
        if (refusal) throw ApplicationFailure.nonRetryable(refusal.problem, refusal.kind);
        const def = checklist.item(req.itemKey)!;
        const step = input.template.definition.steps.find((s) => s.items.includes(def))!.number;
        if (req.action === 'reopen' && liveAt !== null && step < 10) {
          throw ApplicationFailure.nonRetryable('the client is live: items of steps 1-9 can no longer be reopened', 'InvalidTransition');
        }
      },
    },
  );

  setHandler(evidenceAttachedSignal, ({ itemKey, kind }) => {
    checklist.addEvidence(itemKey, kind);
  });

  setHandler(clientAnsweredSignal, ({ itemKey, from }) => {
    const req = { action: 'complete' as const, itemKey, by: `client:${from}`, role: 'client' as const, evidenceKinds: ['EMAIL'] };
    checklist.addEvidence(itemKey, 'EMAIL');
    // A reply to an item already done, or one whose gate holds, stays stored as evidence only.
    if (checklist.refusal(req, Date.now())) return;
    checklist.apply(req, Date.now());
    refresh();
    void persist();
  });

  let deviceSignals = 0;
  setHandler(devicesChangedSignal, () => {
    deviceSignals++;
    waitingForSignal.clear();
    wake = true;
  });

  async function runAutomation(def: ItemDefinition): Promise<void> {
    const base = { onboardingId: input.onboardingId, itemKey: def.key, dedupeKey: `${wfId}:${def.key}` };
    let detail: string | undefined;
    switch (def.automation!) {
      case 'welcome-email':
        await acts.sendOnboardingEmail({ ...base, template: 'welcome' });
        break;
      case 'go-live-email':
        await acts.sendOnboardingEmail({ ...base, template: 'go-live' });
        break;
      case 'feedback-questionnaire':
        await acts.sendOnboardingEmail({ ...base, template: 'feedback' });
        break;
      case 'provision-client': {
        const r = await acts.provisionClient(base);
        clientId = r.clientId;
        detail = `client ${r.clientId}, ${r.contacts} contact(s), ${r.domains} domain(s), contract ${r.contractId}, SLA policy ${r.slaPolicyId}`;
        break;
      }
      case 'announce-internally':
        await acts.announceNewClient(base);
        break;
      case 'rmm-group':
        detail = `group ${(await acts.ensureDeviceGroup(base)).groupId}`;
        break;
      case 'agents-installed': {
        const signalsBefore = deviceSignals;
        const r = await acts.countReportingAgents(base);
        if (r.reporting < r.expected) {
          // Devices that changed while counting are counted again at once; otherwise wait for the next sync.
          if (signalsBefore === deviceSignals) waitingForSignal.add(def.key);
          return;
        }
        detail = `${r.reporting}/${r.expected} agents reporting`;
        break;
      }
      case 'record-go-live':
        liveAt = Date.now();
        phase = 'live';
        await acts.recordGoLive({ onboardingId: input.onboardingId, at: liveAt });
        break;
      case 'review-reminder':
        await acts.sendReviewReminder({ ...base, title: def.title });
        break;
    }
    checklist.automated(def.key, Date.now(), detail);
    if (liveAt !== null && phase === 'live') phase = 'following-up';
    refresh();
    await persist();
  }

  /** A request or reminder that failed for good (e.g. the address was refused): recorded in the history, not retried. */
  const failedSideEffect = (itemKey: string) => (err: unknown) => {
    const message = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    checklist.log({ at: Date.now(), itemKey, type: 'automation-failed', by: null, detail: message });
    void persist();
  };

  async function remind(r: DueReminder): Promise<void> {
    if (r.kind === 'reminder') counters.reminders++;
    else counters.escalations++;
    await acts.sendOverdueReminder({
      onboardingId: input.onboardingId,
      itemKey: r.item.key,
      kind: r.kind,
      dueAt: r.dueAt,
      dedupeKey: `${wfId}:${r.kind}:${r.item.key}:${checklist.events.length}`,
    });
  }

  setCurrentDetails(`Starting the onboarding of ${input.clientName}`);
  checklist.refreshReadiness(Date.now());
  refresh();
  await persist();

  const inFlight: Promise<void>[] = [];
  for (;;) {
    const now = Date.now();
    if (checklist.refreshReadiness(now).length) {
      refresh();
      void persist();
    }
    // Emails and reminders run beside the loop: a mail server that is down delays them (their
    // activities retry) but never holds up the checklist.
    for (const def of checklist.allItems()) {
      if (def.requestByEmail && !requested.has(def.key) && checklist.status(def.key) === 'OPEN' && checklist.isReady(def.key, now)) {
        requested.add(def.key);
        inFlight.push(
          acts.requestFromClient({ onboardingId: input.onboardingId, itemKey: def.key, dedupeKey: `${wfId}:request:${def.key}` }).catch(failedSideEffect(def.key)),
        );
      }
    }
    for (const def of checklist.automationsDue(now)) {
      if (running.has(def.key) || waitingForSignal.has(def.key) || failed.has(def.key)) continue;
      running.add(def.key);
      inFlight.push(
        runAutomation(def)
          .catch((err: unknown) => {
            const message = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
            failed.set(def.key, message);
            checklist.log({ at: Date.now(), itemKey: def.key, type: 'automation-failed', by: null, detail: message });
            refresh();
            void persist();
          })
          .finally(() => {
            running.delete(def.key);
            wake = true;
          }),
      );
    }
    const due = checklist.takeDueReminders(now);
    if (due.length) {
      refresh();
      await persist();
      for (const r of due) inFlight.push(remind(r).catch(failedSideEffect(r.item.key)));
    }
    if (checklist.allClosed() && running.size === 0) break;
    const next = checklist.nextWakeAt(Date.now());
    wake = false;
    await condition(() => wake, next === null ? undefined : Math.max(1, next - Date.now()));
  }

  await Promise.all(inFlight);
  phase = 'completed';
  const completedAt = Date.now();
  const view = checklist.view(completedAt, meta());
  const summary: OnboardingSummary = {
    clientCode: input.clientCode,
    clientId,
    templateVersion: input.template.version,
    startedAt: input.startedAt,
    liveAt,
    completedAt,
    done: view.items.filter((i) => i.status === 'DONE').length,
    skipped: view.items.filter((i) => i.status === 'SKIPPED').map((i) => ({ key: i.key, reason: i.skipReason })),
    ...counters,
  };
  checklist.log({ at: completedAt, itemKey: null, type: 'completed-onboarding', by: null });
  refresh();
  await persist();
  await acts.completeOnboarding({ onboardingId: input.onboardingId, summary });
  setCurrentDetails(`Completed: ${summary.done} items done, ${summary.skipped.length} skipped, ${summary.reminders} reminders, ${summary.escalations} escalations`);
  return summary;
}
