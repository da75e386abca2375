import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One timer of a ticket workflow, as the server recorded it. */
export interface TimerFacts {
  /** Start time of the workflow task that created the timer (the workflow's Date.now() there). */
  setTaskStartedAt: number;
  /** TimerStarted: when the server received that task's completion. */
  startedAt: number;
  durationMs: number;
  /** TimerFired, if it fired. */
  firedAt?: number;
  /** Start time of the workflow task that saw it fire (the milestone's "fired at"). */
  seenAt?: number;
}

/** What the bench needs from one workflow history, all times in epoch ms (server clock). */
export interface HistoryFacts {
  /** WorkflowTaskCompleted event times. */
  tasksCompleted: number[];
  /** Per workflow task: [started time, schedule-to-start latency]. */
  scheduleToStart: Array<[number, number]>;
  /** Per completed workflow task: [started time, started -> completed]. */
  taskProcessing: Array<[number, number]>;
  /** Per completed activity: [started time, schedule-to-start, start-to-close]. */
  activities: Array<[number, number, number]>;
  tasksTimedOut: number;
  tasksFailed: number;
  /** Every timer, in the order set (the first is the one the workflow set at start). */
  timers: TimerFacts[];
}

const time = (e: HistoryEvent) => tsToMs(e.eventTime);

export function historyFacts(events: HistoryEvent[]): HistoryFacts {
  const facts: HistoryFacts = { tasksCompleted: [], scheduleToStart: [], taskProcessing: [], activities: [], tasksTimedOut: 0, tasksFailed: 0, timers: [] };
  const scheduled = new Map<string, number>();
  const taskStarted = new Map<string, number>();
  const activityScheduled = new Map<string, number>();
  const activityStarted = new Map<string, number>();
  let lastTaskStartedAt = 0;
  const timersById = new Map<string, TimerFacts>();
  let awaitingSeen: TimerFacts[] = [];
  for (const e of events) {
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        scheduled.set(String(e.eventId), time(e));
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: {
        const at = time(e);
        lastTaskStartedAt = at;
        taskStarted.set(String(e.eventId), at);
        const from = scheduled.get(String(e.workflowTaskStartedEventAttributes?.scheduledEventId));
        if (from !== undefined) facts.scheduleToStart.push([at, at - from]);
        for (const t of awaitingSeen) t.seenAt = at;
        awaitingSeen = [];
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: {
        const at = time(e);
        facts.tasksCompleted.push(at);
        const from = taskStarted.get(String(e.workflowTaskCompletedEventAttributes?.startedEventId));
        if (from !== undefined) facts.taskProcessing.push([from, at - from]);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        activityScheduled.set(String(e.eventId), time(e));
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        activityStarted.set(String(e.eventId), time(e));
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const a = e.activityTaskCompletedEventAttributes;
        const startedAt = activityStarted.get(String(a?.startedEventId));
        const scheduledAt = activityScheduled.get(String(a?.scheduledEventId));
        if (startedAt !== undefined && scheduledAt !== undefined) facts.activities.push([startedAt, startedAt - scheduledAt, time(e) - startedAt]);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
        facts.tasksTimedOut++;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
        facts.tasksFailed++;
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED: {
        const timer: TimerFacts = {
          setTaskStartedAt: lastTaskStartedAt,
          startedAt: time(e),
          durationMs: tsToMs(e.timerStartedEventAttributes?.startToFireTimeout),
        };
        timersById.set(e.timerStartedEventAttributes?.timerId ?? '', timer);
        facts.timers.push(timer);
        break;
      }
      case EventType.EVENT_TYPE_TIMER_FIRED: {
        const timer = timersById.get(e.timerFiredEventAttributes?.timerId ?? '');
        if (timer) {
          timer.firedAt = time(e);
          awaitingSeen.push(timer);
        }
        break;
      }
      default:
        break;
    }
  }
  return facts;
}

/**
 * The timer that was meant to end on `instant` (the workflow computes its duration from the
 * setting task's clock, so the one whose intended end is nearest; with pre-wake timers the earlier,
 * shorter ones end PRE_WAKE_LEAD_MS before it).
 */
export function timerAimedAt(facts: HistoryFacts, instant: number): TimerFacts | undefined {
  let best: TimerFacts | undefined;
  for (const t of facts.timers) {
    if (t.setTaskStartedAt > instant) continue;
    const miss = Math.abs(t.setTaskStartedAt + t.durationMs - instant);
    if (!best || miss < Math.abs(best.setTaskStartedAt + best.durationMs - instant)) best = t;
  }
  return best;
}
