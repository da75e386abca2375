import {
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SlaActivities } from '../activities/sla/sla-activities';
import type { TicketActivities } from '../activities/tickets/ticket-activities';
import {
  assignUpdate,
  changePriorityUpdate,
  changeStatusUpdate,
  clientRepliedSignal,
  searchAttributes,
  slaPolicyChangedSignal,
  slaTimelineQuery,
  technicianRepliedSignal,
  ticketNumber,
  ticketViewQuery,
  type SlaTimelineEntry,
  type TicketPriority,
  type TicketStatus,
  type TicketWorkflowInput,
} from './definitions';
import { transitionError } from './incident/lifecycle';
import { IncidentState, type CarriedIncident } from './incident/incident-state';
import { wakeDelayMs } from './incident/wake-timer';

const ticketActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
} as const;
const slaActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '5 minutes', maximumAttempts: 20 },
} as const;

/**
 * Since this patch the workflow's own writes and SLA notifications run as local activities: their
 * results come back inside the workflow task that asked for them, so an SLA milestone costs one
 * workflow task instead of three, which is what keeps a thousand deadlines due in the same minute
 * on time (bench:sla). They stay idempotent by business key: a worker that dies mid-task makes the
 * next one run them again, writing and sending nothing twice. The same patch starts record +
 * policy load in parallel and splits long SLA waits (wake-timer.ts). Histories recorded before it
 * replay the remote-activity path.
 */
const LOCAL_ACTIVITIES_PATCH = 'sla-local-activities';
// (proxies have no own keys to spread: each function is picked by name)
const remoteTicket = proxyActivities<TicketActivities>(ticketActivityOptions);
const remoteSla = proxyActivities<SlaActivities>(slaActivityOptions);
const localTicket = proxyLocalActivities<TicketActivities>(ticketActivityOptions);
const localSla = proxyLocalActivities<SlaActivities>(slaActivityOptions);
const remote = {
  recordTicketWorkflowStarted: remoteTicket.recordTicketWorkflowStarted,
  persistTicketChange: remoteTicket.persistTicketChange,
  loadSlaPolicy: remoteSla.loadSlaPolicy,
  sendSlaNotification: remoteSla.sendSlaNotification,
};
const local: typeof remote = {
  recordTicketWorkflowStarted: localTicket.recordTicketWorkflowStarted,
  persistTicketChange: localTicket.persistTicketChange,
  loadSlaPolicy: localSla.loadSlaPolicy,
  sendSlaNotification: localSla.sendSlaNotification,
};

const PRIORITIES: readonly TicketPriority[] = ['P1', 'P2', 'P3', 'P4'];

/**
 * One per ticket, id `ticket-<id>`: the incident's life and its SLA clocks. The decisions live
 * in IncidentState (pure); this function only wires Temporal: handlers, timers, activities,
 * search attributes and the Temporal UI's current details.
 */
