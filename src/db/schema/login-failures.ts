// Abuse limits: failed sign-ins per account and per client address
// (migrations/0011_login_failures.up.sql). Columns only: constraints, keys and indexes live in SQL.
import { integer, pgTable, text } from 'drizzle-orm/pg-core';

import { createdAt, id, timestamptz } from './columns.js';

export const loginFailureScopes = ['ACCOUNT', 'ADDRESS'] as const;

export const loginFailures = pgTable('login_failures', {
  id: id(),
  scope: text('scope', { enum: loginFailureScopes }).notNull(),
  key: text('key').notNull(),
  failures: integer('failures').notNull(),
  lastFailedAt: timestamptz('last_failed_at').notNull(),
  lockedUntil: timestamptz('locked_until'),
  forgetAfter: timestamptz('forget_after').notNull(),
  createdAt: createdAt(),
});
