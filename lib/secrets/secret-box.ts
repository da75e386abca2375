import crypto from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config';
import { readOrCreateSecretFile } from './generated-file';
import { KEY_BYTES, parseKey } from './key-material';

/**
 * Secrets stored in the database (IMAP passwords) are encrypted with AES-256-GCM under the key
 * of SECRETS_KEY (or one generated once into DATA_DIR/secrets.key). Stored form, one string:
 *
 *   v1:<keyId>:<iv>:<tag>:<ciphertext>      (base64url parts; iv 96 bits, tag 128 bits)
 *
 * - `keyId` names the key (an HMAC of the key itself: it reveals nothing about it), so after a
 *   rotation the former keys (SECRETS_PREVIOUS_KEYS) still decrypt what they encrypted, and the
 *   error for an unknown key says which key is missing.
 * - The caller's `context` (e.g. `mailbox:<id>:imapPassword`) is authenticated with the data:
 *   a ciphertext copied onto another row or field does not decrypt there.
 * - Anything else (a value that is not an envelope) is legacy plaintext from before encryption:
 *   `open` returns it flagged `legacy` so the caller warns and re-encrypts it.
 */
export const ENVELOPE_VERSION = 'v1';
export const GENERATED_KEY_FILE = 'secrets.key';

const ENVELOPE = /^v1:([A-Za-z0-9_-]{8}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22}):([A-Za-z0-9_-]*)$/;

export class SecretDecryptionError extends Error {
  constructor(
    message: string,
    readonly reason: 'unknown-key' | 'tampered' | 'malformed',
  ) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

export interface OpenedSecret {
  plaintext: string;
  /** Stored in clear (before encryption existed): re-encrypt it. */
  legacy: boolean;
  /** Encrypted under a former key: re-encrypt it under the current one. */
  stale: boolean;
}

export function isEnvelope(stored: string): boolean {
  return ENVELOPE.test(stored);
}

function keyIdOf(key: Buffer): string {
  return crypto.createHmac('sha256', key).update('mspflow secrets key id').digest().subarray(0, 6).toString('base64url');
}

export class SecretKeyring {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const k of [current, ...previous]) {
      if (k.length !== KEY_BYTES) throw new Error(`a secrets key must be ${KEY_BYTES} bytes (got ${k.length})`);
    }
    this.currentKeyId = keyIdOf(current);
    this.keys.set(this.currentKeyId, current);
    for (const k of previous) if (!this.keys.has(keyIdOf(k))) this.keys.set(keyIdOf(k), k);
  }

  /** Key ids this keyring can decrypt, current first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  seal(plaintext: string, context: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(aad(this.currentKeyId, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [ENVELOPE_VERSION, this.currentKeyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join(':');
  }

  /** Decrypts an envelope (or passes legacy plaintext through, flagged); throws SecretDecryptionError. */
  open(stored: string, context: string): OpenedSecret {
    const m = ENVELOPE.exec(stored);
    if (!m) {
      if (stored.startsWith(`${ENVELOPE_VERSION}:`) && stored.split(':').length === 5) {
        throw new SecretDecryptionError('the stored secret looks encrypted but its envelope is malformed', 'malformed');
      }
      return { plaintext: stored, legacy: stored !== '', stale: false };
    }
    const [, keyId, iv, tag, data] = m;
    const key = this.keys.get(keyId);
    if (!key) {
      throw new SecretDecryptionError(
        `encrypted under key ${keyId}, which is neither SECRETS_KEY (${this.currentKeyId}) nor one of SECRETS_PREVIOUS_KEYS`,
        'unknown-key',
      );
    }
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(aad(keyId, context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plaintext = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
      return { plaintext, legacy: false, stale: keyId !== this.currentKeyId };
    } catch {
      throw new SecretDecryptionError(`the stored secret fails authentication under key ${keyId} (tampered, or copied from another record)`, 'tampered');
    }
  }

  /** True when the stored value is plaintext or under a former key. Never throws. */
  needsResealing(stored: string): boolean {
    const m = ENVELOPE.exec(stored);
    if (!m) return stored !== '' && !(stored.startsWith(`${ENVELOPE_VERSION}:`) && stored.split(':').length === 5);
    return m[1] !== this.currentKeyId && this.keys.has(m[1]);
  }
}

function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`${ENVELOPE_VERSION}:${keyId}:${context}`, 'utf8');
}

const keyrings = new Map<string, SecretKeyring>();

/**
 * The keyring of the configuration: SECRETS_KEY, else the key generated once into
 * DATA_DIR/secrets.key (0600; back it up with the database, or set SECRETS_KEY: without it the
 * stored passwords cannot be decrypted and must be entered again), plus SECRETS_PREVIOUS_KEYS.
 */
export function resolveSecretKeyring(config: Pick<Config, 'dataDir' | 'secrets'>): SecretKeyring {
  const current = config.secrets.key ?? generatedKey(config.dataDir);
  const cacheKey = [current, ...config.secrets.previousKeys].join(',');
  let ring = keyrings.get(cacheKey);
  if (!ring) {
    ring = new SecretKeyring(
      parseKey(current)!,
      config.secrets.previousKeys.map((k) => parseKey(k)!),
    );
    keyrings.set(cacheKey, ring);
  }
  return ring;
}

function generatedKey(dataDir: string): string {
  return readOrCreateSecretFile(path.join(dataDir, GENERATED_KEY_FILE), {
    create: () => crypto.randomBytes(KEY_BYTES).toString('hex'),
    valid: (v) => parseKey(v) !== null,
    what: 'secrets key (stored passwords encrypted under the old one must then be entered again)',
    invalid: 'not a 32-byte key',
  });
}
