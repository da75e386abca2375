/**
 * Parsing of 256-bit keys given in configuration (SECRETS_KEY, SECRETS_PREVIOUS_KEYS): 64 hex
 * characters, or base64 / base64url of exactly 32 bytes. Pure, so lib/config can validate with it.
 */
export const KEY_BYTES = 32;

export function parseKey(text: string): Buffer | null {
  const v = text.trim();
  if (/^[0-9a-f]{64}$/i.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(v)) {
    const bytes = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return bytes.length === KEY_BYTES ? bytes : null;
  }
  return null;
}

export const KEY_FORMAT_HINT = 'must be 32 bytes: 64 hex characters or 44 base64 characters (e.g. `openssl rand -hex 32`)';
