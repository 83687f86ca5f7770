import { createHash, randomBytes } from 'node:crypto';

/**
 * The secret of an invitation or password-reset link: 32 bytes from the operating system's CSPRNG
 * (256 bits, base64url). Only its SHA-256 is stored: with that much entropy a plain hash is enough,
 * and a leaked table opens nothing.
 */
export function newAccountToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashAccountToken(token) };
}

export function hashAccountToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** How long a link works. */
export const accountTokenLifetimes = {
  invitationDays: 7,
  passwordResetMinutes: 60,
} as const;

/**
 * The console pages the links open (built by a later issue). The token travels in the fragment, which
 * browsers never send to a server nor put in a Referer, so it stays out of every access log.
 */
export const accountLinkPaths = {
  acceptInvitation: '/accept-invitation',
  resetPassword: '/reset-password',
} as const;

export function accountLink(pageUrl: string, token: string): string {
  return `${pageUrl}#token=${token}`;
}

/** Why a presented token opens nothing (details.reason of INVALID_TOKEN). */
export type TokenRefusal = 'UNKNOWN' | 'USED' | 'REPLACED' | 'EXPIRED' | 'REVOKED' | 'ACCEPTED';
