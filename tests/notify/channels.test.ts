import crypto from 'node:crypto';
import {
  NotificationTargetError,
  NotificationUnavailableError,
  assertSafeTarget,
  createSlackAdapter,
  createTeamsAdapter,
  createWebhookAdapter,
  describeTarget,
  isPrivateAddress,
  signWebhookPayload,
  verifyWebhookSignature,
  type NotificationDeliveryRequest,
  type NotificationMessage,
} from '../../activities/notify/channels';
import { OperationalError, UserError, errorKind } from '../../lib/errors';
import { freePort } from '../support/free-port';
import { Receiver } from './support/receiver';

/** Channel adapters against a real HTTP receiver on 127.0.0.1 (no database needed). */

const message: NotificationMessage = {
  title: 'SLA breach: T-42 Printer on fire',
  text: 'Resolution target passed at 14:00 <b>not bold</b> & more',
  severity: 'critical',
  ticket: { id: 42, number: 'T-42', subject: 'Printer on fire', url: 'https://psa.msp.example/tickets/42' },
  fields: { Client: 'ACME Industries', Priority: 'P1' },
};

function delivery(target: string, extra: Partial<NotificationDeliveryRequest> = {}): NotificationDeliveryRequest {
  return { target, event: 'sla.breach', message, idempotencyKey: `ticket-42:sla.breach:route-${crypto.randomUUID()}`, ...extra };
}

const local = { allowPrivateTargets: true, timeoutMs: 2_000 };

