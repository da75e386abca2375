import { standardTemplate } from '../../activities/onboarding/default-template';
import { parseTemplateDefinition } from '../../activities/onboarding/template-definition';
import { Checklist, DAY_MS } from '../../workflows/onboarding/checklist';
import type { ItemActionRequest, TemplateDefinition } from '../../workflows/onboarding/definitions';

/** The checklist's decisions as pure logic: gates, due dates, permissions, evidence, reminders. */
const T0 = Date.UTC(2026, 0, 5, 9);
const manager = (action: ItemActionRequest['action'], itemKey: string, extra: Partial<ItemActionRequest> = {}): ItemActionRequest => ({
  action,
  itemKey,
  by: 'u-manager',
  role: 'ONBOARDING_MANAGER',
  ...extra,
});

const stepOneAnswers: Record<string, Partial<ItemActionRequest>> = {
  'company-profile': { fields: { legalName: 'ACME SA', domains: ['acme.example'], timezone: 'Europe/Paris' } },
  contacts: { fields: { contacts: [{ name: 'Ann', email: 'ann@acme.example' }] } },
  'service-level': { fields: { tier: 'better', contractType: 'MONTHLY_FIXED', siteHours: '08:00-18:00' } },
  'device-inventory': { fields: { servers: 1, workstations: 2 } },
  'network-documentation': { evidenceKinds: ['FILE'] },
  'emergency-instructions': { evidenceKinds: ['NOTE'] },
  'credentials-vaulted': { evidenceKinds: ['LINK'] },
};

function completeStepOne(c: Checklist, at: number) {
  for (const [key, extra] of Object.entries(stepOneAnswers)) {
    const req = manager('complete', key, extra);
    expect(c.refusal(req, at)).toBeNull();
    c.apply(req, at);
  }
}

