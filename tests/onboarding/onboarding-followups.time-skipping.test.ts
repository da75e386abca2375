import { standardTemplate } from '../../activities/onboarding/default-template';
import { actOnItem, notifyDevicesChanged, type EvidenceInput } from '../../activities/onboarding/onboarding-service';
import { systemActor } from '../../lib/access';
import { DAY_MS } from '../../workflows/onboarding/checklist';
import { onboardingViewQuery } from '../../workflows/onboarding/definitions';
import type { OnboardingSummary } from '../../workflows/onboarding/onboarding.workflow';
import { eventually } from '../support/eventually';
import { inbox, stepOneFields } from './support';
import { useTimeSkippingOnboarding } from './time-skipping-env';

/** Step 10 over three months (30/60/90-day reviews) on Temporal's time-skipping test server. */
const ts = useTimeSkippingOnboarding(['it@review.test']);

describe('onboarding follow-ups on the time-skipping server', () => {
  it('sends the feedback questionnaire at go-live, reviews at 30, 60 and 90 days, then completes with a summary', async () => {
    const { env, prisma, servers, withWorker, deps, start, hooks } = ts;
    await withWorker(async () => {
      const code = 'review';
      const contact = 'it@review.test';
      const { handle } = await start(code, contact);
      const fields = stepOneFields('review.test', contact) as Record<string, Record<string, unknown>>;
      const evidenceFor = (type: string): EvidenceInput | undefined =>
        type === 'note' ? { kind: 'NOTE', text: 'done' } : type === 'link' ? { kind: 'LINK', url: 'https://docs.example/x' } : type === 'file' ? { kind: 'FILE', file: { name: 'x.pdf', base64: 'eA==' } } : undefined;
      const admin = systemActor('test');
      for (const step of standardTemplate.steps) {
        for (const it of step.items) {
          if (it.automation) continue;
          if (it.key === 'go-live-approved') continue;
          await actOnItem(deps(), admin, code, it.key, 'complete', { fields: fields[it.key], evidence: evidenceFor(it.evidence) });
        }
      }
      const o = await eventually(async () => {
        const row = await prisma.onboarding.findUniqueOrThrow({ where: { clientCode: code } });
        expect(row.clientId).not.toBeNull();
        return row;
      });
      await prisma.device.createMany({
        data: [1, 2, 3].map((n) => ({ clientId: o.clientId!, rmmProvider: 'sim', rmmDeviceId: `${code}-${n}`, hostname: `h${n}`, lastSeenAt: new Date() })),
      });
      await notifyDevicesChanged(deps(), o.clientId!);
      await eventually(async () => expect((await handle.query(onboardingViewQuery)).items.find((i) => i.key === 'agents-installed')!.status).toBe('DONE'));
      await actOnItem(deps(), admin, code, 'go-live-approved', 'complete', {});
      const live = await eventually(async () => {
        const row = await prisma.onboarding.findUniqueOrThrow({ where: { clientCode: code } });
        expect(row.liveAt).not.toBeNull();
        return row.liveAt!.getTime();
      });
      await eventually(async () => expect((await inbox(servers, contact)).filter((m) => /Comment s'est passée votre intégration/.test(m.subject ?? ''))).toHaveLength(1));
      // Three months of follow-ups in skipped time.
      const reviews = () => hooks(code, 'onboarding.review');
      await env.sleep(live + 30 * DAY_MS + 60_000 - (await env.currentTimeMs()));
      await eventually(async () => expect(reviews().map((r) => r.json.message.title)).toEqual(['review corp: 30-day progress review']));
      await env.sleep(live + 60 * DAY_MS + 60_000 - (await env.currentTimeMs()));
      await eventually(async () => expect(reviews()).toHaveLength(2));
      const summary = (await handle.result()) as OnboardingSummary;
      expect(reviews().map((r) => r.json.message.title)).toEqual([
        'review corp: 30-day progress review',
        'review corp: 60-day progress review',
        'review corp: 90-day progress review',
      ]);
      expect(summary).toMatchObject({ clientCode: code, clientId: o.clientId, templateVersion: 1, done: 30, skipped: [], reminders: 0, escalations: 0 });
      expect(summary.liveAt).toBe(live);
      // The reviews came 30 days apart, the last one ends the workflow.
      const done = await prisma.onboardingEvent.findMany({ where: { onboardingId: o.id, type: 'automated', itemKey: { startsWith: 'review-' } }, orderBy: { at: 'asc' } });
      const offsets = done.map((e) => Math.round((e.at.getTime() - live) / DAY_MS));
      expect(offsets).toEqual([30, 60, 90]);
      expect(summary.completedAt - live).toBeGreaterThanOrEqual(90 * DAY_MS);
      const row = await prisma.onboarding.findUniqueOrThrow({ where: { id: o.id } });
      expect(row).toMatchObject({ status: 'COMPLETED' });
      expect(row.summary).toMatchObject({ done: 30, clientCode: code });
    });
  }, 300_000);
});
