import crypto from 'node:crypto';
import { createBillingContract } from '../../../activities/billing/contract-service';
import { recordTimeEntry } from '../../../activities/billing/time-entry-service';
import { systemActor } from '../../../lib/access';
import type { PrismaClient } from '../../../lib/db/prisma';

/**
 * A month of data for one client (March 2026, Europe/Paris: 2026-02-28T23:00Z to
 * 2026-03-31T22:00Z, DST on the 29th), with the numbers a report must give, computed by hand in
 * `expected` below. Ticket and device names carry hostile text (the report escapes it).
 */
export const FIXTURE_MONTH = '2026-03';
export const FIXTURE_AS_OF = new Date('2026-04-05T00:00:00Z');

export interface Fixture {
  clientId: string;
  code: string;
  t: Record<'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g', number>;
  dev: Record<'d1' | 'd2' | 'd3' | 'd4', string>;
  rolloutId: string;
}

const at = (s: string) => new Date(s);

export async function seedReportMonth(prisma: PrismaClient, opts: { code?: string; locale?: string; recipients?: string[] } = {}): Promise<Fixture> {
  const code = opts.code ?? `acme${crypto.randomBytes(3).toString('hex')}`;
  const client = await prisma.client.create({ data: { code, name: 'ACME <Industries> & Co', timezone: 'Europe/Paris', locale: opts.locale ?? 'fr' } });
  for (const [i, email] of (opts.recipients ?? []).entries()) {
    await prisma.contact.create({ data: { clientId: client.id, email, name: `Contact ${i}`, receivesReports: true } });
  }
  await prisma.contact.create({ data: { clientId: client.id, email: `noreports-${code}@client.test`, name: 'Not a recipient' } });

  const ticket = async (data: { subject: string; priority: 'P1' | 'P2' | 'P3' | 'P4'; kind: 'INCIDENT' | 'REQUEST'; category?: string; createdAt: string; resolvedAt?: string; closedAt?: string }) =>
    (
      await prisma.ticket.create({
        data: {
          clientId: client.id,
          subject: data.subject,
          priority: data.priority,
          kind: data.kind,
          category: data.category ?? null,
          source: 'API',
          createdAt: at(data.createdAt),
          resolvedAt: data.resolvedAt ? at(data.resolvedAt) : null,
          closedAt: data.closedAt ? at(data.closedAt) : null,
        },
      })
    ).id;
  const t = {
    a: await ticket({ subject: 'VPN down', priority: 'P1', kind: 'INCIDENT', category: 'network', createdAt: '2026-03-02T09:00:00Z', resolvedAt: '2026-03-02T12:00:00Z', closedAt: '2026-03-05T09:00:00Z' }),
    b: await ticket({ subject: 'Firewall <script>alert(1)</script>', priority: 'P1', kind: 'INCIDENT', category: 'network', createdAt: '2026-03-10T08:00:00Z', resolvedAt: '2026-03-11T10:00:00Z', closedAt: '2026-03-12T10:00:00Z' }),
    c: await ticket({ subject: 'New account for Zoé', priority: 'P2', kind: 'REQUEST', category: 'accounts', createdAt: '2026-03-15T10:00:00Z', resolvedAt: '2026-03-16T10:00:00Z' }),
    // 23:30 in Paris on March 31st: still March
    d: await ticket({ subject: 'Printer jam', priority: 'P3', kind: 'INCIDENT', createdAt: '2026-03-31T21:30:00Z' }),
    // 00:30 in Paris on March 1st (UTC still says February 28th): March
    e: await ticket({ subject: 'Mail slow', priority: 'P2', kind: 'INCIDENT', category: 'network', createdAt: '2026-02-28T23:30:00Z', resolvedAt: '2026-03-01T10:00:00Z', closedAt: '2026-03-03T10:00:00Z' }),
    // 23:30 in Paris on February 28th: February (closed in March)
    f: await ticket({ subject: 'Screen flicker', priority: 'P3', kind: 'REQUEST', createdAt: '2026-02-28T22:30:00Z', closedAt: '2026-03-02T10:00:00Z' }),
    // April: in no March number
    g: await ticket({ subject: 'April fool', priority: 'P1', kind: 'INCIDENT', createdAt: '2026-04-01T10:00:00Z' }),
  };
  const event = (ticketId: number, type: string, when: string, data: object = {}) =>
    prisma.ticketEvent.create({ data: { ticketId, type, at: at(when), data, dedupeKey: `fixture:${ticketId}:${type}:${when}` } });
  await event(t.a, 'sla.started', '2026-03-02T09:00:00Z');
  await event(t.a, 'sla.first-response', '2026-03-02T09:10:00Z', { clock: 'firstResponse' });
  await event(t.b, 'sla.started', '2026-03-10T08:00:00Z');
  await event(t.b, 'sla.warned', '2026-03-10T11:45:00Z', { clock: 'resolution', fraction: 0.75 });
  await event(t.b, 'sla.breached', '2026-03-10T13:00:00Z', { clock: 'resolution', fraction: 1 });
  await event(t.b, 'sla.escalated', '2026-03-10T13:00:01Z', { clock: 'resolution', level: 'L2' });
  await event(t.c, 'sla.started', '2026-03-15T10:00:00Z');
  await event(t.e, 'sla.started', '2026-02-28T23:30:00Z');

  const device = async (hostname: string, inventory: object, createdAt = '2026-01-01T00:00:00Z', removedAt?: string) =>
    (
      await prisma.device.create({
        data: {
          clientId: client.id,
          rmmProvider: 'simulator',
          rmmDeviceId: `${code}-${hostname}`,
          hostname,
          platform: 'linux',
          inventory,
          createdAt: at(createdAt),
          removedAt: removedAt ? at(removedAt) : null,
        },
      })
    ).id;
  const dev = {
    d1: await device('srv-01', { hardware: { vendor: 'Dell' }, security: { antivirus: 'ok', thirdPartyPending: 0 }, availability: [{ month: '2026-03', percent: 99.5 }] }),
    d2: await device('pc-01', { hardware: { vendor: 'HP' }, security: { antivirus: 'outdated', thirdPartyPending: 3 } }),
    d3: await device('pc-02', {}),
    d4: await device('pc-old', { hardware: { vendor: 'HP' } }, '2026-01-01T00:00:00Z', '2026-02-15T00:00:00Z'),
  };
  const rollout = await prisma.rollout.create({
    data: { name: 'March patches', clientIds: [client.id], patchSet: {}, policy: {}, status: 'completed', workflowId: `rollout-fixture-${code}` },
  });
  const step = (deviceId: string, name: string, status: 'DONE' | 'FAILED', finishedAt: string, error?: string) =>
    prisma.rolloutStep.create({ data: { rolloutId: rollout.id, deviceId, step: name, status, finishedAt: at(finishedAt), startedAt: at(finishedAt), error: error ?? null } });
  await step(dev.d1, 'verify', 'DONE', '2026-03-20T10:00:00Z');
  await step(dev.d2, 'install', 'FAILED', '2026-03-20T10:05:00Z', 'E: dpkg was interrupted');
  await step(dev.d3, 'verify', 'DONE', '2026-02-10T10:00:00Z');
  await step(dev.d3, 'precheck', 'FAILED', '2026-03-21T10:00:00Z', 'device offline');
  return { clientId: client.id, code, t, dev, rolloutId: rollout.id };
}

