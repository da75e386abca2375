import { createChannelAdapters } from '../../activities/notify/channels';
import { notify } from '../../activities/notify/notification-service';
import { Receiver } from '../notify/support/receiver';
import { createTestContext, type TestContext } from '../support/context';

type Token = { userId: string; token: string };
type Delivery = { id: string; clientId: string | null; status: string; attempts: number; lastError: string | null; target: string; title: string | null };

/**
 * A notification that fails for good (the receiver rejects its signature) is visible through the
 * API with its reason, to the people who may see that client, and to nobody else.
 */
describe('notification deliveries through the API', () => {
  let ctx: TestContext;
  let receiver: Receiver;
  let admin: Token;
  let techA: Token;
  let techB: Token;
  let clientA: string;
  let clientB: string;

  const list = (who: Token, query = '') =>
    ctx.app.inject({ method: 'GET', url: `/notification-deliveries${query}`, headers: { authorization: `Bearer ${who.token}` } });

  beforeAll(async () => {
    ctx = await createTestContext();
    receiver = await new Receiver().start();
    clientA = (await ctx.prisma.client.create({ data: { code: 'deliv-a', name: 'Client A' } })).id;
    clientB = (await ctx.prisma.client.create({ data: { code: 'deliv-b', name: 'Client B' } })).id;
    admin = await ctx.userWithToken('ADMIN');
    techA = await ctx.userWithToken('TECHNICIAN', [clientA]);
    techB = await ctx.userWithToken('TECHNICIAN', [clientB]);
    // The receiver checks signatures with another secret than the route's: 401, a permanent failure.
    const url = receiver.webhook('/hook', 'the-receivers-own-secret');
    await ctx.prisma.notificationRoute.createMany({
      data: [
        { clientId: clientA, event: 'sla.breach', channel: 'WEBHOOK', target: url, secret: 'a-secret-the-receiver-lacks' },
        { clientId: null, event: 'ticket.new-p1', channel: 'WEBHOOK', target: url, secret: 'a-secret-the-receiver-lacks' },
      ],
    });
    const deps = { prisma: ctx.prisma, adapters: createChannelAdapters({ allowPrivateTargets: true }), log: ctx.log };
    const message = { title: 'T-7 P1: resolution SLA breached', text: 'Breached.', severity: 'critical' as const };
    await expect(notify(deps, { clientId: clientA, event: 'sla.breach', dedupeKey: 'ticket-7:breach', message })).rejects.toMatchObject({
      code: 'NOTIFICATION_FAILED',
    });
    await expect(notify(deps, { event: 'ticket.new-p1', dedupeKey: 'msp:new-p1', message })).rejects.toMatchObject({ code: 'NOTIFICATION_FAILED' });
  });
  afterAll(async () => {
    await receiver?.close();
    await ctx?.close();
  });

  it('shows failed deliveries with their reason, redacted target and title', async () => {
    const res = await list(admin, '?status=FAILED');
    expect(res.statusCode).toBe(200);
    const items = (res.json() as { items: Delivery[] }).items;
    expect(items).toHaveLength(2);
    const a = items.find((d) => d.clientId === clientA)!;
    expect(a).toMatchObject({ status: 'FAILED', attempts: 1, title: 'T-7 P1: resolution SLA breached' });
    expect(a.lastError).toMatch(/401/);
    expect(a.target).toBe(`http://127.0.0.1:${receiver.port}/…`);
    expect(JSON.stringify(items)).not.toContain('a-secret-the-receiver-lacks');
  });

  it('keeps tenants apart: a technician sees their clients only, never MSP-wide events', async () => {
    const mine = (await list(techA, '?status=FAILED')).json() as { items: Delivery[] };
    expect(mine.items.map((d) => d.clientId)).toEqual([clientA]);
    expect(((await list(techB)).json() as { items: Delivery[] }).items).toEqual([]);
    expect((await list(techB, `?clientId=${clientA}`)).statusCode).toBe(404);
    expect(((await list(admin, `?clientId=${clientB}`)).json() as { items: Delivery[] }).items).toEqual([]);
  });

  it('rejects bad filters and anonymous calls', async () => {
    expect((await list(admin, '?status=LOST')).statusCode).toBe(400);
    expect((await list(admin, '?limit=0')).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'GET', url: '/notification-deliveries' })).statusCode).toBe(401);
  });
});
