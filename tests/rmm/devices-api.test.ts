import { createClient } from '../../activities/clients/client-service';
import { createTestContext, type TestContext } from '../support/context';

/** Device API on the configured (simulated) RMM: link a group to a client, sync, list, tenancy. */
let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext({ env: { RMM_SIMULATOR_FLEET: 'acme:3,globex:2' } });
});

afterAll(async () => {
  await ctx?.close();
});

test('links a group to a client, syncs its devices idempotently, lists them; other tenants see nothing', async () => {
  const acme = await createClient(ctx, { code: 'acme', name: 'ACME' });
  const globex = await createClient(ctx, { code: 'globex', name: 'Globex' });
  const admin = { authorization: `Bearer ${(await ctx.userWithToken('ADMIN')).token}` };

  const link = await ctx.app.inject({ method: 'POST', url: '/devices/groups', headers: admin, payload: { clientId: acme.id, provider: 'simulator', groupId: 'acme' } });
  expect(link.statusCode).toBe(201);
  const again = await ctx.app.inject({ method: 'POST', url: '/devices/groups', headers: admin, payload: { clientId: globex.id, provider: 'simulator', groupId: 'acme' } });
  expect(again.statusCode).toBe(409);
  const unknown = await ctx.app.inject({ method: 'POST', url: '/devices/groups', headers: admin, payload: { clientId: acme.id, provider: 'simulator', groupId: 'nope' } });
  expect(unknown.statusCode).toBe(404);
  const unconfigured = await ctx.app.inject({ method: 'POST', url: '/devices/groups', headers: admin, payload: { clientId: acme.id, provider: 'meshcentral', groupId: 'mesh//x' } });
  expect(unconfigured.statusCode).toBe(503);

  const first = await ctx.app.inject({ method: 'POST', url: '/devices/sync', headers: admin, payload: { clientId: acme.id } });
  expect(first.json()).toMatchObject({ groups: 1, created: 3, updated: 0, removed: 0 });
  const second = await ctx.app.inject({ method: 'POST', url: '/devices/sync', headers: admin, payload: { clientId: acme.id } });
  expect(second.json()).toMatchObject({ created: 0, updated: 3 });
  expect(await ctx.prisma.device.count()).toBe(3);

  const list = await ctx.app.inject({ method: 'GET', url: `/devices?clientId=${acme.id}`, headers: admin });
  expect(list.json().items.map((d: { rmmDeviceId: string; platform: string }) => [d.rmmDeviceId, d.platform])).toEqual([
    ['sim-acme-00000', 'linux'],
    ['sim-acme-00001', 'linux'],
    ['sim-acme-00002', 'linux'],
  ]);

  const globexTech = { authorization: `Bearer ${(await ctx.userWithToken('TECHNICIAN', [globex.id])).token}` };
  expect((await ctx.app.inject({ method: 'GET', url: `/devices?clientId=${acme.id}`, headers: globexTech })).statusCode).toBe(403);
  expect((await ctx.app.inject({ method: 'POST', url: '/devices/sync', headers: globexTech, payload: { clientId: acme.id } })).statusCode).toBe(403);
  expect((await ctx.app.inject({ method: 'GET', url: `/devices?clientId=${acme.id}` })).statusCode).toBe(401);
});
