import crypto from 'node:crypto';

const PREFIX = 'mspf_';

/** A new API token: 256 random bits. Only its hash is stored; the plain text is shown once. */
export function generateToken(): { token: string; prefix: string; hash: string } {
  const token = PREFIX + crypto.randomBytes(32).toString('base64url');
  return { token, prefix: token.slice(0, PREFIX.length + 6), hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

export function looksLikeToken(value: string): boolean {
  return value.startsWith(PREFIX) && value.length > PREFIX.length + 20 && value.length < 200;
}
