import crypto from 'node:crypto';
import { ValidationError } from '../errors';

/**
 * Reply tokens: who may answer what, signed with the server secret so nobody can forge one.
 *
 * A token names the kind of thing being answered (ticket, onboarding, approval), its id and the
 * role of the person it was sent to (contact or staff); the HMAC also covers that person's
 * address, which is not written in the token: a token only verifies for the address it was sent
 * to. Shape: `<kind>.<entity id>.<role>.<signature>`, e.g. `t.1042.s.k3j9...` (lower case only,
 * because some mail systems lower-case addresses). It travels in our Message-IDs
 * (`<t.1042.s.sig.unique@domain>`, so In-Reply-To/References bring it back) and in a
 * plus-addressed Reply-To (`support+t.1042.s.sig@domain`).
 */
export type ReplyTokenKind = 'ticket' | 'onboarding' | 'approval';
export type ReplyTokenRole = 'contact' | 'staff';

export interface ReplyTokenClaims {
  kind: ReplyTokenKind;
  /** Ticket number, onboarding id...: lower-case letters, digits and '-' only. */
  entityId: string;
  role: ReplyTokenRole;
  /** The address the token is sent to; only a reply from it verifies. */
  recipient: string;
}

export interface ParsedReplyToken {
  kind: ReplyTokenKind;
  entityId: string;
  role: ReplyTokenRole;
  signature: string;
  /** The token as found, lower-cased. */
  token: string;
}

export type ReplyTokenVerdict =
  | { ok: true; claims: ReplyTokenClaims }
  | { ok: false; reason: 'malformed' | 'bad-signature' };

const KIND_CODE: Record<ReplyTokenKind, string> = { ticket: 't', onboarding: 'o', approval: 'a' };
const ROLE_CODE: Record<ReplyTokenRole, string> = { contact: 'c', staff: 's' };
const KIND_BY_CODE = Object.fromEntries(Object.entries(KIND_CODE).map(([k, v]) => [v, k])) as Record<string, ReplyTokenKind>;
const ROLE_BY_CODE = Object.fromEntries(Object.entries(ROLE_CODE).map(([k, v]) => [v, k])) as Record<string, ReplyTokenRole>;

const ENTITY_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
/** 128 bits of HMAC in lower-case base32: 26 characters. */
const SIGNATURE_CHARS = 26;
const TOKEN = /^([toa])\.([a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)\.([cs])\.([a-z2-7]{26})$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

function signature(secret: string, kind: ReplyTokenKind, entityId: string, role: ReplyTokenRole, recipient: string): string {
  const mac = crypto
    .createHmac('sha256', secret)
    .update(['mspflow-reply-v1', kind, entityId, role, normalizeAddress(recipient)].join('\0'))
    .digest();
  return base32(mac).slice(0, SIGNATURE_CHARS);
}

export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

function assertSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length < 32) throw new ValidationError('reply token secret must be at least 32 characters');
}

/** A token for `claims`, signed with `secret` (the current MAIL_REPLY_SECRET). */
export function createReplyToken(secret: string, claims: ReplyTokenClaims): string {
  assertSecret(secret);
  const entityId = String(claims.entityId);
  if (!ENTITY_ID.test(entityId)) throw new ValidationError(`entity id not usable in a reply token: ${JSON.stringify(entityId)}`);
  if (!KIND_CODE[claims.kind] || !ROLE_CODE[claims.role]) throw new ValidationError('unknown reply token kind or role');
  if (!/^[^\s@]+@[^\s@]+$/.test(claims.recipient.trim())) throw new ValidationError(`not an address: ${claims.recipient}`);
  const sig = signature(secret, claims.kind, entityId, claims.role, claims.recipient);
  return `${KIND_CODE[claims.kind]}.${entityId}.${ROLE_CODE[claims.role]}.${sig}`;
}

/** Reads a token's parts without checking its signature (null when it is not one of ours). */
export function parseReplyToken(token: string): ParsedReplyToken | null {
  const t = String(token).trim().toLowerCase();
  const m = TOKEN.exec(t);
  if (!m) return null;
  return { kind: KIND_BY_CODE[m[1]], entityId: m[2], role: ROLE_BY_CODE[m[3]], signature: m[4], token: t };
}

