import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../lib/config';
import { parseKey } from '../../lib/secrets/key-material';
import { GENERATED_KEY_FILE, SecretDecryptionError, SecretKeyring, isEnvelope, resolveSecretKeyring } from '../../lib/secrets/secret-box';

/** Encryption at rest of stored secrets (AES-256-GCM envelopes, rotation, tampering). Pure logic. */
const k1 = crypto.randomBytes(32);
const k2 = crypto.randomBytes(32);
const CTX = 'mailbox:1:imapPassword';

describe('secret envelopes', () => {
  it('seals into a versioned envelope that does not contain the secret, and opens it back', () => {
    const ring = new SecretKeyring(k1);
    const sealed = ring.seal('hunter2-très-secret', CTX);
    expect(sealed).toMatch(/^v1:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(sealed.split(':')[1]).toBe(ring.currentKeyId);
    expect(sealed).not.toContain('hunter2');
    expect(isEnvelope(sealed)).toBe(true);
    expect(ring.open(sealed, CTX)).toEqual({ plaintext: 'hunter2-très-secret', legacy: false, stale: false });
    // a fresh IV each time
    expect(ring.seal('hunter2-très-secret', CTX)).not.toBe(sealed);
  });

  it('refuses tampered ciphertext, tag, IV or key id, and an envelope moved to another context', () => {
    const ring = new SecretKeyring(k1);
    const sealed = ring.seal('password', CTX);
    const [v, id, iv, tag, data] = sealed.split(':');
    const flip = (s: string) => {
      const b = Buffer.from(s, 'base64url');
      b[0] ^= 1;
      return b.toString('base64url');
    };
    for (const bad of [
      [v, id, iv, tag, flip(data)],
      [v, id, iv, flip(tag), data],
      [v, id, flip(iv), tag, data],
    ]) {
      expect(() => ring.open(bad.join(':'), CTX)).toThrow(SecretDecryptionError);
      expect(() => ring.open(bad.join(':'), CTX)).toThrow(/fails authentication/);
    }
    expect(() => ring.open(sealed, 'mailbox:2:imapPassword')).toThrow(/fails authentication/);
    expect(() => ring.open([v, 'AAAAAAAA', iv, tag, data].join(':'), CTX)).toThrow(/encrypted under key AAAAAAAA/);
    expect(() => ring.open('v1:short:x:y:z', CTX)).toThrow(/malformed/);
  });

  it('rotation: a former key still opens (flagged stale) and resealing moves it to the current key', () => {
    const old = new SecretKeyring(k1);
    const sealed = old.seal('password', CTX);
    const rotated = new SecretKeyring(k2, [k1]);
    expect(rotated.keyIds).toEqual([rotated.currentKeyId, old.currentKeyId]);
    expect(rotated.needsResealing(sealed)).toBe(true);
    expect(rotated.open(sealed, CTX)).toEqual({ plaintext: 'password', legacy: false, stale: true });
    const resealed = rotated.seal('password', CTX);
    expect(rotated.needsResealing(resealed)).toBe(false);
    // once the old key is dropped, what it sealed can no longer be read
    expect(() => new SecretKeyring(k2).open(sealed, CTX)).toThrow(/neither SECRETS_KEY/);
  });

  it('legacy plaintext passes through flagged, so it can be warned about and resealed', () => {
    const ring = new SecretKeyring(k1);
    expect(ring.open('plain-old-password', CTX)).toEqual({ plaintext: 'plain-old-password', legacy: true, stale: false });
    expect(ring.needsResealing('plain-old-password')).toBe(true);
    expect(ring.open('', CTX)).toEqual({ plaintext: '', legacy: false, stale: false });
    expect(ring.needsResealing('')).toBe(false);
  });
});

describe('secrets keys in configuration', () => {
  it('accepts 64 hex characters or base64 of 32 bytes, and refuses anything else naming the key', () => {
    expect(parseKey(k1.toString('hex'))).toEqual(k1);
    expect(parseKey(k1.toString('base64'))).toEqual(k1);
    expect(parseKey(k1.toString('base64url'))).toEqual(k1);
    expect(parseKey('too-short')).toBeNull();
    expect(parseKey(crypto.randomBytes(31).toString('hex'))).toBeNull();
    expect(() => loadConfig({ SECRETS_KEY: 'nope' })).toThrow(/SECRETS_KEY: must be 32 bytes/);
    expect(() => loadConfig({ SECRETS_PREVIOUS_KEYS: `${k1.toString('hex')},bad` })).toThrow(/SECRETS_PREVIOUS_KEYS/);
    const c = loadConfig({ SECRETS_KEY: k2.toString('hex'), SECRETS_PREVIOUS_KEYS: ` ${k1.toString('base64')} ` });
    const ring = resolveSecretKeyring(c);
    expect(ring.open(new SecretKeyring(k1).seal('x', CTX), CTX).plaintext).toBe('x');
  });

  it('without SECRETS_KEY, generates one key into DATA_DIR (0600) and keeps using it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-secrets-'));
    try {
      const first = resolveSecretKeyring(loadConfig({ DATA_DIR: dir }));
      const file = path.join(dir, GENERATED_KEY_FILE);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const sealed = first.seal('kept', CTX);
      // another process (no cache) reading the same DATA_DIR opens it
      const key = parseKey(fs.readFileSync(file, 'utf8'))!;
      expect(new SecretKeyring(key).open(sealed, CTX).plaintext).toBe('kept');
      expect(resolveSecretKeyring(loadConfig({ DATA_DIR: dir })).currentKeyId).toBe(first.currentKeyId);
      fs.writeFileSync(file, 'garbage');
      const other = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-secrets-'));
      fs.writeFileSync(path.join(other, GENERATED_KEY_FILE), 'garbage');
      expect(() => resolveSecretKeyring(loadConfig({ DATA_DIR: other }))).toThrow(/not a 32-byte key/);
      fs.rmSync(other, { recursive: true, force: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
