import Fastify from 'fastify';
import { authPlugin } from '../../api/plugins/auth';
import { createTestContext, type TestContext } from '../support/context';

describe('API access control (default deny, hashed tokens, roles)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx?.close());

  it('refuses a request without a token', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/tickets' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'UNAUTHORIZED' });
  });

  it('refuses an unknown, malformed or revoked token', async () => {
    const { token, userId } = await ctx.userWithToken('ADMIN');
    for (const bad of ['mspf_' + 'x'.repeat(43), 'not-a-token', `${token}x`]) {
      const res = await ctx.app.inject({ method: 'GET', url: '/tickets', headers: { authorization: `Bearer ${bad}` } });
      expect(res.statusCode).toBe(401);
    }
    await ctx.prisma.apiToken.updateMany({ where: { userId }, data: { revokedAt: new Date() } });
    const revoked = await ctx.app.inject({ method: 'GET', url: '/tickets', headers: { authorization: `Bearer ${token}` } });
    expect(revoked.statusCode).toBe(401);
  });

  it('refuses a valid token whose role the route does not allow', async () => {
    const tech = await ctx.userWithToken('TECHNICIAN');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/users',
      headers: { authorization: `Bearer ${tech.token}` },
      payload: { email: 'x@msp.test', name: 'X', role: 'ADMIN' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain('ADMIN');
    expect(await ctx.prisma.user.count({ where: { email: 'x@msp.test' } })).toBe(0);
  });

  it('lets the right role through and stores only the hash of issued tokens', async () => {
    const admin = await ctx.userWithToken('ADMIN');
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/users',
      headers: { authorization: `Bearer ${admin.token}` },
      payload: { email: 'Tech@MSP.test', name: 'Tech', role: 'TECHNICIAN' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().email).toBe('tech@msp.test');
    const issued = await ctx.app.inject({
      method: 'POST',
      url: `/users/${created.json().id}/tokens`,
      headers: { authorization: `Bearer ${admin.token}` },
      payload: { name: 'laptop' },
    });
    expect(issued.statusCode).toBe(201);
    const plain: string = issued.json().token;
    const rows = await ctx.prisma.apiToken.findMany({ where: { userId: created.json().id } });
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(plain);
    const asTech = await ctx.app.inject({ method: 'GET', url: '/tickets', headers: { authorization: `Bearer ${plain}` } });
    expect(asTech.statusCode).toBe(200);
  });

  it('serves /health and the OpenAPI document without a token, and nothing else', async () => {
    const health = await ctx.app.inject({ method: 'GET', url: '/health' });
    expect([200, 503]).toContain(health.statusCode);
    expect(health.json().dependencies.postgresql.status).toBe('up');
    expect(health.json().dependencies.temporal.status).toBe('up');
    const spec = await ctx.app.inject({ method: 'GET', url: '/docs/json' });
    expect(spec.statusCode).toBe(200);
    const paths = Object.keys(spec.json().paths);
    expect(paths).toEqual(expect.arrayContaining(['/tickets', '/tickets/{id}', '/clients', '/health']));
  });

  it('fails at start-up when a route declares no access roles', async () => {
    const app = Fastify();
    await app.register(authPlugin, { prisma: ctx.prisma, docsPrefix: '/docs' });
    await app.after();
    expect(() => app.get('/forgotten', async () => 'oops')).toThrow(/declares no access roles/);
    await app.close().catch(() => undefined);
  });
});