/**
 * Checks that `token` was issued by us for `sender`. `secrets` is the current secret first, then
 * former ones still accepted. Constant-time comparison.
 */
export function verifyReplyToken(secrets: string | readonly string[], token: string, sender: string): ReplyTokenVerdict {
  const parsed = parseReplyToken(token);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const given = Buffer.from(parsed.signature);
  let match = false;
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    if (!secret) continue;
    const expected = Buffer.from(signature(secret, parsed.kind, parsed.entityId, parsed.role, sender));
    // no early exit: the time taken does not tell which secret matched
    if (expected.length === given.length && crypto.timingSafeEqual(expected, given)) match = true;
  }
  if (!match) return { ok: false, reason: 'bad-signature' };
  return { ok: true, claims: { kind: parsed.kind, entityId: parsed.entityId, role: parsed.role, recipient: normalizeAddress(sender) } };
}

/**
 * Our Message-ID for a message carrying `token`: `<token.unique@domain>`. `unique` tells apart the
 * messages sent with the same token; derive it from the send's business key so a retry keeps it.
 */
export function messageIdWithToken(token: string, unique: string, domain: string): string {
  if (!parseReplyToken(token)) throw new ValidationError('not a reply token');
  if (!/^[a-z0-9-]{1,64}$/.test(unique)) throw new ValidationError(`bad Message-ID unique part: ${JSON.stringify(unique)}`);
  return `<${token}.${unique}@${domain.toLowerCase()}>`;
}

/** A short stable unique part for a Message-ID, from a business key. */
export function uniquePartFor(businessKey: string): string {
  return base32(crypto.createHash('sha256').update(businessKey).digest()).slice(0, 16);
}

/** The token inside one of our Message-IDs (only for ids on `domain`), or null. */
export function tokenFromMessageId(messageId: string, domain: string): string | null {
  const m = /^<?([^<>@\s]+)@([^<>@\s]+)>?$/.exec(messageId.trim());
  if (!m || m[2].toLowerCase() !== domain.toLowerCase()) return null;
  const local = m[1].toLowerCase();
  const cut = local.lastIndexOf('.');
  if (cut < 0) return null;
  const token = local.slice(0, cut);
  return parseReplyToken(token) ? token : null;
}

/** `support+<token>@domain` for a support address `support@domain`. */
export function replyToAddress(supportAddress: string, token: string): string {
  const m = /^([^\s@+]+)@([^\s@]+)$/.exec(supportAddress.trim());
  if (!m) throw new ValidationError(`support address must be plain (no "+"): ${supportAddress}`);
  if (!parseReplyToken(token)) throw new ValidationError('not a reply token');
  return `${m[1]}+${token}@${m[2]}`.toLowerCase();
}

/** The token of a plus-address of the support address (`support+<token>@domain`), or null. */
export function tokenFromAddress(address: string, supportAddress: string): string | null {
  const a = normalizeAddress(address);
  const [supportLocal, supportDomain] = normalizeAddress(supportAddress).split('@');
  const m = /^([^\s@+]+)\+([^\s@]+)@([^\s@]+)$/.exec(a);
  if (!m || m[1] !== supportLocal || m[3] !== supportDomain) return null;
  return parseReplyToken(m[2]) ? m[2] : null;
}

/**
 * Candidate tokens of an inbound message, in the order they should be tried: plus-addressed
 * recipients first (To, Cc, Delivered-To...), then In-Reply-To, then References from the newest.
 * Only syntax is checked here: verify each with verifyReplyToken against the sender.
 */
export function findReplyTokens(
  input: { recipients: readonly string[]; inReplyTo?: readonly string[]; references?: readonly string[] },
  ours: { supportAddress: string; domain: string },
): string[] {
  const out: string[] = [];
  const push = (t: string | null) => {
    if (t && !out.includes(t)) out.push(t);
  };
  for (const r of input.recipients) push(tokenFromAddress(r, ours.supportAddress));
  for (const id of input.inReplyTo ?? []) push(tokenFromMessageId(id, ours.domain));
  for (const id of [...(input.references ?? [])].reverse()) push(tokenFromMessageId(id, ours.domain));
  return out;
}
