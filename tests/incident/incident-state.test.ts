import { IncidentState } from '../../workflows/incident/incident-state';
import { transitionError } from '../../workflows/incident/lifecycle';
import { DEFAULT_ESCALATION, DEFAULT_WARN_AT, type SlaPolicySnapshot } from '../../workflows/incident/sla-tracker';
import { parisOfficeHours } from '../support/sla-fixtures';

const paris = (local: string) => {
  // Europe/Paris is UTC+1 in November.
  return Date.parse(`${local}:00+01:00`);
};

const policy: SlaPolicySnapshot = {
  policyId: 'p',
  name: 'Standard',
  calendar: { timezone: 'Europe/Paris', weekly: parisOfficeHours as never, holidays: ['2026-11-23'] },
  targets: {
    P1: { firstResponseMinutes: 15, resolutionMinutes: 240, twentyFourSeven: true },
    P3: { firstResponseMinutes: 240, resolutionMinutes: 1440, twentyFourSeven: false },
  },
  warnAt: DEFAULT_WARN_AT,
  escalation: DEFAULT_ESCALATION,
  autoCloseBusinessDays: 2,
  reopenWindowDays: 14,
};

const input = { ticketId: 7, clientId: 'c', clientName: 'ACME', subject: 'VPN down', priority: 'P3' };

function started(at: string) {
  const incident = IncidentState.start({ ...input, createdAt: paris(at) }, paris(at));
  incident.setPolicy(policy, paris(at), 'initial');
  return incident;
}

describe('incident lifecycle', () => {
  it('refuses invalid transitions with the allowed ones in the reason', () => {
    expect(transitionError('NEW', 'CLOSED')).toMatch(/cannot go from NEW to CLOSED; allowed next: ACKNOWLEDGED/);
    expect(transitionError('RESOLVED', 'RESOLVED')).toMatch(/already RESOLVED/);
    expect(transitionError('WAITING_ON_CLIENT', 'IN_PROGRESS')).toBeNull();
  });
});