/** Data that arrives after FIXTURE_AS_OF: a recomputation with that asOf must ignore all of it. */
export async function addLaterData(prisma: PrismaClient, f: Fixture): Promise<void> {
  await prisma.ticketEvent.create({ data: { ticketId: f.t.d, type: 'sla.breached', at: at('2026-04-07T00:00:00Z'), data: { clock: 'resolution' }, dedupeKey: `later:${f.t.d}` } });
  await prisma.ticket.update({ where: { id: f.t.d }, data: { resolvedAt: at('2026-04-08T00:00:00Z'), closedAt: at('2026-04-09T00:00:00Z') } });
  await prisma.device.create({ data: { clientId: f.clientId, rmmProvider: 'simulator', rmmDeviceId: `${f.code}-late`, hostname: 'pc-late', createdAt: at('2026-04-10T00:00:00Z') } });
  await prisma.rolloutStep.create({ data: { rolloutId: f.rolloutId, deviceId: f.dev.d2, step: 'verify', status: 'DONE', finishedAt: at('2026-04-06T00:00:00Z') } });
  await prisma.ticketEvent.create({ data: { ticketId: f.t.c, type: 'sla.breached', at: at('2026-04-06T00:00:00Z'), data: {}, dedupeKey: `later:${f.t.c}` } });
}

/**
 * Contract and time for the consumption section (through part A's billing services, so the
 * ledger rows are written the real way; they are recorded now, i.e. after FIXTURE_AS_OF):
 * a "better" fixed-fee contract (1,500.00 a month, 600 minutes included per month) and, in
 * March, 90 min on T-a (network, requester Zoé of the Lyon subsidiary), 45 min on T-c (accounts),
 * 20 non-billable min on T-b; in March 2025 (same month last year) 30 min on an old ticket.
 */
export async function seedConsumption(prisma: PrismaClient, f: Fixture): Promise<{ techId: string }> {
  const zoe = await prisma.contact.create({ data: { clientId: f.clientId, email: `zoe-${f.code}@client.test`, name: 'Zoé', subsidiary: 'Lyon' } });
  await prisma.ticket.update({ where: { id: f.t.a }, data: { contactId: zoe.id } });
  const tech = await prisma.user.create({ data: { email: `tech-${f.code}@msp.test`, name: 'Tina Tech', role: 'TECHNICIAN' } });
  await createBillingContract({ prisma }, systemActor('test'), {
    clientId: f.clientId,
    name: 'Better plan',
    type: 'MONTHLY_FIXED',
    startsOn: '2025-01-01',
    terms: { plan: 'better', deviceCount: 3, monthlyPriceCents: 150_000, includedMinutesPerMonth: 600 },
  });
  const old = await prisma.ticket.create({ data: { clientId: f.clientId, subject: 'Old one', source: 'API', createdAt: new Date('2025-03-10T10:00:00Z') } });
  const entry = (ticketId: number, minutes: number, startedAt: string, category: string, billable = true) =>
    recordTimeEntry({ prisma }, { ticketId, userId: tech.id, minutes, startedAt: new Date(startedAt), category, billable, sourceKey: `fixture:${ticketId}:${startedAt}` });
  await entry(f.t.a, 90, '2026-03-02T10:00:00Z', 'network');
  await entry(f.t.c, 45, '2026-03-15T11:00:00Z', 'accounts');
  await entry(f.t.b, 20, '2026-03-10T09:00:00Z', 'network', false);
  await entry(old.id, 30, '2025-03-10T11:00:00Z', 'network');
  return { techId: tech.id };
}
