import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { type FieldCipher, normaliseEmail } from '../../platform/security/field-cipher.js';
import { assertAcceptablePassword, hashPassword } from '../../platform/security/passwords.js';
import { replacePassword } from '../auth/index.js';
import { insertJob } from '../../platform/jobs/index.js';
import { accountTokenLifetimes, hashAccountToken, type TokenRefusal } from './account-tokens.js';
import { findToken, revokePasswordResetTokens, spendToken } from './account-tokens.repository.js';
import { passwordResetMailHandler, type PasswordResetMailPayload } from './account-mail.js';
import { selectActiveAccount } from './password-reset.repository.js';

export interface PasswordResetDeps {
  db: Db;
  cipher: FieldCipher;
  /** The clock expiries are measured by (tests move it). */
  now: () => Date;
}

/** The e-mail's blind index, as accounts are found by it (and as the per-address limit counts). */
export function resetKeyOf(cipher: FieldCipher, email: string): string {
  return cipher.blindIndex(normaliseEmail(email.trim()));
}

/**
 * Queues the mail of a reset link, and answers the same whether the address has an account or not:
 * the request always queues one job with the address's blind index and nothing else, so known and
 * unknown addresses cost the same statements; the job looks the account up and mails only an active
 * one. The token is made by the job, so nothing of it exists before the mail does.
 */
export async function requestPasswordReset(deps: PasswordResetDeps, email: string, pageUrl: string): Promise<void> {
  const expiresAt = new Date(deps.now().getTime() + accountTokenLifetimes.passwordResetMinutes * 60_000);
  const payload: PasswordResetMailPayload = { email_hmac: resetKeyOf(deps.cipher, email), page_url: pageUrl, expires_at: expiresAt.toISOString() };
  await deps.db.transaction((tx) => insertJob(tx, { handler: passwordResetMailHandler, payload: { ...payload }, maxAttempts: 15 }));
}

const refusals: Record<Exclude<TokenRefusal, 'ACCEPTED'>, string> = {
  UNKNOWN: 'this password-reset link is not valid',
  USED: 'this password-reset link was already used',
  REPLACED: 'this password-reset link was replaced by a newer one, or the password was reset since: use the latest mail',
  EXPIRED: 'this password-reset link has expired: ask for a new one',
  REVOKED: 'this password-reset link no longer works: the account is not active',
};

const refused = (reason: keyof typeof refusals) => new AppError('INVALID_TOKEN', refusals[reason], { field: 'body.token', reason });

/**
 * Sets the new password (at least 12 characters, argon2id) when the link is live, spends it, ends the
 * account's other reset links and every refresh token (each device signs in again), and forgets its
 * failed sign-ins. Runs as the owner: the caller is signed out.
 */
export async function confirmPasswordReset(deps: PasswordResetDeps, token: string, newPassword: string): Promise<void> {
  assertAcceptablePassword(newPassword, 'body.new_password');
  const tokenHash = hashAccountToken(token);
  const presented = await deps.db.transaction((tx) => findToken(tx, 'PASSWORD_RESET', tokenHash));
  if (!presented?.user_id) throw refused('UNKNOWN');
  if (presented.used_at) throw refused('USED');
  if (presented.revoked_at) throw refused('REPLACED');
  if (presented.expires_at <= deps.now()) throw refused('EXPIRED');
  const userId = presented.user_id;
  // Hashing takes tens of milliseconds: outside the transaction, and only for a live link.
  const passwordHash = await hashPassword(newPassword);
  const now = deps.now();
  await deps.db.transaction(async (tx) => {
    // Spent in the same transaction as the change: of two confirms racing with one link, one changes the password.
    if (!(await spendToken(tx, presented.id, now))) throw refused('USED');
    const account = await selectActiveAccount(tx, { userId });
    if (!account) throw refused('REVOKED');
    await revokePasswordResetTokens(tx, userId, now);
    await replacePassword(tx, { userId, emailHmac: account.email_hmac }, passwordHash);
  });
}
