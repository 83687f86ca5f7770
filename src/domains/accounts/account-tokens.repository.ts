import type { Tx } from '../../platform/db/database.js';

// account_tokens belongs to the owner alone (migration 0029): every statement here runs in an owner
// transaction, from a signed-out request (accept, confirm) or a mail job.

export interface NewAccountToken {
  /** The job that made it: a job that runs again after its commit finds its token and mails nothing. */
  id: string;
  tokenHash: string;
  expiresAt: Date;
}

export async function tokenExists(tx: Tx, id: string): Promise<boolean> {
  const { rows } = await tx.query<{ found: boolean }>('select exists (select 1 from account_tokens where id = $1) as found', [id]);
  return rows[0]?.found === true;
}

/** Stores an invitation's token for one mail generation; the earlier live tokens of the invitation end. */
export async function insertInvitationToken(tx: Tx, token: NewAccountToken & { invitationId: string; mailGeneration: number }): Promise<void> {
  await tx.query(`update account_tokens set revoked_at = now() where invitation_id = $1 and used_at is null and revoked_at is null`, [token.invitationId]);
  await tx.query(
    `insert into account_tokens (id, purpose, invitation_id, mail_generation, token_hash, expires_at) values ($1, 'INVITATION', $2, $3, $4, $5)`,
    [token.id, token.invitationId, token.mailGeneration, token.tokenHash, token.expiresAt],
  );
}

/** Stores a password-reset token; the account's earlier reset links stop working (only the newest mail counts). */
export async function insertPasswordResetToken(tx: Tx, token: NewAccountToken & { userId: string }): Promise<void> {
  await tx.query(`update account_tokens set revoked_at = now() where user_id = $1 and used_at is null and revoked_at is null`, [token.userId]);
  await tx.query(`insert into account_tokens (id, purpose, user_id, token_hash, expires_at) values ($1, 'PASSWORD_RESET', $2, $3, $4)`, [
    token.id, token.userId, token.tokenHash, token.expiresAt,
  ]);
}

export interface PresentedToken {
  id: string;
  user_id: string | null;
  invitation_id: string | null;
  mail_generation: number | null;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

export async function findToken(tx: Tx, purpose: 'INVITATION' | 'PASSWORD_RESET', tokenHash: string): Promise<PresentedToken | null> {
  const { rows } = await tx.query<PresentedToken>(
    `select id, user_id, invitation_id, mail_generation, expires_at, used_at, revoked_at from account_tokens where token_hash = $1 and purpose = $2`,
    [tokenHash, purpose],
  );
  return rows[0] ?? null;
}

/**
 * Spends a live token: one conditional UPDATE, so of two requests racing with one token the second
 * waits for the first's row lock, then finds used_at set and matches nothing.
 */
export async function spendToken(tx: Tx, id: string, now: Date): Promise<boolean> {
  const { rowCount } = await tx.query(
    `update account_tokens set used_at = $2 where id = $1 and used_at is null and revoked_at is null and expires_at > $2`,
    [id, now],
  );
  return rowCount === 1;
}

/** Ends the account's other live reset links once one was used. */
export async function revokePasswordResetTokens(tx: Tx, userId: string, now: Date): Promise<void> {
  await tx.query(`update account_tokens set revoked_at = $2 where user_id = $1 and used_at is null and revoked_at is null`, [userId, now]);
}