describe('notification channel adapters (real HTTP receiver on loopback)', () => {
  let rx: Receiver;
  beforeAll(async () => {
    rx = await new Receiver().start();
  });
  afterAll(() => rx?.close());

  describe('payload shapes', () => {
    it('Slack: POSTs JSON with a fallback `text` and Block Kit blocks, mrkdwn-escaped', async () => {
      const d = delivery(rx.url('/slack/services/T000/B000/XXXX'));
      await createSlackAdapter(local).send(d);
      const [req] = rx.to('/slack/services/T000/B000/XXXX');
      expect(req.method).toBe('POST');
      expect(req.headers['content-type']).toMatch(/^application\/json/);
      expect(req.headers['x-mspflow-delivery']).toBe(d.idempotencyKey);
      const body = req.json;
      expect(body.text).toBe('[Critical] SLA breach: T-42 Printer on fire (T-42)');
      expect(body.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
      expect(body.blocks[0].text).toEqual({ type: 'plain_text', text: message.title, emoji: true });
      expect(body.blocks[1].text.type).toBe('mrkdwn');
      expect(body.blocks[1].text.text).toBe('Resolution target passed at 14:00 &lt;b&gt;not bold&lt;/b&gt; &amp; more');
      expect(body.blocks[2].text.text).toBe('*<https://psa.msp.example/tickets/42|T-42>* Printer on fire');
      expect(body.blocks[3].fields).toEqual([
        { type: 'mrkdwn', text: '*Client*\nACME Industries' },
        { type: 'mrkdwn', text: '*Priority*\nP1' },
      ]);
      expect(body.blocks[4].elements[0].text).toContain('`sla.breach`');
    });

    it('Teams: POSTs a message with one Adaptive Card attachment (Workflows / incoming webhook envelope)', async () => {
      const d = delivery(rx.url('/teams/workflows/abc'));
      await createTeamsAdapter(local).send(d);
      const [req] = rx.to('/teams/workflows/abc');
      expect(req.status).toBe(202);
      const body = req.json;
      expect(body.type).toBe('message');
      expect(body.attachments).toHaveLength(1);
      const att = body.attachments[0];
      expect(att.contentType).toBe('application/vnd.microsoft.card.adaptive');
      expect(att.contentUrl).toBeNull();
      const card = att.content;
      expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json' });
      expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: message.title, weight: 'Bolder', color: 'Attention', wrap: true });
      expect(card.body[1]).toMatchObject({ type: 'TextBlock', text: message.text, wrap: true });
      expect(card.body[2].type).toBe('FactSet');
      expect(card.body[2].facts).toEqual([
        { title: 'Ticket', value: 'T-42 Printer on fire' },
        { title: 'Client', value: 'ACME Industries' },
        { title: 'Priority', value: 'P1' },
        { title: 'Severity', value: 'Critical' },
        { title: 'Event', value: 'sla.breach' },
      ]);
      expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open T-42', url: 'https://psa.msp.example/tickets/42' }]);
    });

    it('generic webhook: signed JSON the receiver verifies, with the delivery id in header and body', async () => {
      const secret = 'whsec_' + crypto.randomBytes(16).toString('hex');
      const target = rx.webhook('/hook/ok', secret);
      const d = delivery(target, { secret });
      await createWebhookAdapter(local).send(d);
      const [req] = rx.to('/hook/ok');
      expect(req.signatureValid).toBe(true);
      expect(req.status).toBe(200);
      expect(req.headers['x-mspflow-delivery']).toBe(d.idempotencyKey);
      expect(req.headers['x-mspflow-timestamp']).toMatch(/^\d{10}$/);
      expect(Math.abs(Number(req.headers['x-mspflow-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
      expect(req.headers['x-mspflow-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
      expect(req.json).toEqual({ id: d.idempotencyKey, event: 'sla.breach', timestamp: expect.any(String), message });
    });

    it('generic webhook signed with the wrong secret is rejected by the receiver: a non-retryable UserError', async () => {
      const target = rx.webhook('/hook/strict', 'the-receivers-secret');
      const err = await createWebhookAdapter(local)
        .send(delivery(target, { secret: 'a-different-secret' }))
        .catch((e: unknown) => e);
      expect(rx.to('/hook/strict')[0].signatureValid).toBe(false);
      expect(err).toBeInstanceOf(NotificationTargetError);
      expect(errorKind(err)).toBe('user');
      expect((err as NotificationTargetError).httpStatus).toBe(401);
    });

    it('generic webhook refuses to send unsigned (no secret on the route)', async () => {
      const before = rx.requests.length;
      await expect(createWebhookAdapter(local).send(delivery(rx.url('/hook/nosecret')))).rejects.toBeInstanceOf(UserError);
      expect(rx.requests.length).toBe(before);
    });
  });

  describe('verifyWebhookSignature', () => {
    const secret = 'shh';
    const body = '{"id":"k1","event":"sla.breach"}';
    // Taken per test: under load, a suite can start minutes after this file was loaded.
    let now: number;
    beforeEach(() => {
      now = Math.floor(Date.now() / 1000);
    });

    it('accepts a valid signature', () => {
      expect(verifyWebhookSignature(secret, String(now), body, signWebhookPayload(secret, now, body))).toBe(true);
      expect(verifyWebhookSignature(secret, now, Buffer.from(body), signWebhookPayload(secret, now, body))).toBe(true);
    });
    it('rejects a tampered body, a wrong secret, or a timestamp changed after signing', () => {
      const sig = signWebhookPayload(secret, now, body);
      expect(verifyWebhookSignature(secret, now, body.replace('breach', 'warning'), sig)).toBe(false);
      expect(verifyWebhookSignature('other', now, body, sig)).toBe(false);
      expect(verifyWebhookSignature(secret, now - 1, body, sig)).toBe(false);
    });
    it('rejects a stale (or far-future) timestamp even when correctly signed', () => {
      const old = now - 301;
      expect(verifyWebhookSignature(secret, old, body, signWebhookPayload(secret, old, body))).toBe(false);
      expect(verifyWebhookSignature(secret, old, body, signWebhookPayload(secret, old, body), 600)).toBe(true);
      const future = now + 301;
      expect(verifyWebhookSignature(secret, future, body, signWebhookPayload(secret, future, body))).toBe(false);
    });
    it('accepts any of several v1 signatures (secret rotation) and rejects malformed headers', () => {
      const good = signWebhookPayload(secret, now, body);
      const other = signWebhookPayload('old-secret', now, body);
      expect(verifyWebhookSignature(secret, now, body, `${other}, ${good}`)).toBe(true);
      expect(verifyWebhookSignature(secret, now, body, good.slice(3))).toBe(false);
      expect(verifyWebhookSignature(secret, now, body, 'v1=zz')).toBe(false);
      expect(verifyWebhookSignature(secret, now, body, undefined)).toBe(false);
      expect(verifyWebhookSignature(secret, 'not-a-number', body, good)).toBe(false);
      expect(verifyWebhookSignature(secret, undefined, body, good)).toBe(false);
    });
  });

  describe('failure classification', () => {
    const send = (path: string) => createSlackAdapter(local).send(delivery(rx.url(path)));

    it.each([500, 502, 503, 408, 429])('HTTP %i is a retryable OperationalError', async (status) => {
      const path = `/slack/status-${status}`;
      rx.script(path, { status, body: 'nope', headers: status === 429 ? { 'retry-after': '7' } : {} });
      const err = await send(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationalError);
      expect(err).toBeInstanceOf(NotificationUnavailableError);
      expect((err as NotificationUnavailableError).httpStatus).toBe(status);
      if (status === 429) expect((err as NotificationUnavailableError).retryAfterMs).toBe(7000);
    });

    it.each([400, 403, 404, 410])('HTTP %i is a non-retryable UserError', async (status) => {
      const path = `/slack/status-${status}`;
      rx.script(path, { status, body: 'invalid_payload' });
      const err = await send(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toContain(`HTTP ${status}: invalid_payload`);
    });

    it('does not follow a redirect (it could point past the SSRF guard): UserError, one request', async () => {
      rx.script('/slack/redirect', { status: 302, headers: { location: rx.url('/slack/redirected') } });
      await expect(send('/slack/redirect')).rejects.toBeInstanceOf(UserError);
      expect(rx.to('/slack/redirected')).toHaveLength(0);
    });

    it('a timeout is a retryable OperationalError', async () => {
      rx.script('/slack/slow', { status: 200, body: 'ok', delayMs: 5_000 });
      const started = Date.now();
      const err = await createSlackAdapter({ ...local, timeoutMs: 200 })
        .send(delivery(rx.url('/slack/slow')))
        .catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(4_000); // gave up long before the answer came
      expect(err).toBeInstanceOf(OperationalError);
      expect((err as Error).message).toMatch(/did not answer within 200 ms/);
    });

    it('a refused connection is a retryable OperationalError', async () => {
      const port = await freePort();
      const err = await createSlackAdapter(local)
        .send(delivery(`http://127.0.0.1:${port}/slack/x`))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationalError);
      expect((err as Error).message).toMatch(/unreachable \(ECONNREFUSED\)/);
    });

    it('Teams legacy "HTTP 200 with an embedded error" is classified by the embedded status', async () => {
      rx.script('/teams/legacy', { status: 200, body: 'Microsoft Teams endpoint returned HTTP error 429 with ContextId ...' });
      const err = await createTeamsAdapter(local)
        .send(delivery(rx.url('/teams/legacy')))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationalError);
    });

    it('error messages name the origin only: the secret part of a webhook URL never appears', async () => {
      const path = '/slack/services/T000/B000/SUPERSECRETTOKEN';
      rx.script(path, { status: 404, body: 'no_service' });
      const err = (await send(`${path}?sig=ALSOSECRET`).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toContain(`http://127.0.0.1:${rx.port}/…`);
      expect(err.message).not.toContain('SUPERSECRETTOKEN');
      expect(err.message).not.toContain('ALSOSECRET');
      expect(describeTarget('https://hooks.slack.com/services/T/B/SECRET')).toBe('https://hooks.slack.com/…');
    });
  });

  describe('SSRF guard', () => {
    const guarded = { timeoutMs: 2_000 }; // allowPrivateTargets defaults to false

    it.each(['file:///etc/passwd', 'ftp://example.com/x', 'gopher://example.com/', 'javascript:alert(1)', 'not a url'])(
      'refuses %s as a non-retryable UserError, even with allowPrivateTargets',
      async (target) => {
        const before = rx.requests.length;
        await expect(createSlackAdapter(local).send(delivery(target))).rejects.toBeInstanceOf(UserError);
        await expect(createWebhookAdapter(local).send(delivery(target, { secret: 's' }))).rejects.toBeInstanceOf(UserError);
        expect(rx.requests.length).toBe(before);
      },
    );

    it('refuses the loopback receiver when private targets are not allowed, and reaches it when they are', async () => {
      const before = rx.to('/slack/guarded').length;
      const err = await createSlackAdapter(guarded)
        .send(delivery(rx.url('/slack/guarded')))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(/private, loopback/);
      await expect(createTeamsAdapter(guarded).send(delivery(rx.url('/slack/guarded')))).rejects.toBeInstanceOf(UserError);
      expect(rx.to('/slack/guarded').length).toBe(before);
      await createSlackAdapter(local).send(delivery(rx.url('/slack/guarded')));
      expect(rx.to('/slack/guarded').length).toBe(before + 1);
    });

    it.each([
      'http://localhost/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://192.168.1.1/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[2002:7f00:1::]/',
    ])('refuses %s', async (target) => {
      await expect(assertSafeTarget(target)).rejects.toBeInstanceOf(UserError);
    });

    it('checks what a host name resolves to: refuses if any address is private, passes public ones', async () => {
      const lookup = (addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      await expect(assertSafeTarget('https://hooks.example.com/x', { lookup: lookup(['93.184.215.14', '10.0.0.5']) })).rejects.toBeInstanceOf(
        UserError,
      );
      await expect(assertSafeTarget('https://hooks.example.com/x', { lookup: lookup([]) })).rejects.toBeInstanceOf(UserError);
      const ok = await assertSafeTarget('https://hooks.example.com/x', { lookup: lookup(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']) });
      expect(ok.hostname).toBe('hooks.example.com');
      const dnsDown = async () => {
        throw Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' });
      };
      const err = await assertSafeTarget('https://hooks.example.com/x', { lookup: dnsDown }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationalError);
    });

    it('refuses credentials in the URL', async () => {
      await expect(assertSafeTarget('https://user:pass@hooks.example.com/x', { allowPrivateTargets: true })).rejects.toBeInstanceOf(UserError);
    });

    it('classifies addresses', () => {
      for (const a of ['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', '::', 'fc00::1', '::ffff:192.168.0.1', '64:ff9b::7f00:1', 'nonsense']) {
        expect([a, isPrivateAddress(a)]).toEqual([a, true]);
      }
      for (const a of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '64:ff9b::808:808', '::ffff:8.8.8.8']) {
        expect([a, isPrivateAddress(a)]).toEqual([a, false]);
      }
    });
  });
});
