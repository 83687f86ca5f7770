// Invitations and one-use account tokens (migrations/0029_invitations_and_account_tokens.up.sql).
// Columns only: constraints, keys, indexes and policies live in SQL.
import { integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';

import { createdAt, id, rowVersion, timestamptz } from './columns.js';

export const invitationStatuses = ['PENDING', 'ACCEPTED', 'REVOKED'] as const;

export const invitations = pgTable('invitations', {
  id: id(),
  emailCiphertext: text('email_ciphertext').notNull(),
  emailHmac: text('email_hmac').notNull(),
  role: text('role').notNull(),
  providerId: uuid('provider_id'),
  status: text('status', { enum: invitationStatuses }).notNull().default('PENDING'),
  expiresAt: timestamptz('expires_at').notNull(),
  mailGeneration: integer('mail_generation').notNull().default(1),
  mailedAt: timestamptz('mailed_at'),
  invitedBy: uuid('invited_by'),
  acceptedUserId: uuid('accepted_user_id'),
  acceptedAt: timestamptz('accepted_at'),
  revokedBy: uuid('revoked_by'),
  revokedAt: timestamptz('revoked_at'),
  ...rowVersion(),
});

export const accountTokenPurposes = ['INVITATION', 'PASSWORD_RESET'] as const;

/** Owner only: the application role has no privilege on it. */
export const accountTokens = pgTable('account_tokens', {
  id: id(),
  purpose: text('purpose', { enum: accountTokenPurposes }).notNull(),
  invitationId: uuid('invitation_id'),
  mailGeneration: integer('mail_generation'),
  userId: uuid('user_id'),
  /** SHA-256 of the token, lower-case hex. */
  tokenHash: text('token_hash').notNull(),
  expiresAt: timestamptz('expires_at').notNull(),
  usedAt: timestamptz('used_at'),
  revokedAt: timestamptz('revoked_at'),
  createdAt: createdAt(),
});
