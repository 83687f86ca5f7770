import type { Queryable, Tx } from '../../platform/db/database.js';
import type { Role } from '../../platform/db/actor.js';

// Every statement here runs on the owner connection (`db.query` / `db.transaction`), not under
// `withActor`: signing in and checking a token is how the actor becomes known, so there is no actor
// yet, and the secrets involved (password hashes, refresh-token hashes) are never readable by the
// application role.

export interface SignedInUser {
  id: string;
  role: Role;
  status: 'ACTIVE' | 'INACTIVE';
  provider_id: string | null;
  email_ciphertext: string;
}

export interface LoginAccount extends SignedInUser {
  password_hash: string | null;
}

/** The provider an AP acts for: the first membership, so the choice is stable. */
const firstProvider = `(select m.provider_id from provider_members m where m.user_id = u.id
                          order by m.created_at, m.provider_id limit 1) as provider_id`;

export async function findLoginAccount(db: Queryable, emailHmac: string): Promise<LoginAccount | null> {
  const { rows } = await db.query<LoginAccount>(
    `select u.id, u.role, u.status, u.email_ciphertext, u.password_hash, ${firstProvider}
       from users u where u.email_hmac = $1`,
    [emailHmac],
  );
  return rows[0] ?? null;
}

/** One primary-key lookup per request, so role changes and deactivation apply to tokens already issued. */
export async function findSignedInUser(db: Queryable, userId: string): Promise<SignedInUser | null> {
  const { rows } = await db.query<SignedInUser>(`select u.id, u.role, u.status, u.email_ciphertext, ${firstProvider} from users u where u.id = $1`, [userId]);
  return rows[0] ?? null;
}

export async function recordSignIn(tx: Tx, userId: string): Promise<void> {
  await tx.query('update users set last_login_at = now() where id = $1', [userId]);
}

export interface NewAuthSession {
  userId: string;
  familyId: string;
  refreshTokenHash: string;
  ttlDays: number;
  userAgent: string | null;
  ip: string | null;
}

export async function insertAuthSession(tx: Tx, session: NewAuthSession): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `insert into auth_sessions (user_id, family_id, refresh_token_hash, expires_at, user_agent, ip)
     values ($1, $2, $3, now() + make_interval(days => $4::int), $5, $6) returning id`,
    [session.userId, session.familyId, session.refreshTokenHash, session.ttlDays, session.userAgent, session.ip],
  );
  return (rows[0] as { id: string }).id;
}

export interface SpentAuthSession {
  id: string;
  user_id: string;
  family_id: string;
}

/**
 * Revokes a live refresh token and returns its row, or nothing when the token is unknown, spent or
 * expired. One conditional UPDATE on purpose: of two refreshes racing with the same token, the
 * second waits for the first's row lock, then finds `revoked_at` set and matches nothing.
 */
export async function spendRefreshToken(tx: Tx, refreshTokenHash: string): Promise<SpentAuthSession | null> {
  const { rows } = await tx.query<SpentAuthSession>(
    `update auth_sessions set revoked_at = now()
      where refresh_token_hash = $1 and revoked_at is null and expires_at > now()
      returning id, user_id, family_id`,
    [refreshTokenHash],
  );
  return rows[0] ?? null;
}

export async function markReplaced(tx: Tx, sessionId: string, replacedBy: string): Promise<void> {
  await tx.query('update auth_sessions set replaced_by = $2 where id = $1', [sessionId, replacedBy]);
}

export interface UnusableAuthSession {
  family_id: string;
  /** Set when the token was rotated: presenting it again means someone replays a spent token. */
  replaced_by: string | null;
}

export async function findAuthSession(tx: Tx, refreshTokenHash: string): Promise<UnusableAuthSession | null> {
  const { rows } = await tx.query<UnusableAuthSession>('select family_id, replaced_by from auth_sessions where refresh_token_hash = $1', [
    refreshTokenHash,
  ]);
  return rows[0] ?? null;
}

/** Ends every token of a login, the newest included. */
export async function revokeFamily(executor: Queryable, familyId: string): Promise<void> {
  await executor.query('update auth_sessions set revoked_at = now() where family_id = $1 and revoked_at is null', [familyId]);
}

/** Signs out of the login a refresh token belongs to, if it is this user's. */
export async function revokeFamilyOfToken(executor: Queryable, userId: string, refreshTokenHash: string): Promise<void> {
  await executor.query(
    `update auth_sessions set revoked_at = now()
      where family_id = (select family_id from auth_sessions where refresh_token_hash = $1 and user_id = $2)
        and revoked_at is null`,
    [refreshTokenHash, userId],
  );
}

export async function revokeUserSessions(executor: Queryable, userId: string): Promise<void> {
  await executor.query('update auth_sessions set revoked_at = now() where user_id = $1 and revoked_at is null', [userId]);
}

export async function findPasswordHash(db: Queryable, userId: string): Promise<string | null> {
  const { rows } = await db.query<{ password_hash: string | null }>('select password_hash from users where id = $1', [userId]);
  return rows[0]?.password_hash ?? null;
}

export async function storePasswordHash(tx: Tx, userId: string, passwordHash: string): Promise<void> {
  await tx.query('update users set password_hash = $2 where id = $1', [userId, passwordHash]);
}
