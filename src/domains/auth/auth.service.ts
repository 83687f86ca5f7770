import { randomUUID } from 'node:crypto';
import type { Role } from '../../platform/db/actor.js';
import type { Db, Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import type { AccessTokens } from '../../platform/security/access-tokens.js';
import { type FieldCipher, normaliseEmail } from '../../platform/security/field-cipher.js';
import { assertAcceptablePassword, hashPassword, verifyPassword } from '../../platform/security/passwords.js';
import {
  findAuthSession,
  findLoginAccount,
  findPasswordHash,
  findSignedInUser,
  insertAuthSession,
  markReplaced,
  recordSignIn,
  type SignedInUser,
  revokeFamily,
  revokeFamilyOfToken,
  revokeUserSessions,
  spendRefreshToken,
  storePasswordHash,
} from './auth.repository.js';
import { clearAccountFailures, type LoginAttempt, recordLoginFailure, refuseWhileLocked } from './login-throttle.js';
import { hashRefreshToken, newRefreshToken } from './refresh-tokens.js';

export interface AuthDeps {
  db: Db;
  cipher: FieldCipher;
  tokens: AccessTokens;
  refreshTokenTtlDays: number;
}

/** Where a request came from: kept on the auth session, and the client address is a throttle key. */
export interface ClientOrigin {
  ip: string;
  userAgent: string | null;
}

export interface TokenPair {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  user: { id: string; role: Role; email: string };
}

const invalidCredentials = () => new AppError('INVALID_CREDENTIALS', 'the e-mail or password is wrong');
const invalidRefreshToken = () => new AppError('UNAUTHENTICATED', 'the refresh token is invalid, expired or signed out');

async function issueTokens(deps: AuthDeps, user: SignedInUser, refreshToken: string): Promise<TokenPair> {
  const access = await deps.tokens.issue({ userId: user.id, role: user.role, providerId: user.provider_id });
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    refresh_token: refreshToken,
    user: { id: user.id, role: user.role, email: deps.cipher.decrypt(user.email_ciphertext) },
  };
}

/**
 * Signs in with e-mail and password. An unknown e-mail, a wrong password, an account without a
 * password and an inactive account all get the same answer in about the same time (the password is
 * always checked against a hash). Failures are counted per account and address (login-throttle.ts).
 */
export async function login(deps: AuthDeps, credentials: { email: string; password: string }, origin: ClientOrigin): Promise<TokenPair> {
  const { db, cipher } = deps;
  const emailHmac = cipher.blindIndex(normaliseEmail(credentials.email));
  const attempt: LoginAttempt = {
    account: { scope: 'ACCOUNT', key: emailHmac },
    // The address is kept only as a keyed hash: the table needs equality, not the address.
    address: { scope: 'ADDRESS', key: cipher.blindIndex(`address:${origin.ip}`) },
  };
  await refuseWhileLocked(db, attempt);
  const account = await findLoginAccount(db, emailHmac);
  const passwordMatches = await verifyPassword(account?.password_hash ?? null, credentials.password);
  if (!account || !passwordMatches || account.status !== 'ACTIVE') {
    await recordLoginFailure(db, attempt);
    throw invalidCredentials();
  }
  const refresh = newRefreshToken();
  await db.transaction(async (tx) => {
    await clearAccountFailures(tx, attempt);
    await recordSignIn(tx, account.id);
    await insertAuthSession(tx, {
      userId: account.id,
      familyId: randomUUID(),
      refreshTokenHash: refresh.hash,
      ttlDays: deps.refreshTokenTtlDays,
      userAgent: origin.userAgent,
      ip: origin.ip,
    });
  });
  return issueTokens(deps, account, refresh.token);
}

type RefreshOutcome =
  | { kind: 'rotated'; user: SignedInUser; refreshToken: string }
  | { kind: 'reused' }
  | { kind: 'refused' };

/**
 * Trades a refresh token for a new pair. The old token is spent (revoked, `replaced_by` the new
 * one, same family). Presenting a spent token again means it was copied: the whole family is
 * revoked, the newest token included, and the caller must sign in again. Of two refreshes racing
 * with one token, the second is such a replay (decision: no grace period; a client refreshes once).
 */
export async function refresh(deps: AuthDeps, refreshToken: string, origin: ClientOrigin): Promise<TokenPair> {
  const { db } = deps;
  const presentedHash = hashRefreshToken(refreshToken);
  // The outcome is returned rather than thrown, so that revoking a family commits.
  const outcome = await db.transaction(async (tx): Promise<RefreshOutcome> => {
    const spent = await spendRefreshToken(tx, presentedHash);
    if (!spent) {
      const known = await findAuthSession(tx, presentedHash);
      if (known?.replaced_by) {
        await revokeFamily(tx, known.family_id);
        return { kind: 'reused' };
      }
      return { kind: 'refused' };
    }
    const user = await findSignedInUser(tx, spent.user_id);
    if (!user || user.status !== 'ACTIVE') return { kind: 'refused' };
    const next = newRefreshToken();
    const nextId = await insertAuthSession(tx, {
      userId: spent.user_id,
      familyId: spent.family_id,
      refreshTokenHash: next.hash,
      ttlDays: deps.refreshTokenTtlDays,
      userAgent: origin.userAgent,
      ip: origin.ip,
    });
    await markReplaced(tx, spent.id, nextId);
    return { kind: 'rotated', user, refreshToken: next.token };
  });
  if (outcome.kind === 'reused') throw new AppError('REFRESH_TOKEN_REUSED', 'this refresh token was already used; every token of its sign-in is revoked, sign in again');
  if (outcome.kind === 'refused') throw invalidRefreshToken();
  return issueTokens(deps, outcome.user, outcome.refreshToken);
}

/** Signs out of the sign-in `refreshToken` belongs to, or, without one, of every sign-in of this user. */
export async function logout(deps: AuthDeps, userId: string, refreshToken: string | undefined): Promise<void> {
  if (refreshToken === undefined) await revokeUserSessions(deps.db, userId);
  else await revokeFamilyOfToken(deps.db, userId, hashRefreshToken(refreshToken));
}

/**
 * Sets a new password hash in `tx` and ends every sign-in of the account (all refresh tokens), and forgets
 * its failed sign-ins: what a password reset by e-mail does once its token checked out.
 */
export async function replacePassword(tx: Tx, account: { userId: string; emailHmac: string }, passwordHash: string): Promise<void> {
  await storePasswordHash(tx, account.userId, passwordHash);
  await revokeUserSessions(tx, account.userId);
  await clearAccountFailures(tx, { account: { scope: 'ACCOUNT', key: account.emailHmac } });
}

/**
 * Changes the signed-in user's password after checking the current one, and signs every other
 * sign-in out (a password change is what someone does when they fear it leaked).
 */
export async function changeOwnPassword(deps: AuthDeps, userId: string, passwords: { current: string; next: string }): Promise<void> {
  assertAcceptablePassword(passwords.next, 'body.new_password');
  if (!(await verifyPassword(await findPasswordHash(deps.db, userId), passwords.current))) {
    throw new AppError('VALIDATION_FAILED', 'the current password is wrong', { field: 'body.current_password' });
  }
  const passwordHash = await hashPassword(passwords.next);
  await deps.db.transaction(async (tx) => {
    await storePasswordHash(tx, userId, passwordHash);
    await revokeUserSessions(tx, userId);
  });
}