export async function ticketWorkflow(input: TicketWorkflowInput, carried?: CarriedIncident): Promise<TicketStatus> {
  const incident = carried ? IncidentState.restore(carried) : IncidentState.start(input, Date.now());
  const v2 = patched(LOCAL_ACTIVITIES_PATCH);
  const { recordTicketWorkflowStarted, persistTicketChange, loadSlaPolicy, sendSlaNotification } = v2 ? local : remote;
  let wake = false;
  // Persisting is chained so database writes happen in decision order even when updates overlap.
  let persisted: Promise<unknown> = Promise.resolve();
  const persist = (work: () => Promise<unknown>) => {
    persisted = persisted.then(work);
    return persisted;
  };

  const refresh = () => {
    const view = incident.view(Date.now());
    upsertSearchAttributes([
      { key: searchAttributes.SlaStatus, value: view.sla.status },
      { key: searchAttributes.Priority, value: view.priority },
      { key: searchAttributes.Assignee, value: view.assigneeId ?? 'unassigned' },
    ]);
    setCurrentDetails(incident.describe(Date.now()));
    wake = true;
  };

  const saveEvents = (entries: SlaTimelineEntry[], change: Parameters<TicketActivities['persistTicketChange']>[0]['change']) => {
    if (entries.length === 0) return persisted;
    const events = entries.map((entry) => ({
      type: `sla.${entry.type}`,
      dedupeKey: `${workflowInfo().workflowId}:${incident.eventSeq(entry)}`,
      at: entry.at,
      data: { ...entry },
    }));
    return persist(() => persistTicketChange({ ticketId: input.ticketId, change, events }));
  };

  setHandler(ticketViewQuery, () => incident.view(Date.now()));
  setHandler(slaTimelineQuery, () => incident.timeline);

  setHandler(
    changeStatusUpdate,
    async (req) => {
      const { entries, change } = incident.changeStatus(req.to, Date.now(), req.by, req.reason);
      refresh();
      await saveEvents(entries, change);
      return incident.view(Date.now());
    },
    {
      validator: (req) => {
        const error = transitionError(incident.status, req.to);
        if (error) throw ApplicationFailure.nonRetryable(error, 'InvalidTransition');
        if (req.to === 'IN_PROGRESS' && incident.status === 'CLOSED' && !incident.canReopen(Date.now())) {
          throw ApplicationFailure.nonRetryable('the reopen window of this closed ticket has passed; open a new ticket', 'InvalidTransition');
        }
      },
    },
  );

  setHandler(
    changePriorityUpdate,
    async (req) => {
      const { entries, change } = incident.changePriority(req.priority, Date.now(), req.by, req.reason);
      refresh();
      await saveEvents(entries, change);
      if (req.priority === 'P1') await notifyNewP1();
      return incident.view(Date.now());
    },
    {
      validator: (req) => {
        if (!PRIORITIES.includes(req.priority)) throw ApplicationFailure.nonRetryable(`unknown priority "${req.priority}"`, 'InvalidRequest');
        if (req.priority === incident.priority) throw ApplicationFailure.nonRetryable(`the ticket is already ${req.priority}`, 'InvalidRequest');
        if (incident.status === 'CLOSED') throw ApplicationFailure.nonRetryable('a closed ticket cannot change priority', 'InvalidTransition');
      },
    },
  );

  setHandler(
    assignUpdate,
    async (req) => {
      const { entries, change } = incident.assign(req.assigneeId, Date.now(), req.by);
      refresh();
      await saveEvents(entries, change);
      return incident.view(Date.now());
    },
    {
      validator: (req) => {
        if (req.assigneeId === incident.assigneeId) throw ApplicationFailure.nonRetryable('the ticket already has this assignee', 'InvalidRequest');
        if (incident.status === 'CLOSED') throw ApplicationFailure.nonRetryable('a closed ticket cannot be reassigned', 'InvalidTransition');
      },
    },
  );

  setHandler(clientRepliedSignal, ({ at }) => {
    const result = incident.clientReplied(Math.max(at, incident.createdAt), Date.now());
    if (!result) return;
    refresh();
    void saveEvents(result.entries, result.change);
  });

  setHandler(technicianRepliedSignal, ({ at, by }) => {
    const result = incident.technicianReplied(at, by);
    if (!result) return;
    refresh();
    void saveEvents(result.entries, result.change);
  });

  let policyReload = false;
  setHandler(slaPolicyChangedSignal, () => {
    policyReload = true;
    wake = true;
  });

  async function notifyNewP1() {
    await sendSlaNotification({
      clientId: input.clientId,
      ticketId: input.ticketId,
      event: 'ticket.new-p1',
      dedupeKey: `${workflowInfo().workflowId}:new-p1`,
      message: {
        title: `New P1: ${ticketNumber(input.ticketId)} ${input.subject}`,
        text: `${input.clientName} opened a P1 ticket: ${input.subject}`,
        severity: 'critical',
        ticket: { id: input.ticketId, number: ticketNumber(input.ticketId), subject: input.subject },
      },
    });
  }

  if (!carried) {
    setCurrentDetails(`Recording ${ticketNumber(input.ticketId)} and loading its SLA policy`);
    if (v2) {
      const [, policy] = await Promise.all([
        recordTicketWorkflowStarted({ ticketId: input.ticketId }),
        loadSlaPolicy({ ticketId: input.ticketId }),
      ]);
      incident.setPolicy(policy, Date.now(), 'initial policy');
      await Promise.all([saveEvents(incident.timeline.slice(), {}), incident.priority === 'P1' ? notifyNewP1() : undefined]);
    } else {
      await recordTicketWorkflowStarted({ ticketId: input.ticketId });
      incident.setPolicy(await loadSlaPolicy({ ticketId: input.ticketId }), Date.now(), 'initial policy');
      await saveEvents(incident.timeline.slice(), {});
      if (incident.priority === 'P1') await notifyNewP1();
    }
  }
  refresh();

  for (;;) {
    if (policyReload) {
      policyReload = false;
      const entries = incident.setPolicy(await loadSlaPolicy({ ticketId: input.ticketId }), Date.now(), 'policy or calendar changed');
      refresh();
      await saveEvents(entries, {});
    }

    for (const due of incident.takeDueMilestones(Date.now())) {
      refresh();
      await saveEvents([due.entry], {});
      await sendSlaNotification({
        clientId: input.clientId,
        ticketId: input.ticketId,
        event: due.event,
        dedupeKey: `${workflowInfo().workflowId}:${due.milestone.key}`,
        message: due.message(input),
      });
    }

    const auto = incident.autoCloseDue(Date.now());
    if (auto) {
      refresh();
      await saveEvents(auto.entries, auto.change);
    }

    if (incident.finished(Date.now())) break;

    if (workflowInfo().continueAsNewSuggested) {
      await persisted;
      await continueAsNew<typeof ticketWorkflow>(input, incident.carry());
    }

    const next = incident.nextWakeAt();
    wake = false;
    await condition(() => wake, next === null ? undefined : wakeDelayMs(next, Date.now(), v2));
  }

  await persisted;
  setCurrentDetails(`Closed; the reopen window has ended`);
  return incident.status;
}