describe('onboarding checklist', () => {
  it('refuses to mark the SLA signed before step 1 is complete, naming what is missing', () => {
    const c = new Checklist(standardTemplate, T0);
    const sla = manager('complete', 'sla-signed', { evidenceKinds: ['FILE'] });
    const refusal = c.refusal(sla, T0)!;
    expect(refusal.kind).toBe('GateClosed');
    expect(refusal.problem).toMatch(/step 2\) cannot be completed before step 1 is complete/);
    expect(refusal.problem).toContain('Company profile');
    // The optional step-1 item does not hold the gate.
    expect(refusal.problem).not.toContain('Third parties');
    completeStepOne(c, T0 + DAY_MS);
    expect(c.refusal(sla, T0 + DAY_MS)).toBeNull();
  });

  it('opens go-live only after steps 7 and 8, and lets other steps run in parallel', () => {
    const c = new Checklist(standardTemplate, T0);
    expect(c.isReady('team-meeting', T0)).toBe(true);
    expect(c.isReady('project-plan', T0)).toBe(true);
    expect(c.isReady('passwords-rotated', T0)).toBe(true);
    expect(c.isReady('client-trained', T0)).toBe(true);
    expect(c.isReady('go-live-approved', T0)).toBe(false);
    completeStepOne(c, T0);
    c.apply(manager('complete', 'sla-signed', { evidenceKinds: ['FILE'] }), T0);
    for (const key of ['provision-client', 'announce-internally', 'rmm-group', 'agents-installed']) c.automated(key, T0);
    for (const key of ['passwords-rotated', 'accounts-audited', 'monitoring-tested']) c.apply(manager('complete', key, { evidenceKinds: ['NOTE'] }), T0);
    expect(c.refusal(manager('complete', 'go-live-approved'), T0)!.problem).toMatch(/before steps 7 and 8 are complete|before step 8 is complete/);
    c.apply(manager('complete', 'client-trained', { evidenceKinds: ['NOTE'] }), T0);
    // The optional firewall review (step 7) does not hold go-live.
    expect(c.refusal(manager('complete', 'go-live-approved'), T0)).toBeNull();
  });

  it('shifts the due dates of a held step by the delay of its gate', () => {
    const c = new Checklist(standardTemplate, T0);
    const planned = T0 + 4 * DAY_MS;
    expect(c.dueAt('sla-signed', T0)).toBe(planned);
    // Ten days in, step 1 still open: the SLA's due date moves with the gate.
    const later = T0 + 10 * DAY_MS;
    expect(c.dueAt('sla-signed', later)).toBe(later + DAY_MS); // planned lead: due 1 day after step 1 (due day 3)
    expect(c.takeDueReminders(later).map((r) => r.item.key)).not.toContain('sla-signed');
    completeStepOne(c, later);
    expect(c.dueAt('sla-signed', later + 5 * DAY_MS)).toBe(later + DAY_MS);
  });

  it('reminds the owner when an item is overdue, then escalates once', () => {
    const c = new Checklist(standardTemplate, T0);
    const due = c.dueAt('team-meeting', T0);
    expect(c.nextWakeAt(T0)).toBe(T0 + DAY_MS); // the first step-1 items
    const atDue = c.takeDueReminders(due).filter((r) => r.item.key === 'team-meeting');
    expect(atDue.map((r) => r.kind)).toEqual(['reminder']);
    expect(c.takeDueReminders(due + DAY_MS).filter((r) => r.item.key === 'team-meeting')).toEqual([]);
    const esc = c.takeDueReminders(due + 2 * DAY_MS).filter((r) => r.item.key === 'team-meeting');
    expect(esc.map((r) => r.kind)).toEqual(['escalation']);
    expect(c.takeDueReminders(due + 30 * DAY_MS).filter((r) => r.item.key === 'team-meeting')).toEqual([]);
    // Machine items are never "overdue".
    expect(c.takeDueReminders(T0 + 400 * DAY_MS).some((r) => r.item.automation === 'welcome-email')).toBe(false);
  });

  it('decides who may complete, skip and reopen', () => {
    const c = new Checklist(standardTemplate, T0);
    const tech = (action: ItemActionRequest['action'], key: string, extra: Partial<ItemActionRequest> = {}) =>
      ({ action, itemKey: key, by: 'u-tech', role: 'TECHNICIAN', ...extra }) as ItemActionRequest;
    expect(c.refusal(tech('complete', 'passwords-rotated', { evidenceKinds: ['NOTE'] }), T0)).toBeNull();
    expect(c.refusal(tech('complete', 'team-meeting', { evidenceKinds: ['NOTE'] }), T0)!.kind).toBe('Forbidden');
    expect(c.refusal(tech('skip', 'firewall-reviewed', { reason: 'no firewall' }), T0)!.kind).toBe('Forbidden');
    expect(c.refusal(manager('skip', 'firewall-reviewed'), T0)!.problem).toMatch(/needs a reason/);
    expect(c.refusal(manager('skip', 'firewall-reviewed', { reason: 'no firewall' }), T0)).toBeNull();
    expect(c.refusal(manager('skip', 'team-meeting', { reason: 'x' }), T0)!.problem).toMatch(/only an administrator/);
    expect(c.refusal({ ...manager('skip', 'team-meeting', { reason: 'x' }), role: 'ADMIN' }, T0)).toBeNull();
    expect(c.refusal(manager('complete', 'welcome-email'), T0)!.problem).toMatch(/automated/);
    expect(c.refusal({ ...manager('complete', 'network-documentation', { evidenceKinds: ['EMAIL'] }), role: 'client' }, T0)).toBeNull();
    expect(c.refusal({ ...manager('complete', 'team-meeting', { evidenceKinds: ['NOTE'] }), role: 'client' }, T0)!.kind).toBe('Forbidden');
    expect(c.refusal(manager('reopen', 'team-meeting', { reason: 'x' }), T0)!.kind).toBe('InvalidTransition');
    expect(c.refusal(manager('complete', 'no-such-item'), T0)!.kind).toBe('InvalidRequest');
  });

  it('requires the evidence each item expects', () => {
    const c = new Checklist(standardTemplate, T0);
    expect(c.refusal(manager('complete', 'team-meeting'), T0)!.problem).toMatch(/needs evidence of type note/);
    expect(c.refusal(manager('complete', 'device-inventory', { fields: { servers: 2 } }), T0)!.problem).toMatch(/needs these fields: workstations/);
    c.addEvidence('team-meeting', 'NOTE');
    expect(c.refusal(manager('complete', 'team-meeting'), T0)).toBeNull();
  });

  it('reopening gives the item a fresh due date and new reminders', () => {
    const c = new Checklist(standardTemplate, T0);
    c.apply(manager('complete', 'team-meeting', { evidenceKinds: ['NOTE'] }), T0);
    const later = T0 + 20 * DAY_MS;
    c.apply(manager('reopen', 'team-meeting', { reason: 'minutes missing' }), later);
    expect(c.status('team-meeting')).toBe('OPEN');
    expect(c.dueAt('team-meeting', later)).toBeGreaterThan(later);
    expect(c.takeDueReminders(later).some((r) => r.item.key === 'team-meeting')).toBe(false);
  });

  it('schedules the follow-up reviews 30, 60 and 90 days after go-live', () => {
    const c = new Checklist(standardTemplate, T0);
    for (const def of c.allItems()) {
      if (def.key.startsWith('review-') || def.key === 'feedback-questionnaire') continue;
      if (def.automation) c.automated(def.key, T0);
      else c.apply({ ...manager('complete', def.key, { ...stepOneAnswers[def.key], evidenceKinds: ['NOTE', 'FILE', 'LINK'] }), role: 'ADMIN' }, T0);
    }
    expect(c.isReady('review-30', T0 + 30 * DAY_MS - 1)).toBe(false);
    expect(c.nextWakeAt(T0)).toBe(T0 + 30 * DAY_MS);
    c.automated('review-30', T0 + 30 * DAY_MS);
    expect(c.nextWakeAt(T0 + 30 * DAY_MS)).toBe(T0 + 60 * DAY_MS);
  });
});

describe('template definitions', () => {
  it('accepts the standard template', () => {
    expect(parseTemplateDefinition(standardTemplate).steps).toHaveLength(10);
  });

  it('reports every problem at once', () => {
    const bad = structuredClone(standardTemplate) as TemplateDefinition;
    bad.steps[1].after = [5];
    bad.steps[0].items[1].key = 'company-profile';
    bad.steps[3].items[0].after = ['nope'];
    bad.steps[4].items[0].evidence = 'field';
    let message = '';
    try {
      parseTemplateDefinition(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('step 2: its gate may only wait for earlier steps (not 5)');
    expect(message).toContain('item "company-profile" appears twice');
    expect(message).toContain('item "project-plan": evidence "field" needs a list of fields');
    expect(message).toContain('after names unknown item "nope"');
    expect(() => parseTemplateDefinition({ steps: [] })).toThrow(/escalateAfterDays/);
  });

  it('finds cycles between items', () => {
    const bad = structuredClone(standardTemplate) as TemplateDefinition;
    bad.steps[3].items[0].after = ['project-plan'];
    bad.steps[4].items[0].after = ['team-meeting'];
    expect(() => parseTemplateDefinition(bad)).toThrow(/cycle: .*team-meeting -> project-plan -> team-meeting|cycle: .*project-plan -> team-meeting -> project-plan/);
  });
});
