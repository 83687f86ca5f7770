// Certification: templates, batch issues and certificates
// (migrations/0004_certification.up.sql). Columns only: constraints, keys and indexes live in SQL.
import { boolean, date, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';

import { id, rowVersion, timestamptz } from './columns.js';

export const templateStatuses = ['ACTIVE', 'ARCHIVED'] as const;
export const batchStatuses = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED'] as const;
export const certificateStatuses = ['ACTIVE', 'EXPIRED', 'REVOKED'] as const;

export const certificateTemplates = pgTable('certificate_templates', {
  id: id(),
  name: text('name').notNull(),
  // The template's edition label; `version` is the optimistic-locking counter.
  templateVersion: text('template_version').notNull().default('1'),
  layout: jsonb('layout').$type<Record<string, unknown>>(),
  fileUrl: text('file_url'),
  isDefault: boolean('is_default').notNull().default(false),
  status: text('status', { enum: templateStatuses }).notNull().default('ACTIVE'),
  createdBy: uuid('created_by'),
  ...rowVersion(),
});

export const certificateBatches = pgTable('certificate_batches', {
  id: id(),
  rosterId: uuid('roster_id').notNull(),
  templateId: uuid('template_id').notNull(),
  requestedBy: uuid('requested_by'),
  status: text('status', { enum: batchStatuses }).notNull().default('PENDING'),
  totalCount: integer('total_count').notNull(),
  processedCount: integer('processed_count').notNull().default(0),
  failedCount: integer('failed_count').notNull().default(0),
  startedAt: timestamptz('started_at'),
  finishedAt: timestamptz('finished_at'),
  lastError: text('last_error'),
  ...rowVersion(),
});

export const certificates = pgTable('certificates', {
  id: id(),
  userId: uuid('user_id'),
  studentProfileId: uuid('student_profile_id'),
  enrollmentId: uuid('enrollment_id'),
  rosterMemberId: uuid('roster_member_id'),
  rosterId: uuid('roster_id'),
  sessionId: uuid('session_id'),
  courseId: uuid('course_id').notNull(),
  locationId: uuid('location_id').notNull(),
  providerId: uuid('provider_id'),
  courseName: text('course_name').notNull(),
  recipientName: text('recipient_name').notNull(),
  recipientEmailCiphertext: text('recipient_email_ciphertext'),
  issuedBy: uuid('issued_by'),
  templateId: uuid('template_id'),
  batchId: uuid('batch_id'),
  issueDate: date('issue_date').notNull(),
  expiryDate: date('expiry_date'),
  status: text('status', { enum: certificateStatuses }).notNull().default('ACTIVE'),
  revokedAt: timestamptz('revoked_at'),
  revokedReason: text('revoked_reason'),
  verificationCode: text('verification_code').notNull(),
  signature: text('signature'),
  certificateUrl: text('certificate_url'),
  ...rowVersion(),
});
