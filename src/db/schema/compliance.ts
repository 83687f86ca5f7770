// Compliance: requirements and each person's records
// (migrations/0005_compliance.up.sql). Columns only: constraints, keys and indexes live in SQL.
import { integer, jsonb, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';

import { id, rowVersion, timestamptz } from './columns.js';
import { complianceTiers, userRoles } from './identity.js';

export const requirementStatuses = ['ACTIVE', 'RETIRED'] as const;
export const complianceRecordStatuses = ['PENDING', 'MET', 'EXPIRED', 'WAIVED'] as const;

export const complianceRequirements = pgTable('compliance_requirements', {
  id: id(),
  code: text('code').notNull(),
  name: text('name').notNull(),
  description: text('description'),
  appliesToRoles: text('applies_to_roles', { enum: userRoles }).array().notNull().default([]),
  tier: text('tier', { enum: complianceTiers }).notNull().default('basic'),
  validityMonths: integer('validity_months'),
  weight: numeric('weight', { precision: 6, scale: 2, mode: 'number' }).notNull().default(1),
  courseId: uuid('course_id'),
  status: text('status', { enum: requirementStatuses }).notNull().default('ACTIVE'),
  ...rowVersion(),
});

export const complianceRecords = pgTable('compliance_records', {
  id: id(),
  userId: uuid('user_id').notNull(),
  requirementId: uuid('requirement_id').notNull(),
  status: text('status', { enum: complianceRecordStatuses }).notNull().default('PENDING'),
  completedAt: timestamptz('completed_at'),
  expiresAt: timestamptz('expires_at'),
  sourceEnrollmentId: uuid('source_enrollment_id'),
  evidence: jsonb('evidence').$type<Record<string, unknown>>().notNull().default({}),
  ...rowVersion(),
});
