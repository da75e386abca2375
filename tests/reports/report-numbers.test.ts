import { createTestDatabase } from '../support/context';
import { createPrisma, type PrismaClient } from '../../lib/db/prisma';
import { collectReportData } from '../../activities/reports/collect';
import { computeReport } from '../../activities/reports/report-service';
import { renderReport } from '../../activities/reports/render';
import type { ReportData } from '../../lib/reports/report-data';
import type { HtmlPrinter } from '../../activities/reports/chromium';
import { reportConsumptionSource, reportMrrSource } from '../../activities/reports/billing-sources';
import { addLaterData, FIXTURE_AS_OF, FIXTURE_MONTH, seedConsumption, seedReportMonth, type Fixture } from './support/fixture';

// numbers only: the printer is never called here (tests/reports/render-chromium.test.ts prints)
const noPrinter: HtmlPrinter = { pdf: async () => Buffer.alloc(0), screenshot: async () => Buffer.alloc(0), close: async () => undefined };

describe('monthly report numbers (real PostgreSQL, hand-computed fixture)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let prisma: PrismaClient;
  let f: Fixture;
  let data: ReportData;
  let reportId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrisma(db.url, { maxConnections: 4 });
    f = await seedReportMonth(prisma);
    const r = await computeReport({ prisma, printer: noPrinter }, { clientId: f.clientId, month: FIXTURE_MONTH, audience: 'CLIENT', trigger: 'manual', asOf: FIXTURE_AS_OF });
    expect(r.created).toBe(true);
    reportId = r.reportId;
    data = (await prisma.report.findUniqueOrThrow({ where: { id: reportId } })).data as unknown as ReportData;
  }, 60_000);

  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  it('takes the month in the client time zone', () => {
    expect(data.period).toEqual({ start: '2026-02-28T23:00:00.000Z', end: '2026-03-31T22:00:00.000Z' });
    expect(data.previousMonth).toBe('2026-02');
    expect(data.asOf).toBe(FIXTURE_AS_OF.toISOString());
  });

  it('counts tickets opened and closed, incidents vs requests, by category, with last month beside', () => {
    const { t } = f;
    expect(data.tickets.openedIds).toEqual([t.a, t.b, t.c, t.d, t.e].sort((x, y) => x - y));
    expect(data.tickets.opened).toBe(5);
    expect(data.tickets.closedIds).toEqual([t.a, t.b, t.e, t.f].sort((x, y) => x - y));
    expect(data.tickets.closed).toBe(4);
    expect(data.tickets.incidents).toBe(4);
    expect(data.tickets.requests).toBe(1);
    expect(data.tickets.requestIds).toEqual([t.c]);
    expect(data.tickets.byCategory).toEqual([
      { key: 'network', count: 3, ticketIds: [t.a, t.b, t.e].sort((x, y) => x - y) },
      { key: '-', count: 1, ticketIds: [t.d] },
      { key: 'accounts', count: 1, ticketIds: [t.c] },
    ]);
    expect(data.tickets.previous).toEqual({ opened: 1, closed: 0 });
  });

  it('computes SLA compliance per priority from the persisted sla.* timeline, with the breach and its timeline', () => {
    const [p1, p2, p3, p4] = data.sla.perPriority;
    expect(p1).toMatchObject({ priority: 'P1', tickets: 2, decided: 2, met: 1, breached: 1, open: 0, compliance: 50, breachedTicketIds: [f.t.b] });
    expect(p2).toMatchObject({ priority: 'P2', tickets: 2, decided: 2, met: 2, breached: 0, compliance: 100 });
    expect(p3).toMatchObject({ priority: 'P3', tickets: 1, decided: 0, open: 1, compliance: null });
    expect(p4).toMatchObject({ priority: 'P4', tickets: 0, compliance: null });
    expect(data.sla.overall).toBe(75);
    expect(data.sla.breaches).toHaveLength(1);
    const breach = data.sla.breaches[0];
    expect(breach).toMatchObject({ ticketId: f.t.b, priority: 'P1', clock: 'resolution', breachedAt: '2026-03-10T13:00:00.000Z' });
    expect(breach.timeline.map((e) => e.type)).toEqual(['started', 'warned', 'breached', 'escalated']);
    expect(breach.timeline.every((e) => /^[0-9a-f-]{36}$/.test(e.eventId))).toBe(true);
  });

  it('computes patch compliance from the rollout evidence, failures with their reasons', () => {
    expect(data.patch.devices).toBe(3); // pc-old was removed in February
    expect(data.patch.deviceIds.sort()).toEqual([f.dev.d1, f.dev.d2, f.dev.d3].sort());
    expect(data.patch.upToDateIds).toEqual([f.dev.d1]);
    expect(data.patch.percent).toBe(33.3);
    expect(data.patch.failures.map((x) => [x.hostname, x.step, x.reason])).toEqual([
      ['pc-01', 'install', 'E: dpkg was interrupted'],
      ['pc-02', 'precheck', 'device offline'],
    ]);
  });

  it('fills the seed-004 scorecard from its documented sources, "no data" (null) where there is none', () => {
    const s = Object.fromEntries(data.scorecard.map((x) => [x.key, x]));
    expect(Object.keys(s)).toEqual(['assets', 'antivirus', 'osUpdates', 'thirdPartyUpdates', 'availability', 'tickets']);
    expect(s.assets).toMatchObject({ value: 66.7, basis: 3, previous: null });
    expect(s.antivirus).toMatchObject({ value: 50, basis: 2, previous: null, evidence: { devices: [f.dev.d1] } });
    expect(s.osUpdates).toMatchObject({ value: 33.3, previous: 33.3 }); // February: pc-02 verified on the 10th, of 3 devices
    expect(s.thirdPartyUpdates).toMatchObject({ value: 50, basis: 2 });
    expect(s.availability).toMatchObject({ value: 99.5, basis: 1 });
    expect(s.tickets).toMatchObject({ value: 75, previous: 100, basis: 4 });
  });

  it('is reproducible: recomputing with the same asOf after later data gives the same numbers; the stored report is not recomputed', async () => {
    await addLaterData(prisma, f);
    const again = await collectReportData({ prisma }, { clientId: f.clientId, month: FIXTURE_MONTH, audience: 'CLIENT', asOf: FIXTURE_AS_OF });
    expect(JSON.parse(JSON.stringify(again))).toEqual(data);
    // a second compute (retry, re-run) returns the stored snapshot, untouched
    const r = await computeReport({ prisma, printer: noPrinter }, { clientId: f.clientId, month: FIXTURE_MONTH, audience: 'CLIENT', trigger: 'manual' });
    expect(r).toEqual({ reportId, created: false });
    const stored = await prisma.report.findUniqueOrThrow({ where: { id: reportId } });
    expect(stored.data).toEqual(data);
    expect(stored.asOf.toISOString()).toBe(FIXTURE_AS_OF.toISOString());
    // while a recomputation as of now does see the later data
    const now = await collectReportData({ prisma }, { clientId: f.clientId, month: FIXTURE_MONTH, audience: 'CLIENT', asOf: new Date('2026-05-01T00:00:00Z') });
    expect(now.sla.perPriority[2]).toMatchObject({ priority: 'P3', breached: 1 });
    expect(now.patch.upToDate).toBe(1); // the April verify is after the month's end: still March's picture
  });

  it('re-renders a stored report to the same HTML, French and English, every value escaped', () => {
    const fr = renderReport(data);
    expect(renderReport(data).html).toBe(fr.html);
    expect(fr.locale).toBe('fr');
    expect(fr.subject).toBe('ACME <Industries> & Co : rapport mensuel de service, mars 2026');
    expect(fr.html).toContain('Respect des SLA');
    expect(fr.html).toContain('75 %');
    expect(fr.html).toContain('pas de données');
    expect(fr.html).not.toContain('<script>alert(1)</script>');
    expect(fr.html).toContain('Firewall &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(fr.html).toContain('ACME &lt;Industries&gt; &amp; Co');
    const en = renderReport(data, 'en');
    expect(en.subject).toBe('ACME <Industries> & Co: monthly service report, March 2026');
    expect(en.html).toContain('SLA compliance');
    expect(en.html).toContain('75%');
    expect(en.html).toContain('no data');
    // numbers link to their evidence, and the evidence blocks exist
    const links = [...en.html.matchAll(/href="#(ev-[^"]+)"/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(10);
    for (const id of links) expect(en.html).toContain(`id="${id}"`);
    expect(en.html).toMatch(new RegExp(`id="ev-sla-breached-P1"[^]*?T-${f.t.b}`));
    expect(en.html).toMatch(/<svg[^>]*role="img"/);
    expect(en.html).not.toMatch(/<script/i);
  });

  it('adds revenue only to the internal version', async () => {
    const internal = await collectReportData({ prisma, mrrCents: async () => 150_000 }, { clientId: f.clientId, month: FIXTURE_MONTH, audience: 'INTERNAL', asOf: FIXTURE_AS_OF });
    expect(internal.internal).toMatchObject({ mrrCents: 150_000 });
    expect(data.internal).toBeUndefined();
    expect(renderReport(internal, 'en').html).toContain('MSP internal figures');
    expect(renderReport(data, 'en').html).not.toContain('MSP internal figures');
  });

  it('takes contract consumption and revenue from the billing ledger, as of the report instant', async () => {
    await seedConsumption(prisma, f);
    const sources = { prisma, consumption: reportConsumptionSource, mrrCents: reportMrrSource };
    const now = await collectReportData(sources, { clientId: f.clientId, month: FIXTURE_MONTH, audience: 'INTERNAL', asOf: new Date() });
    const c = now.consumption;
    expect(c.available).toBe(true);
    expect(c.contracts).toHaveLength(1);
    // planned to date: 600 included minutes × 15 months begun (January 2025 to March 2026)
    expect(c.contracts[0]).toMatchObject({ name: 'Better plan', type: 'MONTHLY_FIXED', plannedMinutes: 9000, consumedMinutesInPeriod: 135, consumedMinutesToDate: 165 });
    expect(c.billableMinutes).toBe(135);
    expect(c.nonBillableMinutes).toBe(20);
    expect(c.byCategory.map((r) => [r.key, r.minutes, r.ticketIds])).toEqual([
      ['network', 110, [f.t.a, f.t.b].sort((x, y) => x - y)],
      ['accounts', 45, [f.t.c]],
    ]);
    expect(c.bySubsidiary.find((r) => r.key === 'Lyon')).toMatchObject({ minutes: 90, ticketIds: [f.t.a] });
    expect(c.lastYear).toEqual({ month: '2025-03', consumedMinutes: 30 });
    expect(now.internal).toMatchObject({ mrrCents: 150_000, billedMinutes: 135 });
    expect(now.internal!.revenueCents).toBeGreaterThanOrEqual(150_000);
    const html = renderReport(now, 'en').html;
    expect(html).toContain('Better plan');
    expect(html).toContain('2h 15m'); // 135 minutes consumed in March
    expect(html).toContain('By subsidiary');
    // the ledger rows were recorded after FIXTURE_AS_OF: a report as of then does not see them
    const then = await collectReportData(sources, { clientId: f.clientId, month: FIXTURE_MONTH, audience: 'INTERNAL', asOf: FIXTURE_AS_OF });
    expect(then.consumption.contracts).toEqual([]);
    expect(then.consumption.lastYear).toBeNull();
    expect(then.internal!.mrrCents).toBe(0);
  });

  it('refuses a month that is not over in the client time zone', async () => {
    await expect(
      computeReport({ prisma, printer: noPrinter, now: () => new Date('2026-03-31T21:59:00Z') }, { clientId: f.clientId, month: '2026-03', audience: 'INTERNAL', trigger: 'manual' }),
    ).rejects.toThrow(/not over yet/);
  });
});