describe('SLA clocks in the incident', () => {
  it('counts business hours across a weekend and a holiday (Friday 17:00 + 240 min, Monday off)', () => {
    const incident = started('2026-11-20T17:00');
    const view = incident.view(paris('2026-11-20T17:00'));
    // Friday 17:00-18:00 (60) + Tuesday 09:00-12:00 (180): due Tuesday 12:00, Monday being a holiday.
    expect(view.sla.firstResponse!.deadlineAt).toBe(paris('2026-11-24T12:00'));
    expect(view.sla.status).toBe('ok');
    expect(view.sla.nextMilestone).toEqual({ key: 'firstResponse:warning:50', at: paris('2026-11-24T10:00') });
  });

  it('fires each milestone once, in order, and never again', () => {
    const incident = started('2026-11-20T17:00');
    const due = incident.takeDueMilestones(paris('2026-11-24T11:00'));
    expect(due.map((d) => d.milestone.key)).toEqual(['firstResponse:warning:50', 'firstResponse:warning:75', 'firstResponse:escalation:L1']);
    expect(due.map((d) => d.event)).toEqual(['sla.warning', 'sla.warning', 'escalation.L1']);
    expect(incident.takeDueMilestones(paris('2026-11-24T11:00'))).toEqual([]);
    expect(incident.view(paris('2026-11-24T11:00')).sla.status).toBe('warning');
  });

  it('pauses the resolution clock while waiting on the client and resumes it on reply, keeping elapsed time', () => {
    const incident = started('2026-11-24T09:00');
    incident.changeStatus('IN_PROGRESS', paris('2026-11-24T10:00'), 'tech');
    incident.changeStatus('WAITING_ON_CLIENT', paris('2026-11-24T11:00'), 'tech');
    const paused = incident.view(paris('2026-11-25T15:00'));
    expect(paused.sla.paused).toBe(true);
    expect(paused.sla.status).toBe('paused');
    expect(paused.sla.resolution!.elapsedMinutes).toBe(120);
    expect(paused.sla.resolution!.deadlineAt).toBeNull();
    incident.clientReplied(paris('2026-11-25T15:00'), paris('2026-11-25T15:00'));
    const resumed = incident.view(paris('2026-11-25T15:00'));
    expect(resumed.status).toBe('IN_PROGRESS');
    expect(resumed.sla.resolution!.elapsedMinutes).toBe(120);
    // 1440 - 120 = 1320 business minutes from Wednesday 15:00.
    expect(resumed.sla.resolution!.remainingMinutes).toBe(1320);
    const types = incident.timeline.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['first-response', 'paused', 'resumed']));
  });

  it('fires a threshold that was passed during a pause only after the resume, once', () => {
    const incident = started('2026-11-24T09:00');
    incident.changeStatus('WAITING_ON_CLIENT', paris('2026-11-24T09:30'), 'tech');
    // Paused: no resolution milestone is due however long we wait.
    expect(incident.takeDueMilestones(paris('2026-12-10T09:00')).filter((d) => d.milestone.clock === 'resolution')).toEqual([]);
    incident.clientReplied(paris('2026-12-10T09:00'), paris('2026-12-10T09:00'));
    const next = incident.view(paris('2026-12-10T09:00')).sla.nextMilestone!;
    expect(next.key).toBe('resolution:warning:50');
    expect(next.at).toBeGreaterThan(paris('2026-12-10T09:00'));
  });

  it('recomputes deadlines on a priority change without losing elapsed time', () => {
    const incident = started('2026-11-24T09:00');
    incident.changeStatus('IN_PROGRESS', paris('2026-11-24T09:05'), 'tech');
    const before = incident.view(paris('2026-11-24T10:00')).sla.resolution!;
    expect(before.elapsedMinutes).toBe(60);
    incident.changePriority('P1', paris('2026-11-24T10:00'), 'tech');
    const after = incident.view(paris('2026-11-24T10:00'));
    // P1 runs 24/7 with a 240-minute target; the 60 minutes already used still count.
    expect(after.sla.resolution!.targetMinutes).toBe(240);
    expect(after.sla.resolution!.elapsedMinutes).toBe(60);
    expect(after.sla.resolution!.deadlineAt).toBe(paris('2026-11-24T13:00'));
    expect(incident.timeline.filter((e) => e.type === 'recomputed').length).toBe(2);
  });

  it('auto-closes N business days after resolution, and allows a reopen within the window', () => {
    const incident = started('2026-11-26T10:00'); // Thursday
    incident.changeStatus('RESOLVED', paris('2026-11-26T11:00'), 'tech');
    expect(incident.view(paris('2026-11-26T11:00')).sla.status).toBe('met');
    // 2 business days after Thursday 11:00: Friday, then Monday (the weekend is skipped).
    expect(incident.nextWakeAt()).toBe(paris('2026-11-30T11:00'));
    expect(incident.autoCloseDue(paris('2026-11-30T10:59'))).toBeNull();
    const closed = incident.autoCloseDue(paris('2026-11-30T11:00'))!;
    expect(closed.change.status).toBe('CLOSED');
    expect(incident.canReopen(paris('2026-12-05T00:00'))).toBe(true);
    expect(incident.clientReplied(paris('2026-12-05T00:00'), paris('2026-12-05T00:00'))!.change.status).toBe('IN_PROGRESS');
    expect(incident.status).toBe('IN_PROGRESS');
  });

  it('survives continue-as-new: the carried state restores the same view', () => {
    const incident = started('2026-11-24T09:00');
    incident.changeStatus('WAITING_ON_CLIENT', paris('2026-11-24T10:00'), 'tech');
    const restored = IncidentState.restore(incident.carry());
    expect(restored.view(paris('2026-11-25T10:00'))).toEqual(incident.view(paris('2026-11-25T10:00')));
    expect(restored.timeline).toEqual(incident.timeline);
  });
});
