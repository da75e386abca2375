import crypto from 'node:crypto';
import pino from 'pino';
import { ApplicationFailure } from '@temporalio/common';
import { createChannelAdapters, type NotificationMessage } from '../../activities/notify/channels';
import { deliveryKey, notify, routesFor, type NotifyDeps } from '../../activities/notify/notification-service';
import { createNotifyActivities } from '../../activities/notify/notify-activities';
import type { NotificationChannel, Prisma } from '../../lib/db/prisma';
import { OperationalError, UserError, errorKind } from '../../lib/errors';
import { withFailureMapping } from '../../lib/temporal-failure';
import { createTestContext, type TestContext } from '../support/context';
import { Receiver } from './support/receiver';

/**
 * The notification service against real PostgreSQL (an isolated migrated database) and a real
 * HTTP receiver on 127.0.0.1 standing in for Slack, Teams and a signed generic webhook.
 */
describe('notification service (real PostgreSQL, real HTTP receiver)', () => {
  let ctx: TestContext;
  let rx: Receiver;
  let deps: NotifyDeps;
  let logLines: string[];
  let clientA: string;
  let clientB: string;

  const message = (title = 'SLA warning: T-7 VPN down'): NotificationMessage => ({
    title,
    text: '75% of the resolution time used',
    severity: 'warning',
    ticket: { id: 7, number: 'T-7', subject: 'VPN down' },
  });
  const uniqueEvent = () => `test.${crypto.randomBytes(4).toString('hex')}`;
  const secret = 'whsec_' + crypto.randomBytes(12).toString('hex');

  async function route(data: { clientId?: string | null; event: string; channel: NotificationChannel; target: string; secret?: string; enabled?: boolean }) {
    return ctx.prisma.notificationRoute.create({ data: { clientId: data.clientId ?? null, ...data } });
  }

  /** A Slack, a Teams and a signed-webhook route for `event`, each on its own receiver path. */
  async function threeRoutes(event: string, clientId: string | null = null) {
    const tag = crypto.randomBytes(3).toString('hex');
    const paths = { slack: `/slack/${tag}/TOKEN`, teams: `/teams/${tag}`, hook: `/hook/${tag}` };
    const routes = {
      slack: await route({ clientId, event, channel: 'SLACK', target: rx.url(paths.slack) }),
      teams: await route({ clientId, event, channel: 'TEAMS', target: rx.url(paths.teams) }),
      hook: await route({ clientId, event, channel: 'WEBHOOK', target: rx.webhook(paths.hook, secret), secret }),
    };
    return { paths, routes };
  }

  beforeAll(async () => {
    ctx = await createTestContext();
    rx = await new Receiver().start();
    logLines = [];
    const log = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
    deps = { prisma: ctx.prisma, log, adapters: createChannelAdapters({ allowPrivateTargets: true, timeoutMs: 3_000 }) };
    clientA = (await ctx.prisma.client.create({ data: { code: 'notify-a', name: 'Client A' } })).id;
    clientB = (await ctx.prisma.client.create({ data: { code: 'notify-b', name: 'Client B' } })).id;
  });
  afterAll(async () => {
    await rx?.close();
    await ctx?.close();
  });

  describe('routesFor', () => {
    it("uses the client's own routes when it has any, else the MSP-wide defaults", async () => {
      const event = uniqueEvent();
      const def1 = await route({ event, channel: 'SLACK', target: 'https://hooks.slack.com/services/default' });
      const def2 = await route({ event, channel: 'EMAIL', target: 'noc@msp.example' });
      const own = await route({ clientId: clientA, event, channel: 'TEAMS', target: 'https://example.webhook.office.com/a' });
      await route({ event: `${event}.other`, channel: 'SLACK', target: 'https://hooks.slack.com/services/other' });

      expect((await routesFor(deps, clientA, event)).map((r) => r.id)).toEqual([own.id]);
      expect((await routesFor(deps, clientB, event)).map((r) => r.id)).toEqual([def1.id, def2.id]);
      expect((await routesFor(deps, null, event)).map((r) => r.id)).toEqual([def1.id, def2.id]);
      expect(await routesFor(deps, clientA, `${event}.none`)).toEqual([]);

      // A disabled client route counts as absent: the client falls back to the defaults.
      await ctx.prisma.notificationRoute.update({ where: { id: own.id }, data: { enabled: false } });
      expect((await routesFor(deps, clientA, event)).map((r) => r.id)).toEqual([def1.id, def2.id]);
      // A disabled default is not used either.
      await ctx.prisma.notificationRoute.update({ where: { id: def2.id }, data: { enabled: false } });
      expect((await routesFor(deps, clientB, event)).map((r) => r.id)).toEqual([def1.id]);
    });

    it('notify sends to the client routes only, not to the defaults they override', async () => {
      const event = uniqueEvent();
      const defaults = await threeRoutes(event, null);
      const own = await threeRoutes(event, clientA);
      const result = await notify(deps, { clientId: clientA, event, message: message(), dedupeKey: `k-${event}` });
      expect(result.routes.map((r) => r.routeId).sort()).toEqual(Object.values(own.routes).map((r) => r.id).sort());
      for (const p of Object.values(own.paths)) expect(rx.to(p)).toHaveLength(1);
      for (const p of Object.values(defaults.paths)) expect(rx.to(p)).toHaveLength(0);

      await notify(deps, { clientId: clientB, event, message: message(), dedupeKey: `k-${event}-b` });
      for (const p of Object.values(defaults.paths)) expect(rx.to(p)).toHaveLength(1);
    });
  });

  describe('exactly once per dedupeKey and route', () => {
    it('sends to every route and records each delivery SENT', async () => {
      const event = uniqueEvent();
      const { paths, routes } = await threeRoutes(event);
      const dedupeKey = `ticket-7:${event}:75`;
      const result = await notify(deps, { clientId: clientA, event, ticketId: 7, message: message(), dedupeKey });
      expect(result.routes).toHaveLength(3);
      expect(result.routes.every((r) => r.outcome === 'sent' && r.attempts === 1)).toBe(true);
      expect(rx.to(paths.hook)[0].signatureValid).toBe(true);

      const rows = await ctx.prisma.notificationDelivery.findMany({ where: { event }, orderBy: { channel: 'asc' } });
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(row).toMatchObject({ status: 'SENT', attempts: 1, lastError: null, ticketId: 7 });
        expect(row.sentAt).toBeInstanceOf(Date);
      }
      expect(rows.map((r) => r.idempotencyKey).sort()).toEqual(Object.values(routes).map((r) => deliveryKey(dedupeKey, r.id)).sort());
      // The ledger's target is the redacted origin: the Slack token in the path is not copied.
      expect(rows.find((r) => r.channel === 'SLACK')!.target).toBe(`http://127.0.0.1:${rx.port}/…`);
      expect(rx.to(paths.hook)[0].headers['x-mspflow-delivery']).toBe(deliveryKey(dedupeKey, routes.hook.id));
    });

    it('calling notify again with the same dedupeKey sends nothing more (a retried activity, a restarted worker)', async () => {
      const event = uniqueEvent();
      const { paths } = await threeRoutes(event);
      const input = { clientId: clientA, event, message: message(), dedupeKey: `ticket-7:${event}:75` };
      await notify(deps, input);
      const again = await notify(deps, input);
      const third = await notify(deps, { ...input, message: message('a different text does not make it a new event') });
      expect(again.routes.map((r) => r.outcome)).toEqual(['already-sent', 'already-sent', 'already-sent']);
      expect(third.routes.map((r) => r.outcome)).toEqual(['already-sent', 'already-sent', 'already-sent']);
      for (const p of Object.values(paths)) expect(rx.to(p)).toHaveLength(1);
      expect(await ctx.prisma.notificationDelivery.count({ where: { event } })).toBe(3);

      // Another business event (another dedupeKey) is another message.
      await notify(deps, { ...input, dedupeKey: `ticket-7:${event}:90` });
      for (const p of Object.values(paths)) expect(rx.to(p)).toHaveLength(2);
    });

    it('two concurrent calls with the same dedupeKey still send once: the loser sees the claim and fails retryably', async () => {
      const event = uniqueEvent();
      const { paths } = await threeRoutes(event);
      for (const p of Object.values(paths)) rx.delay(p, 400);
      const input = { clientId: clientA, event, message: message(), dedupeKey: `race:${event}` };
      const settled = await Promise.allSettled([notify(deps, input), notify(deps, input)]);
      for (const p of Object.values(paths)) expect(rx.to(p)).toHaveLength(1);
      const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      // Each route has one winner; a call that lost any route fails (retryably) as a whole.
      expect(rejected.length).toBeGreaterThanOrEqual(1);
      for (const r of rejected) {
        expect(errorKind(r.reason)).toBe('operational');
        expect((r.reason as Error).message).toMatch(/another attempt is sending/);
      }
      // Temporal's retry of the loser then finds everything SENT.
      const retry = await notify(deps, input);
      expect(retry.routes.map((r) => r.outcome)).toEqual(['already-sent', 'already-sent', 'already-sent']);
      for (const p of Object.values(paths)) expect(rx.to(p)).toHaveLength(1);
      const rows = await ctx.prisma.notificationDelivery.findMany({ where: { event } });
      expect(rows.map((r) => [r.status, r.attempts])).toEqual([
        ['SENT', 1],
        ['SENT', 1],
        ['SENT', 1],
      ]);
    });
  });

  describe('failures and retries', () => {
    it('500 then success: the first call throws a retryable OperationalError, the second sends; one row SENT after 2 attempts', async () => {
      const event = uniqueEvent();
      const path = `/hook/${event}`;
      const r = await route({ event, channel: 'WEBHOOK', target: rx.webhook(path, secret), secret });
      rx.script(path, { status: 500, body: 'database is down' });
      const input = { event, message: message(), dedupeKey: `flaky:${event}` };

      const err = await notify(deps, input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationalError);
      expect((err as Error).message).toContain('HTTP 500');
      let row = await ctx.prisma.notificationDelivery.findUniqueOrThrow({ where: { idempotencyKey: deliveryKey(input.dedupeKey, r.id) } });
      expect(row).toMatchObject({ status: 'FAILED', attempts: 1, sentAt: null });
      expect(row.lastError).toContain('HTTP 500: database is down');

      const ok = await notify(deps, input);
      expect(ok.routes).toMatchObject([{ routeId: r.id, outcome: 'sent', attempts: 2 }]);
      row = await ctx.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: row.id } });
      expect(row).toMatchObject({ status: 'SENT', attempts: 2, lastError: null });
      expect(row.sentAt).toBeInstanceOf(Date);
      expect(await ctx.prisma.notificationDelivery.count({ where: { event } })).toBe(1);

      // Both attempts carried the same delivery id, so a receiver could have deduplicated them.
      const seen = rx.to(path);
      expect(seen.map((s) => s.status)).toEqual([500, 200]);
      expect(new Set(seen.map((s) => s.headers['x-mspflow-delivery']))).toEqual(new Set([row.idempotencyKey]));

      await notify(deps, input);
      expect(rx.to(path)).toHaveLength(2);
    });

    it('400 is a non-retryable UserError; through the activity wrapper a non-retryable ApplicationFailure', async () => {
      const event = uniqueEvent();
      const path = `/slack/${event}`;
      const r = await route({ event, channel: 'SLACK', target: rx.url(path) });
      rx.script(path, { status: 400, body: 'invalid_payload' }, { status: 400, body: 'invalid_payload' });
      const input = { event, message: message(), dedupeKey: `bad:${event}` };

      const err = await notify(deps, input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(errorKind(err)).toBe('user');
      const row = await ctx.prisma.notificationDelivery.findUniqueOrThrow({ where: { idempotencyKey: deliveryKey(input.dedupeKey, r.id) } });
      expect(row).toMatchObject({ status: 'FAILED', attempts: 1 });
      expect(row.lastError).toContain('HTTP 400: invalid_payload');

      const activities = withFailureMapping(createNotifyActivities(deps));
      const failure = await activities.sendNotification(input).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).nonRetryable).toBe(true);

      rx.script(path, { status: 503 });
      const retryable = await activities.sendNotification(input).catch((e: unknown) => e);
      expect(retryable).toBeInstanceOf(ApplicationFailure);
      expect((retryable as ApplicationFailure).nonRetryable).toBe(false);
      expect(rx.to(path).map((s) => s.status)).toEqual([400, 400, 503]);
    });

    it('routes are independent: a failing route does not stop the others, and its retry does not resend them', async () => {
      const event = uniqueEvent();
      const { paths } = await threeRoutes(event);
      rx.script(paths.teams, { status: 502, body: 'bad gateway' });
      const input = { event, message: message(), dedupeKey: `partial:${event}` };

      const err = await notify(deps, input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationalError);
      expect((err as Error).message).toMatch(/1 of 3 notification deliveries failed/);
      expect(rx.to(paths.slack)).toHaveLength(1);
      expect(rx.to(paths.hook)).toHaveLength(1);

      const ok = await notify(deps, input);
      expect(Object.fromEntries(ok.routes.map((r) => [r.channel, r.outcome]))).toEqual({
        SLACK: 'already-sent',
        TEAMS: 'sent',
        WEBHOOK: 'already-sent',
      });
      expect(rx.to(paths.slack)).toHaveLength(1);
      expect(rx.to(paths.hook)).toHaveLength(1);
      expect(rx.to(paths.teams).map((s) => s.status)).toEqual([502, 202]);
    });

    it('the documented window: a claim left by a crashed attempt blocks resends until its lease expires, then it is resent', async () => {
      const event = uniqueEvent();
      const path = `/hook/${event}`;
      const r = await route({ event, channel: 'WEBHOOK', target: rx.webhook(path, secret), secret });
      const input = { event, message: message(), dedupeKey: `crash:${event}` };
      // What a worker that died mid-send leaves behind: the row claimed by attempt 1, not SENT.
      const row = await ctx.prisma.notificationDelivery.create({
        data: {
          idempotencyKey: deliveryKey(input.dedupeKey, r.id),
          channel: 'WEBHOOK',
          target: 'x',
          event,
          payload: { message: message() } as unknown as Prisma.InputJsonValue,
          status: 'PENDING',
          attempts: 1,
        },
      });

      const blocked = await notify(deps, input).catch((e: unknown) => e);
      expect(errorKind(blocked)).toBe('operational');
      expect((blocked as Error).message).toMatch(/another attempt is sending/);
      expect(rx.to(path)).toHaveLength(0);

      // After the lease, the next attempt sends: at-least-once in this window, with the same id.
      const later = await notify({ ...deps, now: () => new Date(Date.now() + 10 * 60_000) }, input);
      expect(later.routes).toMatchObject([{ outcome: 'sent', attempts: 2 }]);
      expect(rx.to(path)).toHaveLength(1);
      expect(rx.to(path)[0].headers['x-mspflow-delivery']).toBe(row.idempotencyKey);
    });

    it('SSRF guard in production mode: a loopback or file:// route fails non-retryably, nothing is sent', async () => {
      const event = uniqueEvent();
      const path = `/slack/${event}`;
      await route({ event, channel: 'SLACK', target: rx.url(path) });
      await route({ event, channel: 'WEBHOOK', target: 'file:///etc/passwd', secret });
      const guarded: NotifyDeps = { ...deps, adapters: createChannelAdapters({}) };
      const err = await notify(guarded, { event, message: message(), dedupeKey: `ssrf:${event}` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(rx.to(path)).toHaveLength(0);
      const rows = await ctx.prisma.notificationDelivery.findMany({ where: { event } });
      expect(rows.map((x) => x.status)).toEqual(['FAILED', 'FAILED']);
      expect(rows.map((x) => x.lastError).join(' ')).toMatch(/private, loopback/);
      expect(rows.map((x) => x.lastError).join(' ')).toMatch(/must be an http\(s\) URL/);
    });

    it('a channel without an adapter fails retryably (fixed by deploying one), not silently', async () => {
      const event = uniqueEvent();
      await route({ event, channel: 'EMAIL', target: 'noc@msp.example' });
      const err = await notify(deps, { event, message: message(), dedupeKey: `noadapter:${event}` }).catch((e: unknown) => e);
      expect(errorKind(err)).toBe('operational');
      expect((err as Error).message).toMatch(/no adapter is configured for channel EMAIL/);
    });

    it('no routes: nothing to do', async () => {
      expect(await notify(deps, { clientId: clientA, event: uniqueEvent(), message: message(), dedupeKey: 'none' })).toMatchObject({ routes: [] });
    });
  });

  it('never logs or records a secret (webhook secret, Slack URL token)', () => {
    const all = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(10);
    expect(all).not.toContain(secret);
    expect(all).not.toContain('/TOKEN');
    expect(all).toContain('notification sent');
  });
});
