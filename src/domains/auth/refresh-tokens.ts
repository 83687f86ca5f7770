import { createHash, randomBytes } from 'node:crypto';

/**
 * A refresh token is 32 random bytes (base64url). Only its SHA-256 is stored: it has 256 bits of
 * entropy, so a plain hash is enough (no salt or slow hash needed), and a leaked table replays nothing.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}
