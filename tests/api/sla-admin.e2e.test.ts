import { createNotificationRoute } from '../../activities/notify/route-admin-service';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { parisOfficeHours } from '../support/sla-fixtures';

type Token = { userId: string; token: string };
type TimelineEntry = { type: string; reason?: string };

const ics = (...lines: string[]) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//mspflow//tests//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
const event = (...lines: string[]) => ['BEGIN:VEVENT', ...lines, 'END:VEVENT'];

const standardTargets = [
  { priority: 'P1', firstResponseMinutes: 15, resolutionMinutes: 240, twentyFourSeven: true },
  { priority: 'P2', firstResponseMinutes: 60, resolutionMinutes: 480 },
  { priority: 'P3', firstResponseMinutes: 240, resolutionMinutes: 1440 },
  { priority: 'P4', firstResponseMinutes: 480, resolutionMinutes: 2880 },
];

/**
 * SLA setup through the admin API alone (calendar, iCal holidays, policy, contract, notification
 * routes), on the real Temporal dev server and PostgreSQL, with a worker running the ticket
 * workflows whose deadlines the changes must move.
 */
describe('SLA setup through the admin API', () => {
  let ctx: TestContext;
  let admin: Token;
  let manager: Token; // onboarding manager restricted to client A
  let outsider: Token; // onboarding manager restricted to client B
  let tech: Token;
  let clientA: string;
  let clientB: string;
  // Built by the first test, used by the later ones.
  let calendarId: string;
  let policyId: string;
  let ticketId: number;

  const as = (who: Token) => ({ authorization: `Bearer ${who.token}` });
  const call = (who: Token, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    ctx.app.inject({ method, url, headers: as(who), ...(payload ? { payload } : {}) });
  const sla = async (id: number) => {
    const r = await call(admin, 'GET', `/tickets/${id}/sla`);
    expect(r.statusCode).toBe(200);
    return r.json() as { view: { sla: { policy: string | null; firstResponse: { targetMinutes: number; deadlineAt: number }; resolution: { targetMinutes: number } } }; timeline: TimelineEntry[] };
  };
  const policyChanges = (timeline: TimelineEntry[]) =>
    timeline.filter((e) => e.type === 'recomputed' && e.reason === 'policy or calendar changed').length;

  beforeAll(async () => {
    ctx = await createTestContext({ worker: true });
    admin = await ctx.userWithToken('ADMIN');
    tech = await ctx.userWithToken('TECHNICIAN');
    clientA = (await ctx.prisma.client.create({ data: { code: 'slaadm-a', name: 'Client A' } })).id;
    clientB = (await ctx.prisma.client.create({ data: { code: 'slaadm-b', name: 'Client B' } })).id;
    manager = await ctx.userWithToken('ONBOARDING_MANAGER', [clientA]);
    outsider = await ctx.userWithToken('ONBOARDING_MANAGER', [clientB]);
  });
  afterAll(() => ctx?.close());

  it('sets up calendar, policy and contract through the API; a new ticket runs on that policy and a target change recomputes it', async () => {
    const cal = await call(manager, 'POST', '/calendars', {
      clientId: clientA,
      name: 'A office hours',
      timezone: 'Europe/Paris',
      weekly: parisOfficeHours,
      holidays: ['2030-12-25'],
    });
    expect(cal.statusCode).toBe(201);
    expect(cal.json()).toMatchObject({ clientId: clientA, timezone: 'Europe/Paris', holidays: [{ date: '2030-12-25' }] });
    expect(cal.json().weekly.mon).toEqual([['09:00', '12:00'], ['14:00', '18:00']]);
    calendarId = cal.json().id;
    expect((await call(manager, 'GET', `/calendars/${calendarId}`)).json().name).toBe('A office hours');

    const policy = await call(manager, 'POST', '/sla-policies', {
      name: 'Gold A',
      calendarId,
      targets: standardTargets,
      escalation: { warnAt: [0.5, 0.8], levels: [{ level: 'L1', atFraction: 0.8 }, { level: 'L2', atFraction: 1 }] },
    });
    expect(policy.statusCode).toBe(201);
    expect(policy.json()).toMatchObject({ name: 'Gold A', calendarId, clientId: clientA, escalation: { warnAt: [0.5, 0.8] } });
    expect(policy.json().targets).toHaveLength(4);
    policyId = policy.json().id;
    expect((await call(manager, 'GET', `/sla-policies/${policyId}`)).json().targets[2]).toMatchObject({ priority: 'P3', firstResponseMinutes: 240 });
    expect((await call(manager, 'GET', '/sla-policies')).json().items.map((p: { id: string }) => p.id)).toContain(policyId);

    const contract = await call(manager, 'POST', `/clients/${clientA}/contracts`, {
      name: 'Managed services',
      type: 'MONTHLY_FIXED',
      slaPolicyId: policyId,
      startsOn: '2020-01-01',
      terms: { plan: 'gold', devices: 25 },
    });
    expect(contract.statusCode).toBe(201);
    expect(contract.json()).toMatchObject({
      contract: { clientId: clientA, slaPolicyId: policyId, slaPolicy: { name: 'Gold A' }, startsOn: '2020-01-01', endsOn: null, terms: { plan: 'gold' } },
      signalled: 0, // no ticket yet
    });
    const contracts = await call(manager, 'GET', `/clients/${clientA}/contracts`);
    expect(contracts.json().items).toHaveLength(1);

    // A ticket opened now runs on that policy.
    const created = await call(manager, 'POST', '/tickets', { clientId: clientA, subject: 'VPN down', priority: 'P3' });
    expect(created.statusCode).toBe(201);
    ticketId = created.json().id;
    const before = await eventually(async () => {
      const s = await sla(ticketId);
      expect(s.view.sla.policy).toBe('Gold A');
      return s;
    });
    expect(before.view.sla.firstResponse.targetMinutes).toBe(240);
    expect(policyChanges(before.timeline)).toBe(0);

    // Tighter P3 targets through the API: the running workflow reloads them and recomputes.
    const tighter = standardTargets.map((t) => (t.priority === 'P3' ? { ...t, firstResponseMinutes: 120, resolutionMinutes: 960 } : t));
    const changed = await call(manager, 'PUT', `/sla-policies/${policyId}/targets`, { targets: tighter });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ signalled: 1, signalFailed: 0 });
    expect(changed.json().policy.targets[2]).toMatchObject({ priority: 'P3', firstResponseMinutes: 120, resolutionMinutes: 960 });
    // The escalation settings were not in the body: they are kept.
    expect(changed.json().policy.escalation).toEqual({ warnAt: [0.5, 0.8], levels: [{ level: 'L1', atFraction: 0.8 }, { level: 'L2', atFraction: 1 }] });

    const after = await eventually(async () => {
      const s = await sla(ticketId);
      expect(s.view.sla.firstResponse.targetMinutes).toBe(120);
      return s;
    });
    expect(after.view.sla.resolution.targetMinutes).toBe(960);
    expect(after.view.sla.firstResponse.deadlineAt).toBeLessThan(before.view.sla.firstResponse.deadlineAt);
    expect(policyChanges(after.timeline)).toBe(1);
    // The timeline entry reaches the ticket's history in PostgreSQL too.
    await eventually(async () => {
      const events = await ctx.prisma.ticketEvent.findMany({ where: { ticketId, type: { startsWith: 'sla.' } } });
      expect(events.length).toBe(after.timeline.length);
    });

    // Changing the calendar's hours signals the same running ticket.
    const widened = await call(manager, 'PUT', `/calendars/${calendarId}/weekly`, {
      weekly: { ...parisOfficeHours, sat: [['09:00', '12:00']] },
    });
    expect(widened.statusCode).toBe(200);
    expect(widened.json()).toMatchObject({ signalled: 1, calendar: { weekly: { sat: [['09:00', '12:00']] } } });
    await eventually(async () => expect(policyChanges((await sla(ticketId)).timeline)).toBe(2));
  });

  it('imports holidays from iCal: adds new dates, skips the ones already there, and signals running tickets', async () => {
    const file = ics(
      ...event('UID:xmas', 'DTSTART;VALUE=DATE:20291225', 'RRULE:FREQ=YEARLY', 'SUMMARY:Noël'),
      ...event('UID:may', 'DTSTART;VALUE=DATE:20300501', 'DTEND;VALUE=DATE:20300502', 'SUMMARY:Fête du Travail'),
    );
    const first = await call(manager, 'POST', `/calendars/${calendarId}/holidays/ical`, { ics: file, fromYear: 2030, toYear: 2031 });
    expect(first.statusCode).toBe(200);
    const body = first.json();
    // 2030-12-25 was created with the calendar: skipped, not duplicated.
    expect(body.added).toEqual([
      { date: '2030-05-01', name: 'Fête du Travail' },
      { date: '2031-12-25', name: 'Noël' },
    ]);
    expect(body.skipped).toEqual([{ date: '2030-12-25', name: 'Holiday', reason: expect.any(String) }]);
    expect(body.signalled).toBe(1);
    expect(body.calendar.holidays.map((h: { date: string }) => h.date)).toEqual(['2030-05-01', '2030-12-25', '2031-12-25']);

    const again = await call(manager, 'POST', `/calendars/${calendarId}/holidays/ical`, { ics: file, fromYear: 2030, toYear: 2031 });
    expect(again.json()).toMatchObject({ added: [], signalled: 0 });
    expect(again.json().skipped).toHaveLength(3);
    expect(await ctx.prisma.holiday.count({ where: { calendarId } })).toBe(3);

    // An event the parser cannot expand exactly: refused by default, left out and listed on request.
    const weekly = ics(...event('UID:w', 'DTSTART;VALUE=DATE:20300107', 'RRULE:FREQ=WEEKLY', 'SUMMARY:Every Monday'));
    const refused = await call(manager, 'POST', `/calendars/${calendarId}/holidays/ical`, { ics: weekly, fromYear: 2030, toYear: 2030 });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toMatch(/iCalendar/);
    const lenient = await call(manager, 'POST', `/calendars/${calendarId}/holidays/ical`, {
      ics: weekly,
      fromYear: 2030,
      toYear: 2030,
      unsupported: 'skip',
    });
    expect(lenient.statusCode).toBe(200);
    expect(lenient.json()).toMatchObject({ added: [], ignoredEvents: [{ reason: expect.any(String) }] });
  });

  it('answers validation errors with 400 listing every problem', async () => {
    const cal = await call(admin, 'POST', '/calendars', {
      name: 'Broken',
      timezone: 'Mars/Olympus',
      weekly: { ...parisOfficeHours, mon: [['09:00', '12:00'], ['11:00', '13:00']], tue: [['18:00', '09:00']], funday: [] },
      holidays: ['2030-02-30'],
    });
    expect(cal.statusCode).toBe(400);
    expect(cal.json().error).toBe('VALIDATION_FAILED');
    const problems: string[] = cal.json().details.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^timezone:/),
        expect.stringMatching(/weekly\.mon\[1\].*overlaps/),
        expect.stringMatching(/weekly\.tue\[0\].*reversed/),
        expect.stringMatching(/unknown day "funday"/),
        expect.stringMatching(/^holidays\[0\]/),
      ]),
    );

    const missingDay = await call(admin, 'PUT', `/calendars/${calendarId}/weekly`, { weekly: { mon: [['09:00', '17:00']] } });
    expect(missingDay.statusCode).toBe(400);
    expect(missingDay.json().details.problems).toEqual(expect.arrayContaining([expect.stringMatching(/missing day "sun"/)]));

    const policy = await call(admin, 'POST', '/sla-policies', {
      name: 'Bad',
      calendarId,
      targets: [
        { priority: 'P2', firstResponseMinutes: 60, resolutionMinutes: 480 },
        { priority: 'P2', firstResponseMinutes: 500, resolutionMinutes: 480 },
      ],
      escalation: { warnAt: [0.75, 0.5], levels: [{ level: 'L2', atFraction: 1 }, { level: 'L1', atFraction: 0.5 }] },
    });
    expect(policy.statusCode).toBe(400);
    expect(policy.json().details.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/targets\[1\]\.priority: P2 appears more than once/),
        expect.stringMatching(/targets\[1\]: the first response/),
        expect.stringMatching(/escalation\.warnAt\[1\]: 0\.5 must be greater/),
        expect.stringMatching(/escalation\.levels/),
      ]),
    );

    // Types and ranges are the JSON schema's: zero or fractional minutes, a negative fraction.
    const schema = await call(admin, 'POST', '/sla-policies', {
      name: 'Bad',
      calendarId,
      targets: [{ priority: 'P3', firstResponseMinutes: 0, resolutionMinutes: 1.5 }],
      escalation: { warnAt: [-0.5] },
    });
    expect(schema.statusCode).toBe(400);
    expect(schema.json().details.length).toBeGreaterThanOrEqual(3);

    // A target the clock cannot reach within its horizon would break every ticket's workflow.
    const oneHourAWeek = { mon: [['09:00', '10:00']], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
    const thin = (await call(admin, 'POST', '/calendars', { clientId: clientA, name: 'Thin', timezone: 'UTC', weekly: oneHourAWeek })).json();
    const unreachable = await call(admin, 'POST', '/sla-policies', {
      name: 'Unreachable',
      calendarId: thin.id,
      targets: [{ priority: 'P4', firstResponseMinutes: 60, resolutionMinutes: 100_000 }],
    });
    expect(unreachable.statusCode).toBe(400);
    expect(unreachable.json().details.problems[0]).toMatch(/P4: the resolution target .* not reached within 366 days/);

    const contract = await call(admin, 'POST', `/clients/${clientB}/contracts`, {
      name: 'Wrong policy',
      type: 'BLOCK_HOURS',
      slaPolicyId: policyId, // client A's policy
      startsOn: '2030-06-01',
      endsOn: '2030-01-01',
    });
    expect(contract.statusCode).toBe(400);
    expect(contract.json().details.problems).toEqual([
      expect.stringMatching(/^endsOn: .* before startsOn/),
      expect.stringMatching(/^slaPolicyId: .* not an SLA policy of this client/),
    ]);
  });

  it('refuses technicians (403) and keeps tenants apart (404 for another client, 403 for MSP-wide objects)', async () => {
    for (const [method, url, payload] of [
      ['GET', '/sla-policies', undefined],
      ['GET', `/calendars/${calendarId}`, undefined],
      ['POST', '/calendars', { name: 'x', timezone: 'UTC', weekly: parisOfficeHours }],
      ['PUT', `/sla-policies/${policyId}/targets`, { targets: standardTargets }],
      ['POST', `/clients/${clientA}/contracts`, { name: 'x', type: 'MONTHLY_FIXED', startsOn: '2030-01-01' }],
      ['GET', '/notification-routes', undefined],
    ] as const) {
      const r = await call(tech, method, url, payload);
      expect([method, url, r.statusCode]).toEqual([method, url, 403]);
    }

    // Client B's manager cannot see or touch client A's calendar, policy or contracts.
    expect((await call(outsider, 'GET', `/calendars/${calendarId}`)).statusCode).toBe(404);
    expect((await call(outsider, 'PUT', `/calendars/${calendarId}/weekly`, { weekly: parisOfficeHours })).statusCode).toBe(404);
    expect((await call(outsider, 'GET', `/sla-policies/${policyId}`)).statusCode).toBe(404);
    expect((await call(outsider, 'PUT', `/sla-policies/${policyId}/targets`, { targets: standardTargets })).statusCode).toBe(404);
    expect((await call(outsider, 'GET', `/clients/${clientA}/contracts`)).statusCode).toBe(404);
    expect(
      (await call(outsider, 'POST', `/clients/${clientA}/contracts`, { name: 'x', type: 'MONTHLY_FIXED', startsOn: '2030-01-01' })).statusCode,
    ).toBe(404);
    expect(
      (await call(outsider, 'POST', '/calendars', { clientId: clientA, name: 'x', timezone: 'UTC', weekly: parisOfficeHours })).statusCode,
    ).toBe(404);
    expect((await call(outsider, 'GET', '/sla-policies')).json().items.map((p: { id: string }) => p.id)).not.toContain(policyId);
    expect((await call(outsider, 'GET', '/calendars')).json().items.map((c: { id: string }) => c.id)).not.toContain(calendarId);
    // Nothing changed for client A.
    expect((await ctx.prisma.slaTarget.findFirstOrThrow({ where: { policyId, priority: 'P3' } })).firstResponseMinutes).toBe(120);

    // MSP-wide objects: administrators create them; everyone here can read them and use their policies.
    const mspWide = { name: 'MSP standard hours', timezone: 'Europe/Paris', weekly: parisOfficeHours };
    const refused = await call(manager, 'POST', '/calendars', mspWide);
    expect(refused.statusCode).toBe(403);
    const shared = await call(admin, 'POST', '/calendars', mspWide);
    expect(shared.statusCode).toBe(201);
    expect(shared.json().clientId).toBeNull();
    expect((await call(manager, 'POST', '/sla-policies', { name: 'x', calendarId: shared.json().id, targets: standardTargets })).statusCode).toBe(403);
    expect((await call(manager, 'PUT', `/calendars/${shared.json().id}/weekly`, { weekly: parisOfficeHours })).statusCode).toBe(403);
    const standard = await call(admin, 'POST', '/sla-policies', { name: 'MSP standard', calendarId: shared.json().id, targets: standardTargets });
    expect(standard.statusCode).toBe(201);
    expect(standard.json().clientId).toBeNull();
    expect((await call(outsider, 'GET', `/sla-policies/${standard.json().id}`)).statusCode).toBe(200);
    const bContract = await call(outsider, 'POST', `/clients/${clientB}/contracts`, {
      name: 'B standard',
      type: 'TIME_AND_MATERIALS',
      slaPolicyId: standard.json().id,
      startsOn: '2024-01-01',
      endsOn: null,
    });
    expect(bContract.statusCode).toBe(201);
    expect(bContract.json().contract.slaPolicy.name).toBe('MSP standard');
  });

  it('manages notification routes without ever exposing a secret', async () => {
    const secret = 'whsec-0123456789abcdef-very-secret';
    const hook = await call(manager, 'POST', '/notification-routes', {
      clientId: clientA,
      event: 'sla.breach',
      channel: 'WEBHOOK',
      target: 'https://hooks.example.com/mspflow/T0KEN?sig=abc',
      secret,
    });
    expect(hook.statusCode).toBe(201);
    expect(hook.json()).toMatchObject({ clientId: clientA, event: 'sla.breach', channel: 'WEBHOOK', hasSecret: true, enabled: true });
    expect(hook.json()).not.toHaveProperty('secret');
    expect(hook.body).not.toContain(secret);
    // URL targets carry credentials of their own: shown redacted to their origin.
    expect(hook.json().target).toBe('https://hooks.example.com/…');
    expect((await ctx.prisma.notificationRoute.findUniqueOrThrow({ where: { id: hook.json().id } })).secret).toBe(secret);

    const mail = await call(manager, 'POST', '/notification-routes', {
      clientId: clientA,
      event: 'escalation.L2',
      channel: 'EMAIL',
      target: 'lead@a.example, oncall@a.example',
    });
    expect(mail.statusCode).toBe(201);
    expect(mail.json()).toMatchObject({ target: 'lead@a.example, oncall@a.example', hasSecret: false });

    const defaults = await call(admin, 'POST', '/notification-routes', { event: 'sla.warning', channel: 'SLACK', target: 'https://hooks.slack.com/services/T/B/X' });
    expect(defaults.statusCode).toBe(201);
    expect(defaults.json().clientId).toBeNull();
    expect((await call(manager, 'POST', '/notification-routes', { event: 'sla.warning', channel: 'EMAIL', target: 'x@msp.example' })).statusCode).toBe(403);

    for (const [who, query] of [
      [manager, `?clientId=${clientA}`],
      [manager, ''],
      [admin, '?includeDisabled=true'],
    ] as const) {
      const list = await call(who, 'GET', `/notification-routes${query}`);
      expect(list.statusCode).toBe(200);
      expect(list.body).not.toContain(secret);
      expect(list.body).not.toContain('T0KEN');
      for (const item of list.json().items) expect(item).not.toHaveProperty('secret');
    }
    const managerView = (await call(manager, 'GET', '/notification-routes')).json().items.map((r: { id: string }) => r.id);
    expect(managerView).toEqual([hook.json().id, mail.json().id]); // no MSP-wide route for a non-admin
    const adminView = (await call(admin, 'GET', '/notification-routes')).json().items.map((r: { id: string }) => r.id);
    expect(adminView).toEqual(expect.arrayContaining([hook.json().id, mail.json().id, defaults.json().id]));

    // Tenants: client B's manager neither lists nor deletes client A's routes, nor creates for A.
    expect((await call(outsider, 'GET', `/notification-routes?clientId=${clientA}`)).statusCode).toBe(404);
    expect((await call(outsider, 'GET', '/notification-routes')).json().items).toEqual([]);
    expect((await call(outsider, 'DELETE', `/notification-routes/${hook.json().id}`)).statusCode).toBe(404);
    expect((await call(manager, 'DELETE', `/notification-routes/${defaults.json().id}`)).statusCode).toBe(404);
    expect(
      (await call(outsider, 'POST', '/notification-routes', { clientId: clientA, event: 'sla.breach', channel: 'EMAIL', target: 'x@b.example' })).statusCode,
    ).toBe(404);

    // Soft delete: disabled, kept, no longer listed by default; deleting again is harmless.
    const deleted = await call(manager, 'DELETE', `/notification-routes/${hook.json().id}`);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ id: hook.json().id, enabled: false, hasSecret: true });
    expect(deleted.body).not.toContain(secret);
    expect((await ctx.prisma.notificationRoute.findUniqueOrThrow({ where: { id: hook.json().id } })).enabled).toBe(false);
    expect((await call(manager, 'DELETE', `/notification-routes/${hook.json().id}`)).statusCode).toBe(200);
    expect((await call(manager, 'GET', '/notification-routes')).json().items.map((r: { id: string }) => r.id)).toEqual([mail.json().id]);
    const all = (await call(manager, 'GET', '/notification-routes?includeDisabled=true')).json().items;
    expect(all.find((r: { id: string }) => r.id === hook.json().id)).toMatchObject({ enabled: false });
  });

  it('validates notification routes: secrets, targets per channel, events', async () => {
    const post = (payload: object) => call(admin, 'POST', '/notification-routes', { clientId: clientA, ...payload });
    const noSecret = await post({ event: 'sla.breach', channel: 'WEBHOOK', target: 'https://hooks.example.com/x' });
    expect(noSecret.statusCode).toBe(400);
    expect(noSecret.json().details.problems).toEqual([expect.stringMatching(/^secret: a WEBHOOK route needs/)]);
    const shortSecret = await post({ event: 'sla.breach', channel: 'WEBHOOK', target: 'https://hooks.example.com/x', secret: 'tooshort' });
    expect(shortSecret.statusCode).toBe(400);
    expect(shortSecret.body).not.toContain('tooshort');
    expect((await post({ event: 'sla.breach', channel: 'EMAIL', target: 'https://a.example/' })).statusCode).toBe(400);
    expect((await post({ event: 'sla.breach', channel: 'SLACK', target: 'ops@a.example' })).statusCode).toBe(400);
    expect((await post({ event: 'sla.breach', channel: 'SLACK', target: 'https://u:p@hooks.slack.com/x' })).statusCode).toBe(400);
    expect((await post({ event: 'sla.breach', channel: 'TEAMS', target: 'ftp://a.example/x' })).statusCode).toBe(400);
    expect((await post({ event: 'sla.breach', channel: 'SLACK', target: 'https://hooks.slack.com/x', secret: '0123456789abcdef' })).statusCode).toBe(400);
    expect((await post({ event: 'sla.sometimes', channel: 'EMAIL', target: 'ops@a.example' })).statusCode).toBe(400);
    expect(await ctx.prisma.notificationRoute.count({ where: { clientId: clientA, event: 'sla.breach', enabled: true } })).toBe(0);

    // The tests run with NOTIFY_ALLOW_PRIVATE_TARGETS=true, so plain http to loopback is accepted here...
    expect((await post({ event: 'sla.breach', channel: 'SLACK', target: 'http://127.0.0.1:9/hook' })).statusCode).toBe(201);
    // ...and refused when it is off (the production default): http, loopback and private addresses.
    const strict = { prisma: ctx.prisma, config: { notify: { allowPrivateTargets: false } } };
    const adminActor = { kind: 'user' as const, userId: admin.userId, role: 'ADMIN' as const, clientIds: 'all' as const };
    for (const target of ['http://hooks.example.com/x', 'https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://[::1]/x', 'https://localhost/x']) {
      await expect(createNotificationRoute(strict, adminActor, { clientId: clientA, event: 'sla.breach', channel: 'SLACK', target })).rejects.toMatchObject({
        status: 400,
      });
    }
    await expect(
      createNotificationRoute(strict, adminActor, { clientId: clientA, event: 'sla.breach', channel: 'SLACK', target: 'https://hooks.slack.com/services/x' }),
    ).resolves.toMatchObject({ channel: 'SLACK', target: 'https://hooks.slack.com/…' });
  });
});
