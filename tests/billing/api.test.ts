import { createTestContext, type TestContext } from '../support/context';
import { InvoiceApiFake } from './support/invoice-fake';
import { billingFixture } from './support/fixture';

/**
 * The billing API through app.inject on real PostgreSQL: roles and tenants on every route
 * family, contract terms validation (every problem listed), time entries (idempotent, corrected),
 * consumption, invoice drafts (export, push to a local fake), KPIs for administrators only.
 */
describe('billing API (real PostgreSQL)', () => {
  let ctx: TestContext;
  let fake: InvoiceApiFake;
  let admin: string;
  let manager: string;
  let techA: { userId: string; token: string };
  let a: Awaited<ReturnType<typeof billingFixture>>;
  let b: Awaited<ReturnType<typeof billingFixture>>;

  beforeAll(async () => {
    fake = await new InvoiceApiFake('tok_api_test_456').start();
    ctx = await createTestContext({ env: { BILLING_REST_URL: fake.url, BILLING_REST_TOKEN: fake.token } });
    a = await billingFixture(ctx.prisma);
    b = await billingFixture(ctx.prisma);
    admin = (await ctx.userWithToken('ADMIN')).token;
    manager = (await ctx.userWithToken('ONBOARDING_MANAGER')).token;
    techA = await ctx.userWithToken('TECHNICIAN', [a.client.id]);
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  const call = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    ctx.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

  const blockContract = (clientId: string) => ({
    clientId,
    name: 'Prepaid 20 h',
    type: 'BLOCK_HOURS',
    startsOn: '2026-01-01',
    terms: { overageRateCents: 9000, rounding: { incrementMinutes: 15 }, initialBlock: { quantity: 20, priceCents: 160000 } },
  });

  it('contracts: managers create with validated terms (every problem listed); technicians only read their clients', async () => {
    const bad = await call(manager, 'POST', '/contracts', { clientId: a.client.id, name: 'x', type: 'BLOCK_HOURS', startsOn: '2026-02-30', terms: { overageRateCents: -1, consumptionOrder: 'random', extra: 1 } });
    expect(bad.statusCode).toBe(400);
    const problems: string[] = bad.json().details.problems;
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^startsOn:/), expect.stringMatching(/^terms\.overageRateCents:/), expect.stringMatching(/^terms\.consumptionOrder:/), expect.stringMatching(/^terms: .*extra/)]));
    expect((await call(manager, 'POST', '/contracts', { ...blockContract(a.client.id), type: 'MONTHLY_FIXED' })).json().details.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^terms\.plan:/), expect.stringMatching(/^terms\.monthlyPriceCents:/)]),
    );

    expect((await call(techA.token, 'POST', '/contracts', blockContract(a.client.id))).statusCode).toBe(403);
    const created = await call(manager, 'POST', '/contracts', blockContract(a.client.id));
    expect(created.statusCode).toBe(201);
    const contractA = created.json();
    const contractB = (await call(admin, 'POST', '/contracts', blockContract(b.client.id))).json();

    expect((await call(techA.token, 'GET', `/contracts/${contractA.id}`)).statusCode).toBe(200);
    expect((await call(techA.token, 'GET', `/contracts/${contractB.id}`)).statusCode).toBe(404);
    expect((await call(techA.token, 'GET', `/contracts?clientId=${b.client.id}`)).statusCode).toBe(403);
    expect((await call(techA.token, 'GET', '/contracts')).json().items.map((c: { id: string }) => c.id)).toEqual([contractA.id]);
    expect((await call(techA.token, 'GET', `/contracts/${contractB.id}/consumption?month=2026-03`)).statusCode).toBe(404);
    expect((await call(techA.token, 'GET', `/contracts/${contractB.id}/ledger`)).statusCode).toBe(404);
    expect((await call(techA.token, 'POST', `/contracts/${contractA.id}/top-ups`, { quantity: 5, priceCents: 1 })).statusCode).toBe(403);
    expect((await call(techA.token, 'PATCH', `/contracts/${contractA.id}`, { name: 'mine' })).statusCode).toBe(403);

    const patched = await call(manager, 'PATCH', `/contracts/${contractA.id}`, { terms: { overageRateCents: 'lots' } });
    expect(patched.statusCode).toBe(400);
    const top = await call(manager, 'POST', `/contracts/${contractA.id}/top-ups`, { quantity: 5, priceCents: 40000, purchasedOn: '2026-02-01', idempotencyKey: 'po-1' });
    expect(top.statusCode).toBe(201);
    expect(top.json().usage).toMatchObject({ creditedMinutes: 25 * 60, consumedMinutes: 0 });
    expect((await call(manager, 'POST', `/contracts/${contractA.id}/top-ups`, { quantity: 5, priceCents: 40000, purchasedOn: '2026-02-01', idempotencyKey: 'po-1' })).statusCode).toBe(200);
  });

  it('time entries: idempotent create, tenant checks, corrections through the API, consumption and ledger views', async () => {
    const contract = (await call(admin, 'GET', `/contracts?clientId=${a.client.id}`)).json().items[0];
    const ticketA = await a.ticket('Disk full', { category: 'servers' });
    const ticketB = await b.ticket('Other client');
    const body = { ticketId: ticketA.id, minutes: 50, startedAt: '2026-03-10T09:00:00.000Z', idempotencyKey: 'k-1', domain: 'servers' };
    const first = await call(techA.token, 'POST', '/time-entries', body);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ created: true, entry: { minutes: 50, category: 'servers', contractId: contract.id, userId: techA.userId }, allocation: { status: 'allocated', billedMinutes: 60 } });
    const replay = await call(techA.token, 'POST', '/time-entries', body);
    expect(replay.statusCode).toBe(200);
    expect(replay.json().entry.id).toBe(first.json().entry.id);
    expect((await call(techA.token, 'POST', '/time-entries', { ...body, ticketId: ticketB.id, idempotencyKey: 'k-2' })).statusCode).toBe(404);
    expect((await call(techA.token, 'POST', '/time-entries', { ...body, userId: (await ctx.userWithToken('TECHNICIAN')).userId, idempotencyKey: 'k-3' })).statusCode).toBe(403);
    expect((await call(techA.token, 'POST', '/time-entries', { ...body, minutes: 0, idempotencyKey: 'k-4' })).statusCode).toBe(400);

    const fixed = await call(techA.token, 'POST', `/time-entries/${first.json().entry.id}/corrections`, { minutes: 80, reason: 'forgot the reboot', idempotencyKey: 'c-1' });
    expect(fixed.statusCode).toBe(201);
    expect(fixed.json()).toMatchObject({ entry: { minutes: 80, correctsId: first.json().entry.id }, allocation: { billedMinutes: 90 } });
    expect((await call(techA.token, 'POST', `/time-entries/${first.json().entry.id}/corrections`, { minutes: 70, reason: 'again', idempotencyKey: 'c-2' })).statusCode).toBe(409);
    const listed = (await call(techA.token, 'GET', `/time-entries?clientId=${a.client.id}`)).json().items;
    expect(listed.map((e: { minutes: number; billedMinutes: number }) => [e.minutes, e.billedMinutes])).toEqual([[80, 90]]);
    expect((await call(techA.token, 'GET', `/time-entries?clientId=${b.client.id}`)).statusCode).toBe(403);

    const consumption = await call(techA.token, 'GET', `/contracts/${contract.id}/consumption?month=2026-03`);
    expect(consumption.statusCode).toBe(200);
    expect(consumption.json()).toMatchObject({ contract: { plannedMinutes: 25 * 60, consumedMinutesInPeriod: 90, remainingMinutes: 25 * 60 - 90 }, byDomain: [{ key: 'servers', minutes: 90 }], byTechnician: [{ userId: techA.userId, minutes: 90, ticketIds: [ticketA.id] }] });
    expect(consumption.json().revenueCents).toBeUndefined(); // internal figure: admins only
    expect((await call(admin, 'GET', `/contracts/${contract.id}/consumption?month=2026-03`)).json().revenueCents).toBe(0);
    const ledger = (await call(techA.token, 'GET', `/contracts/${contract.id}/ledger`)).json();
    expect(ledger.rows.map((r: { kind: string; minutes: number }) => [r.kind, r.minutes])).toEqual([
      ['BLOCK_CREDIT', 1200],
      ['BLOCK_CREDIT', 300],
      ['BLOCK_CONSUMPTION', -60],
      ['BLOCK_CONSUMPTION', 60],
      ['BLOCK_CONSUMPTION', -90],
    ]);
  });

  it('invoice drafts and KPIs: administrators only; export and push', async () => {
    expect((await call(techA.token, 'POST', '/invoices/drafts', { clientId: a.client.id, month: '2026-02' })).statusCode).toBe(403);
    expect((await call(manager, 'POST', '/invoices/drafts', { clientId: a.client.id, month: '2026-02' })).statusCode).toBe(403);
    const gen = await call(admin, 'POST', '/invoices/drafts', { clientId: a.client.id, month: '2026-02' });
    expect(gen.statusCode).toBe(201);
    const draft = gen.json().draft;
    expect(draft.lines.map((l: { kind: string; amountCents: number }) => [l.kind, l.amountCents])).toEqual([['BLOCK_PURCHASE', 40000]]);
    expect((await call(admin, 'POST', '/invoices/drafts', { clientId: a.client.id, month: '2026-02' })).statusCode).toBe(200);
    expect((await call(techA.token, 'GET', `/invoices/drafts/${draft.id}`)).statusCode).toBe(403);
    const csv = await call(admin, 'GET', `/invoices/drafts/${draft.id}/export?format=csv`);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="invoice-.*-2026-02-v1\.csv"/);
    expect(csv.body.split('\r\n')[1]).toContain(',BLOCK_PURCHASE,');
    const json = await call(admin, 'GET', `/invoices/drafts/${draft.id}/export?format=json`);
    expect(JSON.parse(json.body)).toMatchObject({ total: 400, currency: 'EUR', period: '2026-02' });
    const push = await call(admin, 'POST', `/invoices/drafts/${draft.id}/push`);
    expect(push.statusCode).toBe(200);
    expect(push.json()).toMatchObject({ pushed: true, externalSystem: 'rest-invoice' });
    expect((await call(admin, 'POST', `/invoices/drafts/${draft.id}/push`)).json()).toMatchObject({ pushed: false, externalId: push.json().externalId });
    expect(fake.invoices.filter((i) => i.number.endsWith('-2026-02-v1'))).toHaveLength(1);

    expect((await call(techA.token, 'GET', '/kpis?month=2026-03')).statusCode).toBe(403);
    expect((await call(manager, 'GET', '/kpis?month=2026-03')).statusCode).toBe(403);
    const kpis = await call(admin, 'GET', '/kpis?month=2026-03');
    expect(kpis.statusCode).toBe(200);
    expect(kpis.json()).toMatchObject({ month: '2026-03', mrrCents: 0, arrCents: 0, billedHoursPerClient: [{ clientId: a.client.id, minutes: 90, hours: 1.5 }], tasksPerTechnician: [{ userId: techA.userId, tickets: 1, entries: 1 }] });
    expect((await call(admin, 'GET', '/kpis?month=2026-13')).statusCode).toBe(400);
  });
});
