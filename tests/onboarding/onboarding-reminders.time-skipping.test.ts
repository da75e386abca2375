import { actOnItem } from '../../activities/onboarding/onboarding-service';
import { systemActor } from '../../lib/access';
import { DAY_MS } from '../../workflows/onboarding/checklist';
import { onboardingViewQuery } from '../../workflows/onboarding/definitions';
import { eventually } from '../support/eventually';
import { inbox, itemIdOf, stepOneFields } from './support';
import { useTimeSkippingOnboarding } from './time-skipping-env';

/** Overdue reminders and escalation, days apart, on Temporal's time-skipping test server. */
const ts = useTimeSkippingOnboarding(['it@slow.test']);

describe('onboarding reminders on the time-skipping server', () => {
  it('reminds the owner of an overdue item, then escalates to the onboarding manager, once each; held items are not overdue', async () => {
    const { env, prisma, servers, withWorker, deps, start, hooks } = ts;
    await withWorker(async () => {
      const code = 'slow';
      const { handle, startedAt } = await start(code, 'it@slow.test');
      // Day 1 + a minute: the three sales items of step 1 are overdue.
      await env.sleep(startedAt + DAY_MS + 60_000 - (await env.currentTimeMs()));
      const reminders = await eventually(async () => {
        const r = hooks(code, 'onboarding.reminder');
        expect(r).toHaveLength(3);
        return r;
      });
      expect(reminders.every((r) => r.signatureValid)).toBe(true);
      expect(reminders.map((r) => r.json.message.title).sort()).toEqual([
        'Overdue: Client contacts (slow corp)',
        'Overdue: Company profile: name, email domains, time zone (slow corp)',
        'Overdue: Service level, contract and site hours (slow corp)',
      ]);
      expect(hooks(code, 'onboarding.escalation')).toHaveLength(0);

      // One of them is answered; two days later the other two escalate to the manager.
      await actOnItem(deps(), systemActor('test'), code, 'company-profile', 'complete', { fields: stepOneFields('slow.test', 'it@slow.test')['company-profile'] });
      await env.sleep(startedAt + 3 * DAY_MS + 60_000 - (await env.currentTimeMs()));
      const escalations = await eventually(async () => {
        const e = hooks(code, 'onboarding.escalation');
        expect(e).toHaveLength(2);
        return e;
      });
      expect(escalations.every((e) => /For Olivia Manager <olivia@msp.test>/.test(e.json.message.text))).toBe(true);
      expect(escalations.map((e) => e.json.message.title).join()).not.toContain('Company profile');
      // ...and the manager in person, by email (staff locale: French by default), once per item.
      const managerMail = await eventually(async () => {
        const m = (await inbox(servers, 'olivia@msp.test')).filter((x) => /^Escalade/.test(x.subject ?? ''));
        expect(m).toHaveLength(2);
        return m;
      });
      expect(managerMail.map((m) => m.subject).sort()).toEqual([
        'Escalade : Client contacts (onboarding slow corp)',
        'Escalade : Service level, contract and site hours (onboarding slow corp)',
      ]);
      expect(managerMail.every((m) => /Olivia Manager/.test(m.text ?? ''))).toBe(true);

      // The client's overdue items (due day 3) were reminded by email, with the item's reference.
      const mails = await eventually(async () => {
        const m = (await inbox(servers, 'it@slow.test')).filter((x) => /^Relance/.test(x.subject ?? ''));
        expect(m).toHaveLength(3);
        return m;
      });
      const requests = (await inbox(servers, 'it@slow.test')).filter((x) => /Merci de nous envoyer/.test(x.subject ?? ''));
      expect(new Set(mails.map(itemIdOf)).size).toBe(3);
      expect(new Set(mails.map(itemIdOf))).toEqual(new Set(requests.map(itemIdOf)));

      // Ten days in: the SLA item (gated by step 1) was never reminded, and its due date moved.
      await env.sleep(startedAt + 10 * DAY_MS - (await env.currentTimeMs()));
      const view = await handle.query(onboardingViewQuery);
      const sla = view.items.find((i) => i.key === 'sla-signed')!;
      expect(sla.reminded).toBe(false);
      expect(sla.dueAt!).toBeGreaterThan(startedAt + 10 * DAY_MS);
      expect(hooks(code, 'onboarding.reminder').map((r) => r.json.message.title).join()).not.toContain('SLA');
      // Each reminder and escalation went out once, and is in the history.
      expect(hooks(code, 'onboarding.reminder').length).toBe(new Set(hooks(code, 'onboarding.reminder').map((r) => r.headers['x-mspflow-delivery'])).size);
      const onboarding = await prisma.onboarding.findUniqueOrThrow({ where: { clientCode: code } });
      await eventually(async () => {
        const events = await prisma.onboardingEvent.findMany({ where: { onboardingId: onboarding.id, type: { in: ['reminded', 'escalated'] } } });
        expect(events.filter((e) => e.type === 'escalated').map((e) => e.itemKey).sort()).toEqual(
          expect.arrayContaining(['contacts', 'service-level']),
        );
      });
      await handle.terminate('test done');
    });
  });
});
