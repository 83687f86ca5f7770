import type { Role } from '../../platform/db/actor.js';
import type { Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';

export const invitationStatuses = ['PENDING', 'ACCEPTED', 'REVOKED', 'EXPIRED'] as const;
export type InvitationStatus = (typeof invitationStatuses)[number];

export interface InvitationRow {
  id: string;
  email_ciphertext: string;
  role: Role;
  provider_id: string | null;
  status: InvitationStatus;
  expires_at: Date;
  mailed_at: Date | null;
  invited_by: string | null;
  accepted_user_id: string | null;
  accepted_at: Date | null;
  revoked_by: string | null;
  revoked_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
  /** created_at as text with its microseconds: a page boundary that compares exactly. */
  created_at_key: string;
}

// EXPIRED is a PENDING invitation past its expiry by the caller's clock ($1 in every statement below);
// it is never stored, so nothing has to move it.
const statusAt = `case when i.status = 'PENDING' and i.expires_at <= $1 then 'EXPIRED' else i.status end`;
const columns = `i.id, i.email_ciphertext, i.role, i.provider_id, ${statusAt} as status, i.expires_at, i.mailed_at, i.invited_by,
  i.accepted_user_id, i.accepted_at, i.revoked_by, i.revoked_at, i.created_at, i.updated_at, i.version, i.created_at::text as created_at_key`;

// Every statement runs in the caller's actor transaction: row-level security shows invitations to SA
// and AD only (AD never one for an SA), and lets only them write.

export async function selectInvitation(tx: Tx, now: Date, id: string): Promise<InvitationRow | null> {
  const { rows } = await tx.query<InvitationRow>(`select ${columns} from invitations i where i.id = $2`, [now, id]);
  return rows[0] ?? null;
}

export interface InvitationFilter {
  status?: InvitationStatus | undefined;
  /** Rows strictly after this (created_at, id), newest first. */
  after?: { createdAt: string; id: string } | undefined;
  limit: number;
}

export async function selectInvitations(tx: Tx, now: Date, filter: InvitationFilter): Promise<{ rows: InvitationRow[]; total: number }> {
  const where = `($2::text is null or ${statusAt} = $2)`;
  const { rows } = await tx.query<InvitationRow>(
    `select ${columns} from invitations i
      where ${where} and ($3::timestamptz is null or (i.created_at, i.id) < ($3::timestamptz, $4::uuid))
      order by i.created_at desc, i.id desc limit $5`,
    [now, filter.status ?? null, filter.after?.createdAt ?? null, filter.after?.id ?? null, filter.limit],
  );
  const counted = await tx.query<{ total: number }>(`select count(*)::int as total from invitations i where ${where}`, [now, filter.status ?? null]);
  return { rows, total: counted.rows[0]?.total ?? 0 };
}

export interface NewInvitation {
  emailCiphertext: string;
  emailHmac: string;
  role: Role;
  providerId: string | null;
  expiresAt: Date;
  invitedBy: string | null;
}

const isPendingTwice = (error: unknown) =>
  (error as { code?: string }).code === '23505' && (error as { constraint?: string }).constraint === 'invitations_pending_email_key';

export async function insertInvitation(tx: Tx, invitation: NewInvitation): Promise<string> {
  try {
    const { rows } = await tx.query<{ id: string }>(
      `insert into invitations (email_ciphertext, email_hmac, role, provider_id, expires_at, invited_by)
       values ($1, $2, $3, $4, $5, $6) returning id`,
      [invitation.emailCiphertext, invitation.emailHmac, invitation.role, invitation.providerId, invitation.expiresAt, invitation.invitedBy],
    );
    return (rows[0] as { id: string }).id;
  } catch (error) {
    if (isPendingTwice(error)) {
      throw new AppError('CONFLICT', 'this address has an open invitation (pending or expired): resend or revoke it', { field: 'body.email' }, { cause: error });
    }
    throw error;
  }
}

/** A new mail generation with a new expiry, for an invitation still open; null when none matched. */
export async function renewInvitation(tx: Tx, id: string, expiresAt: Date): Promise<number | null> {
  const { rows } = await tx.query<{ mail_generation: number }>(
    `update invitations set mail_generation = mail_generation + 1, expires_at = $2, mailed_at = null
      where id = $1 and status = 'PENDING' returning mail_generation`,
    [id, expiresAt],
  );
  return rows[0]?.mail_generation ?? null;
}

export async function markInvitationRevoked(tx: Tx, id: string, revokedBy: string | null, now: Date): Promise<boolean> {
  const { rowCount } = await tx.query(
    `update invitations set status = 'REVOKED', revoked_at = $3, revoked_by = $2 where id = $1 and status = 'PENDING'`,
    [id, revokedBy, now],
  );
  return rowCount === 1;
}

// Accepting runs as the owner (the invitee has no account yet, like signing in: decision 0007).

export interface InvitationToAccept {
  id: string;
  email_ciphertext: string;
  email_hmac: string;
  role: Role;
  provider_id: string | null;
  status: 'PENDING' | 'ACCEPTED' | 'REVOKED';
  expires_at: Date;
  mail_generation: number;
}

/**
 * The invitation, locked until the transaction ends: of two accepts racing with one link, the second
 * waits here and then reads the status the first one committed.
 */
export async function lockInvitation(tx: Tx, id: string): Promise<InvitationToAccept | null> {
  const { rows } = await tx.query<InvitationToAccept>(
    `select id, email_ciphertext, email_hmac, role, provider_id, status, expires_at, mail_generation from invitations where id = $1 for update`,
    [id],
  );
  return rows[0] ?? null;
}

export async function markInvitationAccepted(tx: Tx, id: string, userId: string, now: Date): Promise<void> {
  await tx.query(`update invitations set status = 'ACCEPTED', accepted_at = $3, accepted_user_id = $2 where id = $1`, [id, userId, now]);
}

// The mail job, as the owner.

export interface InvitationToMail {
  email_ciphertext: string;
  role: Role;
  provider_name: string | null;
  inviter_name: string | null;
  expires_at: Date;
}

/**
 * The invitation when this generation's mail is still due: open, not expired, not replaced by a resend,
 * not mailed yet. Only reads, so the job holds no transaction id while it waits for the mail server.
 */
export async function selectInvitationToMail(tx: Tx, id: string, mailGeneration: number): Promise<InvitationToMail | null> {
  const { rows } = await tx.query<InvitationToMail>(
    `select i.email_ciphertext, i.role, p.name as provider_name, nullif(concat_ws(' ', f.first_name, f.last_name), '') as inviter_name, i.expires_at
       from invitations i
       left join authorized_providers p on p.id = i.provider_id
       left join profiles f on f.user_id = i.invited_by
      where i.id = $1 and i.mail_generation = $2 and i.status = 'PENDING' and i.mailed_at is null and i.expires_at > now()`,
    [id, mailGeneration],
  );
  return rows[0] ?? null;
}

export async function markInvitationMailed(tx: Tx, id: string, mailGeneration: number): Promise<void> {
  await tx.query(`update invitations set mailed_at = now() where id = $1 and mail_generation = $2`, [id, mailGeneration]);
}
