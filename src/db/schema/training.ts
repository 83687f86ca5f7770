// Training: catalogue, schedules, sessions, enrollments and rosters
// (migrations/0003_training.up.sql). Columns only: constraints, keys and indexes live in SQL.
import { boolean, date, integer, jsonb, numeric, pgTable, text, time, uuid } from 'drizzle-orm/pg-core';

import { createdAt, id, rowVersion, timestamptz } from './columns.js';

export const courseStatuses = ['DRAFT', 'PUBLISHED', 'ARCHIVED'] as const;
export const scheduleStatuses = ['ACTIVE', 'PAUSED', 'ENDED'] as const;
export const sessionStatuses = ['SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'] as const;
export const enrollmentStatuses = ['ENROLLED', 'WAITLISTED', 'CANCELLED'] as const;
export const attendanceStatuses = ['REGISTERED', 'ATTENDED', 'ABSENT', 'PARTIAL'] as const;
export const completionStatuses = ['NOT_STARTED', 'IN_PROGRESS', 'COMPLETED', 'FAILED'] as const;
export const rosterStatuses = ['ACTIVE', 'ARCHIVED'] as const;
export const rosterTypes = ['CERTIFICATE', 'TRAINING'] as const;
// Roster lines use lower-case values, as the roster import format does.
export const rosterEnrollmentStatuses = ['enrolled', 'waitlisted', 'completed'] as const;
export const rosterAttendanceStatuses = ['pending', 'attended', 'absent'] as const;
export const rosterCompletionStatuses = ['not_started', 'in_progress', 'completed'] as const;

/** numeric(5,2) score between 0 and 100; read as a number, like every numeric (db/type-parsers.ts). */
const score = <TName extends string>(name: TName) => numeric(name, { precision: 5, scale: 2, mode: 'number' });

export const courses = pgTable('courses', {
  id: id(),
  code: text('code').notNull(),
  title: text('title').notNull(),
  description: text('description'),
  durationMinutes: integer('duration_minutes').notNull(),
  certifies: boolean('certifies').notNull().default(false),
  certificateValidityMonths: integer('certificate_validity_months'),
  status: text('status', { enum: courseStatuses }).notNull().default('DRAFT'),
  publishedAt: timestamptz('published_at'),
  publishedVersion: integer('published_version'),
  createdBy: uuid('created_by'),
  modifiedBy: uuid('modified_by'),
  ...rowVersion(),
});

// Immutable: one snapshot per publication.
export const courseVersions = pgTable('course_versions', {
  id: id(),
  courseId: uuid('course_id').notNull(),
  versionNumber: integer('version_number').notNull(),
  snapshot: jsonb('snapshot').$type<Record<string, unknown>>().notNull(),
  publishedAt: timestamptz('published_at').notNull().defaultNow(),
  publishedBy: uuid('published_by'),
  createdAt: createdAt(),
});

export const courseSchedules = pgTable('course_schedules', {
  id: id(),
  courseId: uuid('course_id').notNull(),
  instructorId: uuid('instructor_id').notNull(),
  locationId: uuid('location_id').notNull(),
  providerId: uuid('provider_id'),
  rrule: text('rrule').notNull(),
  dtstart: timestamptz('dtstart').notNull(),
  untilAt: timestamptz('until_at'),
  generatedUntil: timestamptz('generated_until'),
  durationMinutes: integer('duration_minutes').notNull(),
  maxCapacity: integer('max_capacity').notNull(),
  timezone: text('timezone').notNull(),
  status: text('status', { enum: scheduleStatuses }).notNull().default('ACTIVE'),
  selfEnrollmentAllowed: boolean('self_enrollment_allowed').notNull().default(false),
  createdBy: uuid('created_by'),
  ...rowVersion(),
});

export const trainingSessions = pgTable('training_sessions', {
  id: id(),
  title: text('title').notNull(),
  description: text('description'),
  courseId: uuid('course_id').notNull(),
  scheduleId: uuid('schedule_id'),
  instructorId: uuid('instructor_id').notNull(),
  locationId: uuid('location_id').notNull(),
  providerId: uuid('provider_id'),
  sessionDate: date('session_date').notNull(),
  startTime: time('start_time').notNull(),
  endTime: time('end_time').notNull(),
  maxCapacity: integer('max_capacity').notNull(),
  currentEnrollment: integer('current_enrollment').notNull().default(0),
  selfEnrollmentAllowed: boolean('self_enrollment_allowed').notNull().default(false),
  status: text('status', { enum: sessionStatuses }).notNull().default('SCHEDULED'),
  cancelledReason: text('cancelled_reason'),
  createdBy: uuid('created_by'),
  ...rowVersion(),
  occurrenceDate: date('occurrence_date'),
  detachedFromSchedule: boolean('detached_from_schedule').notNull().default(false),
});

export const studentEnrollmentProfiles = pgTable('student_enrollment_profiles', {
  id: id(),
  firstName: text('first_name').notNull(),
  lastName: text('last_name').notNull(),
  emailCiphertext: text('email_ciphertext'),
  emailHmac: text('email_hmac'),
  phoneCiphertext: text('phone_ciphertext'),
  company: text('company'),
  providerId: uuid('provider_id'),
  createdBy: uuid('created_by'),
  ...rowVersion(),
});

// Exactly one of studentId / studentProfileId is set.
export const sessionEnrollments = pgTable('session_enrollments', {
  id: id(),
  sessionId: uuid('session_id').notNull(),
  studentId: uuid('student_id'),
  studentProfileId: uuid('student_profile_id'),
  status: text('status', { enum: enrollmentStatuses }).notNull().default('ENROLLED'),
  waitlistPosition: integer('waitlist_position'),
  enrollmentDate: timestamptz('enrollment_date').notNull().defaultNow(),
  attendanceStatus: text('attendance_status', { enum: attendanceStatuses }).notNull().default('REGISTERED'),
  completionStatus: text('completion_status', { enum: completionStatuses }).notNull().default('NOT_STARTED'),
  assessmentScore: score('assessment_score'),
  practicalScore: score('practical_score'),
  writtenScore: score('written_score'),
  completedAt: timestamptz('completed_at'),
  enrolledBy: uuid('enrolled_by'),
  ...rowVersion(),
});

export const rosters = pgTable('rosters', {
  id: id(),
  name: text('name').notNull(),
  sessionId: uuid('session_id'),
  courseId: uuid('course_id').notNull(),
  locationId: uuid('location_id').notNull(),
  providerId: uuid('provider_id'),
  instructorId: uuid('instructor_id'),
  instructorName: text('instructor_name'),
  status: text('status', { enum: rosterStatuses }).notNull().default('ACTIVE'),
  rosterType: text('roster_type', { enum: rosterTypes }).notNull().default('TRAINING'),
  certificateCount: integer('certificate_count').notNull().default(0),
  issueDate: date('issue_date'),
  createdBy: uuid('created_by'),
  ...rowVersion(),
});

export const studentRosterMembers = pgTable('student_roster_members', {
  id: id(),
  rosterId: uuid('roster_id').notNull(),
  studentProfileId: uuid('student_profile_id').notNull(),
  studentId: uuid('student_id'),
  enrollmentStatus: text('enrollment_status', { enum: rosterEnrollmentStatuses }).notNull().default('enrolled'),
  attendanceStatus: text('attendance_status', { enum: rosterAttendanceStatuses }).notNull().default('pending'),
  practicalScore: score('practical_score'),
  writtenScore: score('written_score'),
  completionStatus: text('completion_status', { enum: rosterCompletionStatuses }).notNull().default('not_started'),
  ...rowVersion(),
});
