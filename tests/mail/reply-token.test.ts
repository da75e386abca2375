import fc from 'fast-check';
import {
  createReplyToken,
  findReplyTokens,
  messageIdWithToken,
  parseReplyToken,
  replyToAddress,
  tokenFromAddress,
  tokenFromMessageId,
  uniquePartFor,
  verifyReplyToken,
  type ReplyTokenClaims,
} from '../../lib/mail/reply-token';

const SECRET = 'a'.repeat(16) + 'server-secret-for-tests-0123456789';
const OTHER = 'b'.repeat(16) + 'another-secret-entirely-0123456789';
const claims: ReplyTokenClaims = { kind: 'ticket', entityId: '1042', role: 'staff', recipient: 'Tech@Example.test' };

describe('reply tokens', () => {
  it('verify for the address they were issued to, case-insensitively, and give back the claims', () => {
    const token = createReplyToken(SECRET, claims);
    expect(token).toMatch(/^t\.1042\.s\.[a-z2-7]{26}$/);
    expect(verifyReplyToken(SECRET, token, 'tech@example.test')).toEqual({
      ok: true,
      claims: { kind: 'ticket', entityId: '1042', role: 'staff', recipient: 'tech@example.test' },
    });
    expect(verifyReplyToken(SECRET, token.toUpperCase(), ' TECH@example.TEST ').ok).toBe(true);
  });

  it('refuse another sender, another secret, and any altered part', () => {
    const token = createReplyToken(SECRET, claims);
    expect(verifyReplyToken(SECRET, token, 'attacker@evil.test')).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyReplyToken(OTHER, token, 'tech@example.test')).toEqual({ ok: false, reason: 'bad-signature' });
    // another ticket, role or kind with the same signature
    for (const forged of [token.replace('t.1042.', 't.1043.'), token.replace('.s.', '.c.'), token.replace(/^t\./, 'o.')]) {
      expect(verifyReplyToken(SECRET, forged, 'tech@example.test')).toEqual({ ok: false, reason: 'bad-signature' });
    }
    expect(verifyReplyToken(SECRET, 't.1042.s.short', 'tech@example.test')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyReplyToken(SECRET, '', 'tech@example.test')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('property: any single-character change of a token is rejected', () => {
    const token = createReplyToken(SECRET, claims);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567.-0189';
    fc.assert(
      fc.property(fc.nat(token.length - 1), fc.constantFrom(...alphabet.split('')), (i, ch) => {
        fc.pre(token[i] !== ch);
        const altered = token.slice(0, i) + ch + token.slice(i + 1);
        expect(verifyReplyToken(SECRET, altered, 'tech@example.test').ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('property: tokens round-trip for any entity id and recipient, and never verify for someone else', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('ticket', 'onboarding', 'approval' as const),
        fc.constantFrom('contact', 'staff' as const),
        fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/),
        fc.emailAddress(),
        fc.emailAddress(),
        (kind, role, entityId, recipient, other) => {
          const token = createReplyToken(SECRET, { kind, role, entityId, recipient });
          const v = verifyReplyToken(SECRET, token, recipient);
          expect(v).toEqual({ ok: true, claims: { kind, role, entityId, recipient: recipient.toLowerCase() } });
          if (other.toLowerCase() !== recipient.toLowerCase()) expect(verifyReplyToken(SECRET, token, other).ok).toBe(false);
          // also through a Message-ID and a Reply-To address
          const id = messageIdWithToken(token, uniquePartFor(`k-${entityId}`), 'Example.test');
          expect(tokenFromMessageId(id, 'example.test')).toBe(token);
          expect(tokenFromAddress(replyToAddress('support@example.test', token), 'support@example.test')).toBe(token);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('accepts former secrets during a rotation', () => {
    const old = createReplyToken(OTHER, claims);
    expect(verifyReplyToken([SECRET, OTHER], old, 'tech@example.test').ok).toBe(true);
    expect(verifyReplyToken([SECRET], old, 'tech@example.test').ok).toBe(false);
  });

  it('refuses weak secrets and entity ids that do not fit an address', () => {
    expect(() => createReplyToken('short', claims)).toThrow(/at least 32/);
    expect(() => createReplyToken(SECRET, { ...claims, entityId: 'ABC' })).toThrow(/entity id/);
    expect(() => createReplyToken(SECRET, { ...claims, entityId: '1042@x' })).toThrow(/entity id/);
    expect(() => createReplyToken(SECRET, { ...claims, recipient: 'nobody' })).toThrow(/not an address/);
  });

  it('reads tokens only from our own domain and our own support address', () => {
    const token = createReplyToken(SECRET, claims);
    const id = messageIdWithToken(token, 'abc123', 'example.test');
    expect(id).toBe(`<${token}.abc123@example.test>`);
    expect(tokenFromMessageId(id, 'other.test')).toBeNull();
    expect(tokenFromMessageId('<CAF=random@mail.gmail.com>', 'example.test')).toBeNull();
    expect(tokenFromAddress(`sales+${token}@example.test`, 'support@example.test')).toBeNull();
    expect(tokenFromAddress(`support+${token}@other.test`, 'support@example.test')).toBeNull();
    expect(parseReplyToken(token)).toMatchObject({ kind: 'ticket', entityId: '1042', role: 'staff' });
  });

  it('lists candidate tokens: plus-addressed recipients first, then In-Reply-To, then References newest first', () => {
    const a = createReplyToken(SECRET, { ...claims, entityId: '1' });
    const b = createReplyToken(SECRET, { ...claims, entityId: '2' });
    const c = createReplyToken(SECRET, { ...claims, entityId: '3' });
    const found = findReplyTokens(
      {
        recipients: ['someone@else.test', replyToAddress('support@example.test', a)],
        inReplyTo: [messageIdWithToken(b, 'x1', 'example.test')],
        references: [messageIdWithToken(c, 'x2', 'example.test'), '<foreign@elsewhere>', messageIdWithToken(b, 'x1', 'example.test')],
      },
      { supportAddress: 'support@example.test', domain: 'example.test' },
    );
    expect(found).toEqual([a, b, c]);
  });
});
