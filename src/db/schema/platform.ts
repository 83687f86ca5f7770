// Platform: audit trail, outbox, change feed, jobs, notifications, activity feed
// (migrations/0006_platform.up.sql). Columns only: constraints, keys and indexes live in SQL.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, customType, inet, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';

import { createdAt, id, rowVersion, timestamptz } from './columns.js';
import { userRoles } from './identity.js';

export const rowOperations = ['INSERT', 'UPDATE', 'DELETE'] as const;
export const jobStatuses = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'DEAD'] as const;

/** A 64-bit transaction id; kept as a decimal string because it can exceed 2^53. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/** The writing transaction's id, for "is every earlier transaction finished" checks. */
const txid = () => xid8('txid').notNull().default(sql`pg_current_xact_id()`);

// Append-only logs: numbered by a sequence, no uuid id, no version.
export const auditLog = pgTable('audit_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  occurredAt: timestamptz('occurred_at').notNull().defaultNow(),
  actorId: uuid('actor_id'),
  actorRole: text('actor_role', { enum: userRoles }),
  tableName: text('table_name').notNull(),
  operation: text('operation', { enum: rowOperations }).notNull(),
  rowId: uuid('row_id').notNull(),
  oldValues: jsonb('old_values').$type<Record<string, unknown>>(),
  newValues: jsonb('new_values').$type<Record<string, unknown>>(),
  requestId: text('request_id'),
  ip: inet('ip'),
  userAgent: text('user_agent'),
});

export const domainEvents = pgTable('domain_events', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  txid: txid(),
  aggregateType: text('aggregate_type').notNull(),
  aggregateId: uuid('aggregate_id').notNull(),
  aggregateVersion: integer('aggregate_version'),
  eventType: text('event_type').notNull(),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
  actorId: uuid('actor_id'),
  requestId: text('request_id'),
  occurredAt: timestamptz('occurred_at').notNull().defaultNow(),
});

export const changeLog = pgTable('change_log', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  txid: txid(),
  tableName: text('table_name').notNull(),
  operation: text('operation', { enum: rowOperations }).notNull(),
  rowId: uuid('row_id').notNull(),
  locationId: uuid('location_id'),
  providerId: uuid('provider_id'),
  instructorId: uuid('instructor_id'),
  userId: uuid('user_id'),
  changedAt: timestamptz('changed_at').notNull().defaultNow(),
  /** student_roster_members: the line's roster (migration 0027). */
  parentId: uuid('parent_id'),
});

export const jobs = pgTable('jobs', {
  id: id(),
  queue: text('queue').notNull().default('default'),
  handler: text('handler').notNull(),
  eventSeq: bigint('event_seq', { mode: 'number' }),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
  status: text('status', { enum: jobStatuses }).notNull().default('PENDING'),
  attempts: integer('attempts').notNull().default(0),
  maxAttempts: integer('max_attempts').notNull().default(5),
  runAfter: timestamptz('run_after').notNull().defaultNow(),
  lockedBy: text('locked_by'),
  lockedUntil: timestamptz('locked_until'),
  lastError: text('last_error'),
  idempotencyKey: text('idempotency_key'),
  finishedAt: timestamptz('finished_at'),
  ...rowVersion(),
});

export const notifications = pgTable('notifications', {
  id: id(),
  userId: uuid('user_id').notNull(),
  kind: text('kind').notNull(),
  title: text('title').notNull(),
  body: text('body'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  readAt: timestamptz('read_at'),
  createdAt: createdAt(),
});

export const userActivities = pgTable('user_activities', {
  id: id(),
  userId: uuid('user_id').notNull(),
  activityType: text('activity_type').notNull(),
  entityType: text('entity_type').notNull(),
  entityId: uuid('entity_id'),
  metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
  occurredAt: timestamptz('occurred_at').notNull().defaultNow(),
  createdAt: createdAt(),
});
