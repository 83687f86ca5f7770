import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';
import type { ErrorCode } from '../../errors.js';
import type { Db } from './database.js';
import { testLogger } from '../../../test/logger.js';

// Real database (a migrated PGlite copy, or PostgreSQL when DATABASE_URL is set), real Fastify with the
// real error layer, through inject. Each rule of the schema gets one bad statement, and the test checks
// that the database refuses it, that the refusal reaches HTTP as the right 4xx naming the constraint,
// and that nothing of the statement is left behind.

const ids = Object.fromEntries(
  [
    'admin', 'instructor', 'student', 'student2', 'profile', 'authSession', 'provider', 'location', 'lonelyLocation',
    'instructorProfile', 'team', 'course', 'courseVersion', 'schedule', 'session', 'lonelySession', 'walkIn',
    'enrollment', 'waitlisted', 'roster', 'rosterMember', 'template', 'batch', 'certificate', 'rosterCertificate',
    'templateVersion', 'batchResult', 'courseSettings',
    'requirement', 'complianceRecord', 'job', 'room', 'complianceReminder', 'tierChange', 'instructorRequirements',
  ].map((name) => [name, randomUUID()]),
) as Record<string, string>;

/**
 * One valid row (at least) in every table, so that every rule can be broken by a single statement and
 * every table's content can be compared before and after. Plain SQL, one transaction.
 */
async function insertFixture(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    const run = (sql: string) => tx.query(sql);
    // The ids are generated here, so inlining them as literals is safe, and keeps the statements readable.
    const p = Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, `'${id}'`])) as Record<string, string>;
    await run(`insert into users (id, email_ciphertext, email_hmac, role) values
      (${p.admin}, 'c-admin', 'hmac-admin', 'SA'), (${p.instructor}, 'c-instructor', 'hmac-instructor', 'IC'),
      (${p.student}, 'c-student', 'hmac-student', 'IT'), (${p.student2}, 'c-student2', 'hmac-student2', 'IT')`);
    await run(`insert into profiles (id, user_id, first_name, last_name, role, status)
      values (${p.profile}, ${p.student}, 'Sam', 'Student', 'IT', 'ACTIVE')`);
    await run(`insert into auth_sessions (id, user_id, family_id, refresh_token_hash, expires_at)
      values (${p.authSession}, ${p.student}, gen_random_uuid(), 'token-hash-1', now() + interval '1 day')`);
    await run(`insert into authorized_providers (id, name) values (${p.provider}, 'First Provider')`);
    await run(`insert into provider_members (provider_id, user_id, member_role) values (${p.provider}, ${p.instructor}, 'INSTRUCTOR')`);
    await run(`insert into locations (id, name, country, timezone) values
      (${p.location}, 'Leeds centre', 'GB', 'Europe/London'), (${p.lonelyLocation}, 'York annex', 'GB', 'Europe/London')`);
    await run(`insert into provider_locations (provider_id, location_id) values (${p.provider}, ${p.location})`);
    await run(`insert into rooms (id, location_id, name, capacity) values (${p.room}, ${p.location}, 'Room 1', 12)`);
    await run(`insert into instructor_profiles (id, user_id, display_name, provider_id) values (${p.instructorProfile}, ${p.instructor}, 'Ida Instructor', ${p.provider})`);
    await run(`insert into teams (id, name, provider_id, lead_id) values (${p.team}, 'Leeds team', ${p.provider}, ${p.instructor})`);
    await run(`insert into team_members (team_id, user_id) values (${p.team}, ${p.student})`);
    await run(`insert into courses (id, code, title, duration_minutes, certifies, certificate_validity_months)
      values (${p.course}, 'FA-101', 'First aid', 120, true, 24)`);
    await run(`insert into course_versions (id, course_id, version_number, snapshot) values (${p.courseVersion}, ${p.course}, 1, '{"title": "First aid"}')`);
    await run(`update courses set status = 'PUBLISHED', published_at = now(), published_version = 1 where id = ${p.course}`);
    await run(`insert into course_schedules (id, course_id, instructor_id, location_id, provider_id, rrule, dtstart, until_at, duration_minutes, max_capacity, timezone)
      values (${p.schedule}, ${p.course}, ${p.instructor}, ${p.location}, ${p.provider}, 'FREQ=WEEKLY;BYDAY=MO',
              '2030-01-07 09:00+00', '2030-06-30 00:00+00', 120, 2, 'Europe/London')`);
    await run(`insert into training_sessions (id, title, course_id, schedule_id, instructor_id, location_id, provider_id,
                                           session_date, start_time, end_time, max_capacity, current_enrollment, room_id) values
      (${p.session}, 'First aid', ${p.course}, ${p.schedule}, ${p.instructor}, ${p.location}, ${p.provider}, '2030-01-07', '09:00', '11:00', 2, 1, ${p.room}),
      (${p.lonelySession}, 'First aid in York', ${p.course}, null, ${p.instructor}, ${p.lonelyLocation}, null, '2030-02-04', '09:00', '11:00', 5, 0, null)`);
    await run(`insert into student_enrollment_profiles (id, first_name, last_name, email_ciphertext, email_hmac, provider_id)
      values (${p.walkIn}, 'Wanda', 'Walk-in', 'c-walkin', 'hmac-walkin', ${p.provider})`);
    await run(`insert into session_enrollments (id, session_id, student_id, student_profile_id, status, waitlist_position, completion_status, completed_at, assessment_score) values
      (${p.enrollment}, ${p.session}, ${p.student}, null, 'ENROLLED', null, 'COMPLETED', now(), 90),
      (${p.waitlisted}, ${p.session}, null, ${p.walkIn}, 'WAITLISTED', 1, 'NOT_STARTED', null, null)`);
    await run(`insert into rosters (id, name, session_id, course_id, location_id, provider_id, instructor_id, roster_type, issue_date)
      values (${p.roster}, 'January first aid', ${p.session}, ${p.course}, ${p.location}, ${p.provider}, ${p.instructor}, 'CERTIFICATE', '2030-01-07')`);
    await run(`insert into student_roster_members (id, roster_id, student_profile_id) values (${p.rosterMember}, ${p.roster}, ${p.walkIn})`);
    await run(`insert into certificate_templates (id, name, layout, is_default) values (${p.template}, 'Standard', '{}', true)`);
    await run(`insert into certificate_batches (id, roster_id, template_id, total_count) values (${p.batch}, ${p.roster}, ${p.template}, 1)`);
    await run(`insert into certificate_template_versions (id, template_id, version_number, name, layout) values (${p.templateVersion}, ${p.template}, 1, 'Standard', '{}')`);
    await run(`insert into certificate_batch_results (id, batch_id, position, roster_member_id) values (${p.batchResult}, ${p.batch}, 1, ${p.rosterMember})`);
    await run(`insert into course_certificate_settings (id, course_id) values (${p.courseSettings}, ${p.course})`);
    await run(`insert into certificates (id, user_id, student_profile_id, enrollment_id, roster_member_id, roster_id, course_id, location_id,
                                      course_name, recipient_name, template_id, batch_id, issue_date, expiry_date, verification_code) values
      (${p.certificate}, ${p.student}, null, ${p.enrollment}, null, null, ${p.course}, ${p.location}, 'First aid', 'Sam Student', ${p.template}, null, '2030-01-07', '2032-01-07', 'CERT-0001'),
      (${p.rosterCertificate}, null, ${p.walkIn}, null, ${p.rosterMember}, ${p.roster}, ${p.course}, ${p.location}, 'First aid', 'Wanda Walk-in', ${p.template}, ${p.batch}, '2030-01-07', null, 'CERT-0002')`);
    await run(`insert into compliance_requirements (id, code, name, applies_to_roles, tier, validity_months, course_id)
      values (${p.requirement}, 'FIRST-AID', 'First aid', array['IC', 'IT'], 'basic', 24, ${p.course})`);
    await run(`insert into compliance_records (id, user_id, requirement_id, status, completed_at, expires_at, source_enrollment_id)
      values (${p.complianceRecord}, ${p.student}, ${p.requirement}, 'MET', now(), now() + interval '2 years', ${p.enrollment})`);
    await run(`insert into compliance_reminders (id, record_id, expires_at, offset_days)
      values (${p.complianceReminder}, ${p.complianceRecord}, now() + interval '2 years', 30)`);
    await run(`insert into compliance_tier_changes (id, user_id, from_role, to_role, requirement_ids)
      values (${p.tierChange}, ${p.instructor}, 'IC', 'IP', array[${p.requirement}]::uuid[])`);
    await run(`insert into course_instructor_requirements (id, course_id, minimum_tier, compliance_requirement_ids)
      values (${p.instructorRequirements}, ${p.course}, 'IC', array[${p.requirement}]::uuid[])`);
    await run(`insert into audit_log (table_name, operation, row_id, new_values) values ('locations', 'INSERT', ${p.location}, '{}')`);
    await run(`insert into domain_events (aggregate_type, aggregate_id, event_type) values ('session', ${p.session}, 'SessionScheduled')`);
    await run(`insert into change_log (table_name, operation, row_id, location_id) values ('training_sessions', 'INSERT', ${p.session}, ${p.location})`);
    await run(`insert into jobs (id, handler, idempotency_key) values (${p.job}, 'send-reminder', 'reminder-1')`);
    await run(`insert into notifications (user_id, kind, title) values (${p.student}, 'reminder', 'Your session is on Monday')`);
    await run(`insert into notifications (user_id, kind, title, data) values (${p.instructor}, 'instructor.not-eligible', 'No longer eligible',
      jsonb_build_object('session_id', ${p.session}::text, 'instructor_id', ${p.instructor}::text))`);
    await run(`insert into user_activities (user_id, activity_type, entity_type, entity_id) values (${p.student}, 'ENROLLED', 'session', ${p.session})`);
  });
}

interface Case {
  /** The test's name: the rule and the bad row. */
  rule: string;
  /** The table whose row count must not change. */
  table: string;
  sql: string;
  params: unknown[];
  status: number;
  code: ErrorCode;
  /** `error.details.constraint`; undefined where PostgreSQL names none (NOT NULL, malformed input). */
  constraint?: string;
  field?: string;
  /** Input that must not be echoed back (it may be personal). */
  secret?: string;
  message?: string;
}

const refused = (status: number, code: ErrorCode) =>
  (table: string, constraint: string | undefined, rule: string, sql: string, params: unknown[] = [], extra: Partial<Case> = {}): Case => ({
    rule: `${constraint ?? table}: ${rule}`, table, sql, params, status, code, ...(constraint ? { constraint } : {}), ...extra,
  });
const check = refused(422, 'CONSTRAINT_VIOLATION');
const duplicate = refused(409, 'CONFLICT');
const doubleBooked = refused(409, 'SCHEDULE_CONFLICT');
const missingReference = refused(422, 'INVALID_REFERENCE');
const stillReferenced = refused(409, 'CONFLICT');
const invalidInput = refused(400, 'VALIDATION_FAILED');

/** A CHECK broken by updating one fixture row: `update <table> set <assignments> where id = <fixture id>`. */
const checkUpdate = (table: string, constraint: string, rule: string, assignments: string, row: keyof typeof ids) =>
  check(table, constraint, rule, `update ${table} set ${assignments} where id = $1`, [ids[row]]);

const sessionColumns = 'title, course_id, instructor_id, location_id, session_date, start_time, end_time, max_capacity';
const invitationColumns = 'insert into invitations (email_ciphertext, email_hmac, role, expires_at';

const checkCases: Case[] = [
  checkUpdate('users', 'users_role_check', 'refuses a role outside the seven codes', `role = 'XX'`, 'admin'),
  checkUpdate('users', 'users_status_check', 'refuses an unknown account status', `status = 'DELETED'`, 'admin'),
  checkUpdate('profiles', 'profiles_supervisor_check', 'refuses a person as their own supervisor', 'supervisor_id = user_id', 'profile'),
  checkUpdate('profiles', 'profiles_compliance_tier_check', 'refuses a tier in upper case', `compliance_tier = 'ROBUST'`, 'profile'),
  checkUpdate('profiles', 'profiles_compliance_score_check', 'refuses a score above 100', 'compliance_score = 100.5', 'profile'),
  checkUpdate('profiles', 'profiles_compliance_status_check', 'refuses an unknown compliance status', `compliance_status = 'UNKNOWN'`, 'profile'),
  checkUpdate('auth_sessions', 'auth_sessions_replaced_check', 'refuses a successor for a token that is not revoked', 'replaced_by = id', 'authSession'),
  checkUpdate('authorized_providers', 'authorized_providers_status_check', 'refuses an unknown provider status', `status = 'DELETED'`, 'provider'),
  check('provider_members', 'provider_members_member_role_check', 'refuses an unknown member role',
    `update provider_members set member_role = 'OWNER' where provider_id = $1`, [ids.provider]),
  check('locations', 'locations_country_check', 'refuses a country that is not ISO alpha-2 in capitals',
    `insert into locations (name, country) values ('Lower-case country', 'gb')`),
  checkUpdate('locations', 'locations_status_check', 'refuses an unknown location status', `status = 'CLOSED'`, 'location'),
  checkUpdate('instructor_profiles', 'instructor_profiles_certification_level_check', 'refuses an unknown level', `certification_level = 'EXPERT'`, 'instructorProfile'),
  checkUpdate('instructor_profiles', 'instructor_profiles_certification_status_check', 'refuses an unknown status', `certification_status = 'LAPSED'`, 'instructorProfile'),
  checkUpdate('teams', 'teams_status_check', 'refuses an unknown team status', `status = 'DELETED'`, 'team'),
  check('courses', 'courses_code_check', 'refuses a code with a blank in it',
    `insert into courses (code, title, duration_minutes) values ('FA 102', 'Blank in the code', 60)`),
  checkUpdate('courses', 'courses_duration_check', 'refuses a course of no minutes', 'duration_minutes = 0', 'course'),
  check('courses', 'courses_certificate_validity_check', 'refuses a certificate validity on a course that does not certify',
    `insert into courses (code, title, duration_minutes, certifies, certificate_validity_months) values ('NC-1', 'No certificate', 60, false, 12)`),
  checkUpdate('courses', 'courses_status_check', 'refuses an unknown course status', `status = 'LIVE'`, 'course'),
  check('courses', 'courses_published_check', 'refuses a PUBLISHED course without publication time and version',
    `insert into courses (code, title, duration_minutes, status) values ('PUB-1', 'Published too early', 60, 'PUBLISHED')`),
  check('course_versions', 'course_versions_version_number_check', 'refuses version number 0',
    `insert into course_versions (course_id, version_number, snapshot) values ($1, 0, '{}')`, [ids.course]),
  check('course_versions', 'course_versions_snapshot_check', 'refuses a snapshot that is not a JSON object',
    `insert into course_versions (course_id, version_number, snapshot) values ($1, 2, '[]')`, [ids.course]),
  checkUpdate('course_schedules', 'course_schedules_rrule_check', 'refuses a rule without FREQ', `rrule = 'WEEKLY'`, 'schedule'),
  checkUpdate('course_schedules', 'course_schedules_until_check', 'refuses an end before the start', `until_at = dtstart - interval '1 day'`, 'schedule'),
  checkUpdate('course_schedules', 'course_schedules_duration_check', 'refuses a duration of a whole day', 'duration_minutes = 1440', 'schedule'),
  checkUpdate('course_schedules', 'course_schedules_max_capacity_check', 'refuses a capacity of 0', 'max_capacity = 0', 'schedule'),
  checkUpdate('course_schedules', 'course_schedules_status_check', 'refuses an unknown schedule status', `status = 'STOPPED'`, 'schedule'),
  check('training_sessions', 'training_sessions_time_check', 'refuses a session that ends before it starts',
    `insert into training_sessions (${sessionColumns}) values ('Backwards', $1, $2, $3, '2030-03-04', '10:00', '09:00', 5)`,
    [ids.course, ids.instructor, ids.location]),
  checkUpdate('training_sessions', 'training_sessions_time_check', 'refuses a session that ends when it starts', 'end_time = start_time', 'lonelySession'),
  checkUpdate('training_sessions', 'training_sessions_max_capacity_check', 'refuses a capacity of 0', 'max_capacity = 0', 'lonelySession'),
  checkUpdate('rooms', 'rooms_capacity_check', 'refuses a room without seats', 'capacity = 0', 'room'),
  checkUpdate('course_instructor_requirements', 'course_instructor_requirements_minimum_tier_check', 'refuses a tier instructors do not have',
    `minimum_tier = 'IT'`, 'instructorRequirements'),
  checkUpdate('training_sessions', 'training_sessions_eligibility_override_check', 'refuses an override reason without who gave it',
    `eligibility_override_reason = 'Needed'`, 'lonelySession'),
  checkUpdate('course_schedules', 'course_schedules_eligibility_override_check', 'refuses an override giver without a reason',
    'eligibility_overridden_by = instructor_id', 'schedule'),
  // Raised by triggers (migration 0039) as check violations with these names.
  check('training_sessions', 'training_sessions_room_capacity_check', 'refuses a session seating more than its room holds',
    `update training_sessions set max_capacity = 13 where id = $1`, [ids.session], { field: 'body.max_capacity' }),
  check('rooms', 'rooms_session_seats_check', 'refuses a room smaller than a session it holds',
    `update rooms set capacity = 1 where id = $1`, [ids.room], { field: 'body.capacity' }),
  doubleBooked('training_sessions', 'training_sessions_instructor_overlap_excl', 'refuses an instructor two overlapping sessions',
    `insert into training_sessions (${sessionColumns}) values ('Twice', $1, $2, $3, '2030-01-07', '10:00', '12:00', 5)`,
    [ids.course, ids.instructor, ids.lonelyLocation]),
  checkUpdate('training_sessions', 'training_sessions_capacity_check', 'refuses an enrolment UPDATE that would overbook',
    'current_enrollment = current_enrollment + 2', 'session'),
  checkUpdate('training_sessions', 'training_sessions_capacity_check', 'refuses a negative enrolment count', 'current_enrollment = -1', 'lonelySession'),
  checkUpdate('training_sessions', 'training_sessions_status_check', 'refuses an unknown session status', `status = 'POSTPONED'`, 'session'),
  checkUpdate('training_sessions', 'training_sessions_cancelled_reason_check', 'refuses a cancellation reason on a session that is not cancelled',
    `cancelled_reason = 'Snow'`, 'session'),
  check('student_enrollment_profiles', 'student_enrollment_profiles_email_check', 'refuses an encrypted e-mail without its blind index',
    `insert into student_enrollment_profiles (first_name, last_name, email_ciphertext) values ('No', 'Index', 'c-no-index')`),
  check('session_enrollments', 'session_enrollments_student_check', 'refuses a student who is both an account and a profile',
    `insert into session_enrollments (session_id, student_id, student_profile_id) values ($1, $2, $3)`, [ids.lonelySession, ids.student2, ids.walkIn]),
  check('session_enrollments', 'session_enrollments_student_check', 'refuses an enrollment without a student',
    `insert into session_enrollments (session_id) values ($1)`, [ids.lonelySession]),
  checkUpdate('session_enrollments', 'session_enrollments_status_check', 'refuses an unknown enrollment status', `status = 'PENDING'`, 'enrollment'),
  check('session_enrollments', 'session_enrollments_waitlist_check', 'refuses a waitlisted row without a position',
    `insert into session_enrollments (session_id, student_id, status) values ($1, $2, 'WAITLISTED')`, [ids.lonelySession, ids.student2]),
  check('session_enrollments', 'session_enrollments_waitlist_check', 'refuses waitlist position 0',
    `insert into session_enrollments (session_id, student_id, status, waitlist_position) values ($1, $2, 'WAITLISTED', 0)`, [ids.lonelySession, ids.student2]),
  checkUpdate('session_enrollments', 'session_enrollments_waitlist_check', 'refuses a waitlist position on an enrolled row', 'waitlist_position = 3', 'enrollment'),
  checkUpdate('session_enrollments', 'session_enrollments_attendance_status_check', 'refuses an unknown attendance', `attendance_status = 'LATE'`, 'enrollment'),
  checkUpdate('session_enrollments', 'session_enrollments_completion_status_check', 'refuses an unknown completion', `completion_status = 'PASSED'`, 'waitlisted'),
  checkUpdate('session_enrollments', 'session_enrollments_completed_at_check', 'refuses a COMPLETED row without a completion time', 'completed_at = null', 'enrollment'),
  checkUpdate('session_enrollments', 'session_enrollments_completed_at_check', 'refuses a completion time on a row not finished', 'completed_at = now()', 'waitlisted'),
  checkUpdate('session_enrollments', 'session_enrollments_assessment_score_check', 'refuses an assessment score above 100', 'assessment_score = 101', 'enrollment'),
  checkUpdate('session_enrollments', 'session_enrollments_practical_score_check', 'refuses a negative practical score', 'practical_score = -0.5', 'enrollment'),
  checkUpdate('session_enrollments', 'session_enrollments_written_score_check', 'refuses a written score above 100', 'written_score = 100.01', 'enrollment'),
  checkUpdate('session_enrollments', 'session_enrollments_student_fixed', 'refuses moving an enrollment to another student', `student_id = '${ids.student2}'`, 'enrollment'),
  checkUpdate('rosters', 'rosters_status_check', 'refuses an unknown roster status', `status = 'CLOSED'`, 'roster'),
  checkUpdate('rosters', 'rosters_roster_type_check', 'refuses an unknown roster type', `roster_type = 'EXAM'`, 'roster'),
  checkUpdate('rosters', 'rosters_certificate_count_check', 'refuses a negative certificate count', 'certificate_count = -1', 'roster'),
  checkUpdate('student_roster_members', 'student_roster_members_enrollment_status_check', 'refuses a lower-case enrollment status',
    `enrollment_status = 'enrolled'`, 'rosterMember'),
  checkUpdate('student_roster_members', 'student_roster_members_attendance_status_check', 'refuses a lower-case attendance',
    `attendance_status = 'attended'`, 'rosterMember'),
  checkUpdate('student_roster_members', 'student_roster_members_completion_status_check', 'refuses a lower-case completion',
    `completion_status = 'completed'`, 'rosterMember'),
  checkUpdate('student_roster_members', 'student_roster_members_practical_score_check', 'refuses a practical score above 100', 'practical_score = 101', 'rosterMember'),
  checkUpdate('student_roster_members', 'student_roster_members_written_score_check', 'refuses a negative written score', 'written_score = -1', 'rosterMember'),
  checkUpdate('certificate_templates', 'certificate_templates_content_check', 'refuses a template with neither layout nor file', 'layout = null', 'template'),
  check('certificate_templates', 'certificate_templates_status_check', 'refuses an unknown template status',
    `insert into certificate_templates (name, layout, status) values ('Draft', '{}', 'DRAFT')`),
  checkUpdate('certificate_templates', 'certificate_templates_default_check', 'refuses archiving the default template', `status = 'ARCHIVED'`, 'template'),
  check('certificate_template_versions', 'certificate_template_versions_version_number_check', 'refuses a template version 0',
    `insert into certificate_template_versions (template_id, version_number, name, layout) values ($1, 0, 'Standard', '{}')`, [ids.template]),
  check('certificate_template_versions', 'certificate_template_versions_layout_check', 'refuses a layout that is not an object',
    `insert into certificate_template_versions (template_id, version_number, name, layout) values ($1, 7, 'Standard', '[]')`, [ids.template]),
  checkUpdate('certificate_batches', 'certificate_batches_source_check', 'refuses a batch of a roster and a session at once', `session_id = '${ids.session}'`, 'batch'),
  checkUpdate('certificate_batch_results', 'certificate_batch_results_source_check', 'refuses a result of two sources', `enrollment_id = '${ids.enrollment}'`, 'batchResult'),
  checkUpdate('certificate_batch_results', 'certificate_batch_results_outcome_check', 'refuses an unknown outcome', `outcome = 'DONE', processed_at = now()`, 'batchResult'),
  checkUpdate('certificate_batch_results', 'certificate_batch_results_reason_check', 'refuses NOT_ELIGIBLE without a reason', `outcome = 'NOT_ELIGIBLE', processed_at = now()`, 'batchResult'),
  checkUpdate('certificate_batch_results', 'certificate_batch_results_processed_check', 'refuses an outcome without a time', `outcome = 'ISSUED'`, 'batchResult'),
  checkUpdate('certificate_batches', 'certificate_batches_status_check', 'refuses an unknown batch status', `status = 'DONE'`, 'batch'),
  checkUpdate('certificate_batches', 'certificate_batches_progress_check', 'refuses more processed than total', 'processed_count = 2', 'batch'),
  checkUpdate('certificate_batches', 'certificate_batches_progress_check', 'refuses more failed than processed', 'failed_count = 1', 'batch'),
  checkUpdate('certificates', 'certificates_recipient_check', 'refuses a certificate without a recipient', 'user_id = null', 'certificate'),
  checkUpdate('certificates', 'certificates_source_check', 'refuses a certificate issued for both an enrollment and a roster line',
    `roster_member_id = '${ids.rosterMember}'`, 'certificate'),
  checkUpdate('certificates', 'certificates_expiry_check', 'refuses an expiry before the issue date', 'expiry_date = issue_date - 1', 'certificate'),
  checkUpdate('certificates', 'certificates_status_check', 'refuses an unknown certificate status', `status = 'VOID'`, 'certificate'),
  checkUpdate('certificates', 'certificates_revocation_check', 'refuses a revocation without time and reason', `status = 'REVOKED'`, 'certificate'),
  checkUpdate('certificates', 'certificates_revocation_check', 'refuses a revocation reason on an active certificate', `revoked_reason = 'typo'`, 'certificate'),
  checkUpdate('certificates', 'certificates_verification_code_check', 'refuses a short lower-case verification code', `verification_code = 'cert-1'`, 'certificate'),
  checkUpdate('certificates', 'certificates_snapshot_check', 'refuses a printed snapshot that is not an object', `snapshot = '[1]'`, 'certificate'),
  checkUpdate('certificates', 'certificates_pdf_sha256_check', 'refuses a PDF hash that is not 64 lower-case hex digits', `pdf_sha256 = 'ABC'`, 'certificate'),
  checkUpdate('certificates', 'certificates_revoked_reason_code_check', 'refuses a revocation reason code on a certificate that is not revoked',
    `revoked_reason_code = 'FRAUD'`, 'certificate'),
  checkUpdate('certificates', 'certificates_suspension_check', 'refuses a suspension without its time and reason', `status = 'SUSPENDED'`, 'certificate'),
  checkUpdate('certificates', 'certificates_replaces_check', 'refuses a certificate that replaces itself', 'replaces_certificate_id = id', 'certificate'),
  check('certificate_verifications', 'certificate_verifications_count_check', 'refuses a verification count of zero',
    'insert into certificate_verifications (certificate_id, verification_count, last_verified_at) values ($1, 0, now())', [ids.certificate]),
  check('certificate_status_entries', 'certificate_status_entries_status_list_index_check', 'refuses a negative status list index',
    'update certificate_status_entries set status_list_index = -1 where certificate_id = $1', [ids.certificate]),
  check('certificate_status_lists', 'certificate_status_lists_purpose_check', 'refuses a list of an unknown purpose',
    `insert into certificate_status_lists (purpose, list_number, bits) values ('expiry', 9, decode(repeat('00', 16384), 'hex'))`),
  check('certificate_status_lists', 'certificate_status_lists_list_number_check', 'refuses a negative list number',
    `insert into certificate_status_lists (purpose, list_number, bits) values ('revocation', -1, decode(repeat('00', 16384), 'hex'))`),
  check('certificate_status_lists', 'certificate_status_lists_bits_check', 'refuses a list that is not 131,072 bits',
    `insert into certificate_status_lists (purpose, list_number, bits) values ('revocation', 9, '\\x00'::bytea)`),
  checkUpdate('compliance_requirements', 'compliance_requirements_roles_check', 'refuses a role outside the seven codes',
    `applies_to_roles = array['IC', 'XX']`, 'requirement'),
  checkUpdate('compliance_requirements', 'compliance_requirements_tier_check', 'refuses a tier in upper case', `tier = 'ROBUST'`, 'requirement'),
  checkUpdate('compliance_requirements', 'compliance_requirements_validity_check', 'refuses a validity of 0 months', 'validity_months = 0', 'requirement'),
  checkUpdate('compliance_requirements', 'compliance_requirements_weight_check', 'refuses a weight of 0', 'weight = 0', 'requirement'),
  checkUpdate('compliance_requirements', 'compliance_requirements_status_check', 'refuses an unknown requirement status', `status = 'ARCHIVED'`, 'requirement'),
  checkUpdate('compliance_requirements', 'compliance_requirements_window_check', 'refuses a negative renewal window', 'renewal_window_days = -1', 'requirement'),
  checkUpdate('compliance_requirements', 'compliance_requirements_grace_check', 'refuses a negative grace period', 'grace_days = -1', 'requirement'),
  checkUpdate('compliance_requirements', 'compliance_requirements_reminder_offsets_check', 'refuses a reminder on the expiry day itself',
    `reminder_offsets_days = '{30,0}'`, 'requirement'),
  checkUpdate('compliance_reminders', 'compliance_reminders_offset_check', 'refuses a reminder 0 days before expiry', 'offset_days = 0', 'complianceReminder'),
  checkUpdate('compliance_tier_changes', 'compliance_tier_changes_roles_check', 'refuses a tier change to a trainee role', `to_role = 'IT'`, 'tierChange'),
  checkUpdate('compliance_tier_changes', 'compliance_tier_changes_requirements_check', 'refuses a tier change that names no lapsed requirement',
    `requirement_ids = '{}'`, 'tierChange'),
  checkUpdate('compliance_tier_changes', 'compliance_tier_changes_status_check', 'refuses an unknown tier change status',
    `status = 'DONE', decided_at = now()`, 'tierChange'),
  checkUpdate('compliance_tier_changes', 'compliance_tier_changes_decision_check', 'refuses a decided tier change without a decision time',
    `status = 'CONFIRMED'`, 'tierChange'),
  checkUpdate('compliance_records', 'compliance_records_status_check', 'refuses an unknown record status', `status = 'DONE'`, 'complianceRecord'),
  checkUpdate('compliance_records', 'compliance_records_completed_check', 'refuses a MET record without a completion time',
    'completed_at = null, expires_at = null', 'complianceRecord'),
  checkUpdate('compliance_records', 'compliance_records_expiry_check', 'refuses an expiry before the completion',
    `expires_at = completed_at - interval '1 day'`, 'complianceRecord'),
  checkUpdate('courses', 'courses_waitlist_offer_hours_check', 'refuses an offer open longer than 30 days', 'waitlist_offer_hours = 721', 'course'),
  checkUpdate('training_sessions', 'training_sessions_waitlist_offer_hours_check', 'refuses negative offer hours', 'waitlist_offer_hours = -1', 'session'),
  checkUpdate('session_enrollments', 'session_enrollments_offer_check', 'refuses an offer to a student already seated', 'offer_expires_at = now()', 'enrollment'),
  check('notification_templates', 'notification_templates_kind_check', 'refuses a template no event sends',
    `insert into notification_templates (kind, subject, body) values ('session.rescheduled', 'S', 'B')`),
  check('notification_templates', 'notification_templates_locale_check', 'refuses a locale that is not a language tag',
    `insert into notification_templates (kind, locale, subject, body) values ('session.reminder', 'English', 'S', 'B')`),
  check('notification_templates', 'notification_templates_subject_check', 'refuses an empty subject',
    `insert into notification_templates (kind, locale, subject, body) values ('session.reminder', 'de', '', 'B')`),
  check('notification_templates', 'notification_templates_body_check', 'refuses an empty body',
    `insert into notification_templates (kind, locale, subject, body) values ('session.reminder', 'de', 'S', '')`),
  check('audit_log', 'audit_log_actor_role_check', 'refuses an unknown actor role',
    `insert into audit_log (actor_role, table_name, operation, row_id, new_values) values ('ROOT', 'locations', 'INSERT', $1, '{}')`, [ids.location]),
  // An unknown operation also breaks audit_log_values_check; PostgreSQL tries CHECKs in name order, so this one speaks first.
  check('audit_log', 'audit_log_operation_check', 'refuses an unknown operation',
    `insert into audit_log (table_name, operation, row_id, new_values) values ('locations', 'UPSERT', $1, '{}')`, [ids.location]),
  check('audit_log', 'audit_log_values_check', 'refuses old values on an INSERT',
    `insert into audit_log (table_name, operation, row_id, old_values, new_values) values ('locations', 'INSERT', $1, '{}', '{}')`, [ids.location]),
  check('domain_events', 'domain_events_payload_check', 'refuses a payload that is not a JSON object',
    `insert into domain_events (aggregate_type, aggregate_id, event_type, payload) values ('session', $1, 'SessionScheduled', '[]')`, [ids.session]),
  check('change_log', 'change_log_operation_check', 'refuses an unknown operation',
    `insert into change_log (table_name, operation, row_id) values ('locations', 'TRUNCATE', $1)`, [ids.location]),
  checkUpdate('jobs', 'jobs_status_check', 'refuses an unknown job status', `status = 'WAITING'`, 'job'),
  checkUpdate('jobs', 'jobs_max_attempts_check', 'refuses max_attempts 0', 'max_attempts = 0', 'job'),
  checkUpdate('jobs', 'jobs_attempts_check', 'refuses more attempts than allowed', 'attempts = max_attempts + 1', 'job'),
  checkUpdate('jobs', 'jobs_lease_check', 'refuses a RUNNING job without a lease', `status = 'RUNNING'`, 'job'),
  check('analytics_refreshes', 'analytics_refreshes_duration_check', 'refuses a refresh that took negative time',
    'update analytics_refreshes set duration_ms = -1 where view_name = $1', ['enrollment_figures_by_month']),
  check('login_failures', 'login_failures_scope_check', 'refuses a counter that is neither per account nor per address',
    `insert into login_failures (scope, key, failures, last_failed_at, forget_after) values ('EMAIL', 'k-scope', 1, now(), now())`),
  check('login_failures', 'login_failures_failures_check', 'refuses a counter below one failure',
    `insert into login_failures (scope, key, failures, last_failed_at, forget_after) values ('ACCOUNT', 'k-zero', 0, now(), now())`),
];

const uniqueCases: Case[] = [
  duplicate('analytics_refreshes', 'analytics_refreshes_view_name_key', 'refuses a second refresh row for one view',
    'insert into analytics_refreshes (view_name, refreshed_at) values ($1, now())', ['enrollment_figures_by_month'], { field: 'view_name' }),
  duplicate('rooms', 'rooms_location_name_key', 'refuses two rooms of one name at a location',
    `insert into rooms (location_id, name, capacity) values ($1, 'Room 1', 4)`, [ids.location], { field: 'location_id, name' }),
  duplicate('certificate_status_entries', 'certificate_status_entries_status_list_index_key', 'refuses one status list index for two certificates',
    `update certificate_status_entries set status_list_index = (select status_list_index from certificate_status_entries where certificate_id = $2)
      where certificate_id = $1`, [ids.certificate, ids.rosterCertificate]),
  duplicate('users', 'users_pkey', 'refuses a second row with the same primary key',
    `insert into users (id, email_ciphertext, email_hmac, role) values ($1, 'c', 'hmac-new', 'SA')`, [ids.admin]),
  duplicate('users', 'users_email_hmac_key', 'refuses a second account for one e-mail address',
    `insert into users (email_ciphertext, email_hmac, role) values ('c-again', $1, 'IT')`, ['hmac-student'], { field: 'email_hmac', secret: 'hmac-student' }),
  duplicate('profiles', 'profiles_user_id_key', 'refuses a second profile for one user',
    `insert into profiles (user_id, first_name, last_name, role, status) values ($1, 'Sam', 'Again', 'IT', 'ACTIVE')`, [ids.student], { field: 'user_id' }),
  duplicate('auth_sessions', 'auth_sessions_refresh_token_hash_key', 'refuses a refresh token hash twice',
    `insert into auth_sessions (user_id, family_id, refresh_token_hash, expires_at) values ($1, gen_random_uuid(), 'token-hash-1', now())`, [ids.student]),
  duplicate('calendar_feeds', 'calendar_feeds_user_id_key', 'refuses a second calendar feed for one person',
    `insert into calendar_feeds (user_id, token_hash) values ($1, repeat('a', 64)), ($1, repeat('b', 64))`, [ids.student], { field: 'user_id' }),
  duplicate('calendar_feeds', 'calendar_feeds_token_hash_key', 'refuses one feed token hash for two people',
    `insert into calendar_feeds (user_id, token_hash) values ($1, repeat('c', 64)), ($2, repeat('c', 64))`, [ids.student, ids.student2], { field: 'token_hash' }),
  check('calendar_feeds', 'calendar_feeds_token_hash_check', 'refuses a feed token stored instead of its SHA-256',
    `insert into calendar_feeds (user_id, token_hash) values ($1, 'plain-token')`, [ids.student], { secret: 'plain-token' }),
  check('invitations', 'invitations_role_check', 'refuses an invitation to a role outside the seven codes',
    `${invitationColumns}) values ('c', 'hmac-inv-role', 'XX', now())`),
  check('invitations', 'invitations_status_check', 'refuses a stored EXPIRED (it is read from expires_at, never stored)',
    `${invitationColumns}, status) values ('c', 'hmac-inv-status', 'IT', now(), 'EXPIRED')`),
  check('invitations', 'invitations_provider_check', 'refuses an AP invitation without a provider',
    `${invitationColumns}) values ('c', 'hmac-inv-ap', 'AP', now())`),
  check('invitations', 'invitations_accepted_check', 'refuses an accepted invitation without its time',
    `${invitationColumns}, status) values ('c', 'hmac-inv-accepted', 'IT', now(), 'ACCEPTED')`),
  check('invitations', 'invitations_revoked_check', 'refuses a revocation time on an open invitation',
    `${invitationColumns}, revoked_at) values ('c', 'hmac-inv-revoked', 'IT', now(), now())`),
  check('invitations', 'invitations_mail_generation_check', 'refuses a mail generation below one',
    `${invitationColumns}, mail_generation) values ('c', 'hmac-inv-generation', 'IT', now(), 0)`),
  check('account_tokens', 'account_tokens_token_hash_check', 'refuses a link token stored instead of its SHA-256',
    `insert into account_tokens (purpose, user_id, token_hash, expires_at) values ('PASSWORD_RESET', $1, 'plain-token', now())`, [ids.student], { secret: 'plain-token' }),
  check('account_tokens', 'account_tokens_purpose_check', 'refuses a reset token that names no account',
    `insert into account_tokens (purpose, token_hash, expires_at) values ('PASSWORD_RESET', repeat('e', 64), now())`),
  duplicate('notifications', 'notifications_event_user_key', 'refuses telling one person of one event twice (a retried job)',
    `insert into notifications (user_id, kind, title, data) values ($1, 'session.cancelled', 'A', '{"event_seq": 7}'), ($1, 'session.cancelled', 'B', '{"event_seq": 7}')`,
    [ids.student]),
  duplicate('notification_templates', 'notification_templates_kind_locale_provider_key', 'refuses a second global template of one kind and locale',
    `insert into notification_templates (kind, locale, subject, body) values ('session.cancelled', 'en', 'S', 'B')`),
  duplicate('login_failures', 'login_failures_scope_key_key', 'refuses two failure counters for one key',
    `insert into login_failures (scope, key, failures, last_failed_at, forget_after) values ('ADDRESS', 'k-twice', 1, now(), now()), ('ADDRESS', 'k-twice', 1, now(), now())`,
    [], { field: 'scope, key' }),
  duplicate('authorized_providers', 'authorized_providers_name_key', 'refuses two providers of one name',
    `insert into authorized_providers (name) values ('First Provider')`),
  duplicate('provider_members', 'provider_members_provider_user_key', 'refuses a user twice in one provider',
    `insert into provider_members (provider_id, user_id) values ($1, $2)`, [ids.provider, ids.instructor]),
  duplicate('provider_locations', 'provider_locations_provider_location_key', 'refuses a location twice for one provider',
    `insert into provider_locations (provider_id, location_id) values ($1, $2)`, [ids.provider, ids.location]),
  duplicate('instructor_profiles', 'instructor_profiles_user_id_key', 'refuses a second instructor profile for one user',
    `insert into instructor_profiles (user_id, display_name) values ($1, 'Ida again')`, [ids.instructor]),
  duplicate('team_members', 'team_members_team_user_key', 'refuses a user twice in one team',
    `insert into team_members (team_id, user_id) values ($1, $2)`, [ids.team, ids.student]),
  duplicate('courses', 'courses_code_key', 'refuses two courses of one code',
    `insert into courses (code, title, duration_minutes) values ('FA-101', 'Copy', 60)`, [], { field: 'code' }),
  duplicate('course_versions', 'course_versions_course_version_key', 'refuses a version number twice for one course',
    `insert into course_versions (course_id, version_number, snapshot) values ($1, 1, '{}')`, [ids.course]),
  duplicate('training_sessions', 'training_sessions_schedule_occurrence_key', 'refuses materialising one occurrence of a schedule twice',
    `insert into training_sessions (${sessionColumns}, schedule_id) values ('Again', $1, $2, $3, '2030-01-07', '09:00', '11:00', 2, $4)`,
    [ids.course, ids.instructor, ids.location, ids.schedule]),
  duplicate('training_sessions', 'training_sessions_schedule_occurrence_date_key', 'refuses a second session for an occurrence whose session was moved',
    `insert into training_sessions (${sessionColumns}, schedule_id, occurrence_date)
     values ('Moved', $1, $2, $3, '2030-01-15', '09:00', '11:00', 2, $4, '2030-01-14'), ('Again', $1, $2, $3, '2030-01-14', '09:00', '11:00', 2, $4, '2030-01-14')`,
    [ids.course, ids.instructor, ids.location, ids.schedule], { field: 'schedule_id, occurrence_date' }),
  duplicate('student_enrollment_profiles', 'student_enrollment_profiles_provider_email_key', 'refuses two profiles of one e-mail at one provider',
    `insert into student_enrollment_profiles (first_name, last_name, email_ciphertext, email_hmac, provider_id) values ('W', 'W', 'c', 'hmac-walkin', $1)`,
    [ids.provider]),
  duplicate('session_enrollments', 'session_enrollments_session_student_key', 'refuses enrolling one account twice in a session',
    `insert into session_enrollments (session_id, student_id) values ($1, $2)`, [ids.session, ids.student], { field: 'session_id, student_id' }),
  duplicate('session_enrollments', 'session_enrollments_session_profile_key', 'refuses enrolling one profile twice in a session',
    `insert into session_enrollments (session_id, student_profile_id) values ($1, $2)`, [ids.session, ids.walkIn], { field: 'session_id, student_profile_id' }),
  duplicate('session_enrollments', 'session_enrollments_waitlist_position_key', 'refuses two waitlisted rows at one position',
    `insert into session_enrollments (session_id, student_id, status, waitlist_position) values ($1, $2, 'WAITLISTED', 1)`,
    [ids.session, ids.student2], { field: 'session_id, waitlist_position' }),
  duplicate('student_roster_members', 'student_roster_members_roster_profile_key', 'refuses one profile twice on a roster',
    `insert into student_roster_members (roster_id, student_profile_id) values ($1, $2)`, [ids.roster, ids.walkIn]),
  duplicate('certificate_template_versions', 'certificate_template_versions_template_version_key', 'refuses one version of a template twice',
    `insert into certificate_template_versions (template_id, version_number, name, layout) values ($1, 1, 'Standard', '{}')`, [ids.template]),
  duplicate('certificate_batch_results', 'certificate_batch_results_batch_position_key', 'refuses two results at one position of a batch',
    `insert into certificate_batch_results (batch_id, position, enrollment_id) values ($1, 1, $2)`, [ids.batch, ids.enrollment]),
  duplicate('course_instructor_requirements', 'course_instructor_requirements_course_id_key', 'refuses two requirement rows for one course',
    `insert into course_instructor_requirements (course_id) values ($1)`, [ids.course]),
  duplicate('notifications', 'notifications_instructor_not_eligible_key', 'refuses a second notice of one instructor-session to one person',
    `insert into notifications (user_id, kind, title, data) values ($1, 'instructor.not-eligible', 'Again', jsonb_build_object('session_id', $2::text, 'instructor_id', $3::text))`,
    [ids.instructor, ids.session, ids.instructor]),
  duplicate('course_certificate_settings', 'course_certificate_settings_course_id_key', 'refuses two settings rows for one course',
    `insert into course_certificate_settings (course_id) values ($1)`, [ids.course]),
  duplicate('certificate_templates', 'certificate_templates_single_default_key', 'refuses a second default template',
    `insert into certificate_templates (name, file_url, is_default) values ('Another default', 'https://example.org/t.pdf', true)`),
  duplicate('certificates', 'certificates_verification_code_key', 'refuses a verification code twice',
    `insert into certificates (user_id, course_id, location_id, course_name, recipient_name, issue_date, verification_code)
     values ($1, $2, $3, 'First aid', 'Sam Student', '2030-01-07', 'CERT-0001')`,
    [ids.student, ids.course, ids.location], { field: 'verification_code', secret: 'CERT-0001' }),
  duplicate('certificates', 'certificates_enrollment_live_key', 'refuses a second live certificate for one enrollment',
    `insert into certificates (user_id, enrollment_id, course_id, location_id, course_name, recipient_name, issue_date, verification_code)
     values ($1, $2, $3, $4, 'First aid', 'Sam Student', '2030-01-07', 'CERT-0003')`, [ids.student, ids.enrollment, ids.course, ids.location]),
  duplicate('certificates', 'certificates_roster_member_live_key', 'refuses a second live certificate for one roster line',
    `insert into certificates (student_profile_id, roster_member_id, course_id, location_id, course_name, recipient_name, issue_date, verification_code)
     values ($1, $2, $3, $4, 'First aid', 'Wanda Walk-in', '2030-01-07', 'CERT-0004')`, [ids.walkIn, ids.rosterMember, ids.course, ids.location]),
  duplicate('certificates', 'certificates_replaces_certificate_id_key', 'refuses two certificates that replace one',
    `insert into certificates (user_id, course_id, location_id, course_name, recipient_name, issue_date, verification_code, replaces_certificate_id)
     values ($1, $2, $3, 'First aid', 'Sam Student', '2030-01-07', 'CERT-0005', $4), ($1, $2, $3, 'First aid', 'Sam Student', '2030-01-07', 'CERT-0006', $4)`,
    [ids.student, ids.course, ids.location, ids.certificate]),
  duplicate('compliance_requirements', 'compliance_requirements_code_key', 'refuses two requirements of one code',
    `insert into compliance_requirements (code, name) values ('FIRST-AID', 'Copy')`),
  duplicate('compliance_records', 'compliance_records_user_requirement_key', 'refuses a second record per person and requirement',
    `insert into compliance_records (user_id, requirement_id) values ($1, $2)`, [ids.student, ids.requirement]),
  duplicate('compliance_reminders', 'compliance_reminders_record_expiry_offset_key', 'refuses sending one reminder twice',
    `insert into compliance_reminders (record_id, expires_at, offset_days) select record_id, expires_at, offset_days from compliance_reminders where id = $1`,
    [ids.complianceReminder], { field: 'record_id, expires_at, offset_days' }),
  duplicate('compliance_tier_changes', 'compliance_tier_changes_open_key', 'refuses a second open tier change for one person',
    `insert into compliance_tier_changes (user_id, from_role, to_role, requirement_ids) values ($1, 'IC', 'IP', array[$2]::uuid[])`,
    [ids.instructor, ids.requirement], { field: 'user_id' }),
  duplicate('invitations', 'invitations_pending_email_key', 'refuses two open invitations of one address',
    `${invitationColumns}) values ('c', 'hmac-inv-twice', 'IT', now()), ('c', 'hmac-inv-twice', 'IN', now())`),
  duplicate('account_tokens', 'account_tokens_token_hash_key', 'refuses one link token hash twice',
    `insert into account_tokens (purpose, user_id, token_hash, expires_at) values ('PASSWORD_RESET', $1, repeat('d', 64), now()), ('PASSWORD_RESET', $1, repeat('d', 64), now())`,
    [ids.student], { field: 'token_hash' }),
  duplicate('jobs', 'jobs_idempotency_key_key', 'refuses queueing one idempotency key twice',
    `insert into jobs (handler, idempotency_key) values ('send-reminder', 'reminder-1')`),
];

const referenceCases: Case[] = [
  missingReference('training_sessions', 'training_sessions_location_id_fkey', 'refuses a session at a location that does not exist',
    `insert into training_sessions (${sessionColumns}) values ('Nowhere', $1, $2, $3, '2030-03-04', '09:00', '10:00', 5)`,
    [ids.course, ids.instructor, randomUUID()], { field: 'location_id' }),
  missingReference('session_enrollments', 'session_enrollments_session_id_fkey', 'refuses an enrollment in a session that does not exist',
    `insert into session_enrollments (session_id, student_id) values ($1, $2)`, [randomUUID(), ids.student2], { field: 'session_id' }),
  missingReference('profiles', 'profiles_user_fkey', "refuses a profile whose role copy differs from the user's",
    `insert into profiles (user_id, first_name, last_name, role, status) values ($1, 'Second', 'Student', 'SA', 'ACTIVE')`,
    [ids.student2], { field: 'user_id, role, status' }),
  missingReference('courses', 'courses_published_version_fkey', 'refuses publishing a version the course does not have',
    `update courses set published_version = 9 where id = $1`, [ids.course], { field: 'id, published_version' }),
  // Raised by the array-reference trigger (migration 0041) like a foreign key.
  missingReference('course_instructor_requirements', 'course_instructor_requirements_compliance_requirement_ids_fkey',
    'refuses a requirement id that names no requirement',
    `update course_instructor_requirements set compliance_requirement_ids = array[$2::uuid] where id = $1`, [ids.instructorRequirements, randomUUID()],
    { field: 'compliance_requirement_ids' }),
  missingReference('course_instructor_requirements', 'course_instructor_requirements_certificate_course_ids_fkey',
    'refuses a certificate course id that names no course',
    `update course_instructor_requirements set certificate_course_ids = array[$2::uuid] where id = $1`, [ids.instructorRequirements, randomUUID()],
    { field: 'certificate_course_ids' }),
  stillReferenced('locations', 'training_sessions_location_id_fkey', 'refuses deleting a location that a session takes place at',
    `delete from locations where id = $1`, [ids.lonelyLocation], { message: 'the row is still referenced from training_sessions' }),
  stillReferenced('training_sessions', 'session_enrollments_session_id_fkey', 'refuses deleting a session that has enrollments',
    `delete from training_sessions where id = $1`, [ids.session]),
  stillReferenced('course_versions', 'courses_published_version_fkey', 'refuses deleting the published version of a course',
    `delete from course_versions where id = $1`, [ids.courseVersion]),
];

const inputCases: Case[] = [
  invalidInput('users', undefined, 'refuses a user without an e-mail blind index',
    `insert into users (email_ciphertext, role) values ('c', 'IT')`, [], { field: 'email_hmac' }),
  invalidInput('locations', undefined, 'refuses removing the name of a location',
    `update locations set name = null where id = $1`, [ids.location], { field: 'name' }),
  invalidInput('training_sessions', undefined, 'refuses a session without a title',
    `insert into training_sessions (${sessionColumns}) values (null, $1, $2, $3, '2030-03-04', '09:00', '10:00', 5)`,
    [ids.course, ids.instructor, ids.location], { field: 'title' }),
  invalidInput('session_enrollments', undefined, 'refuses an enrollment without a session',
    `insert into session_enrollments (student_id) values ($1)`, [ids.student2], { field: 'session_id' }),
  invalidInput('certificates', undefined, 'refuses a certificate without a verification code',
    `insert into certificates (user_id, course_id, location_id, course_name, recipient_name, issue_date) values ($1, $2, $3, 'First aid', 'Sam', '2030-01-07')`,
    [ids.student, ids.course, ids.location], { field: 'verification_code' }),
  invalidInput('locations', undefined, 'refuses an id that is not a uuid, without echoing it',
    `select * from locations where id = $1`, ['not-a-uuid'], { secret: 'not-a-uuid', message: 'a value has the wrong form for type uuid' }),
  invalidInput('session_enrollments', undefined, 'refuses a reference that is not a uuid, without echoing it',
    `insert into session_enrollments (session_id, student_id) values ($1, $2)`, ['session-7', ids.student2], { secret: 'session-7' }),
  invalidInput('training_sessions', undefined, 'refuses a capacity that is not a number, without echoing it',
    `update training_sessions set max_capacity = $2 where id = $1`, [ids.lonelySession, 'twelve'], { secret: 'twelve' }),
  invalidInput('training_sessions', undefined, 'refuses a capacity beyond integer range, without echoing it',
    `update training_sessions set max_capacity = $2 where id = $1`, [ids.lonelySession, '99999999999'],
    { secret: '99999999999', message: 'a number is out of range for type integer' }),
  invalidInput('training_sessions', undefined, 'refuses 31 February, without echoing it',
    `update training_sessions set session_date = $2 where id = $1`, [ids.lonelySession, '2030-02-31'], { secret: '2030-02-31' }),
  invalidInput('training_sessions', undefined, 'refuses a date in words, without echoing it',
    `update training_sessions set session_date = $2 where id = $1`, [ids.lonelySession, 'next monday'], { secret: 'next monday' }),
  invalidInput('locations', undefined, 'refuses a NUL character in text',
    `insert into locations (name) values ($1)`, ['Leeds\u0000centre']),
  invalidInput('notifications', undefined, 'refuses \\u0000 inside JSON',
    `insert into notifications (user_id, kind, title, data) values ($1, 'reminder', 'NUL', $2::jsonb)`, [ids.student, '{"note": "\\u0000"}']),
];

const cases = [...checkCases, ...uniqueCases, ...referenceCases, ...inputCases];

/** Unique constraints that no single statement can break on its own. */
const uniqueWithoutCase: Record<string, string> = {
  rooms_id_location_key: 'contains the primary key, so rooms_pkey refuses a duplicate first; it exists as the target of training_sessions_room_fkey',
  users_id_role_status_key: 'contains the primary key, so users_pkey refuses a duplicate first; it exists as the target of profiles_user_fkey',
};

const context = useTestApp({ logger: testLogger });
let baseTables: string[];
const statuses: number[] = [];
/** What each request threw, by request id, so that an unexpected 500 names its cause in the failure. */
const thrown = new Map<string, unknown>();

/** Rows per table and a digest of their content: equal before and after means nothing happened anywhere. */
async function fingerprint(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(
    baseTables
      .map((table) => `select '${table} ' || count(*) || ' ' || md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as line from ${table} t`)
      .join(' union all '),
  );
  return rows.map((row) => row.line).sort();
}

async function rowCount(db: Db, table: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>(`select count(*)::int as count from ${table}`);
  return rows[0]?.count ?? -1;
}

beforeAll(async () => {
  await insertFixture(context.db);
  const { rows } = await context.db.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  baseTables = rows.map((row) => row.table_name);

  const app = context.app;
  // Test-only route, defined in this file and nowhere else: it runs any statement in a transaction so
  // that the real error layer meets real database refusals before the feature routes (later issues)
  // exist. Once they do, cases here can move to those routes; this route must never reach src/.
  const Statement = Type.Object({ sql: Type.String(), params: Type.Array(Type.Unknown()) });
  app.withTypeProvider<TypeBoxTypeProvider>().post('/test/statements', { schema: { body: Statement } }, async (request) => {
    const { sql, params } = request.body;
    const result = await context.db.transaction((tx) => tx.query(sql, params));
    return { rowCount: result.rowCount, rows: result.rows };
  });
  app.addHook('onError', async (request, _reply, error) => {
    thrown.set(request.id, error);
  });
  app.addHook('onResponse', async (_request, reply) => {
    statuses.push(reply.statusCode);
  });
  await app.ready();
});

describe('the test route', () => {
  it('runs a valid statement (so the refusals below are the rules speaking, not the route)', async () => {
    const response = await context.app.inject({
      method: 'POST',
      url: '/test/statements',
      payload: { sql: 'select count(*)::int as count from training_sessions where location_id = $1', params: [ids.location] },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().rows).toEqual([{ count: 1 }]);
  });
});

describe('every rule of the schema refuses a bad row, and the refusal reaches HTTP as a 4xx', () => {
  it.each(cases.map((c) => [c.rule, c] as const))('%s', async (_rule, c) => {
    const before = await fingerprint(context.db);
    const count = await rowCount(context.db, c.table);

    const response = await context.app.inject({ method: 'POST', url: '/test/statements', payload: { sql: c.sql, params: c.params } });

    const explanation = `${response.body}\nthrown: ${String(thrown.get(String(response.headers['x-request-id'])))}`;
    expect(response.statusCode, explanation).toBeLessThan(500);
    expect(response.statusCode, explanation).toBe(c.status);
    const { error } = response.json();
    expect(error.code).toBe(c.code);
    if (c.message) expect(error.message).toBe(c.message);
    expect(error.details?.constraint).toBe(c.constraint);
    if (c.field) expect(error.details?.field).toBe(c.field);
    if (c.secret) expect(response.body).not.toContain(c.secret);
    // Nothing half-happened: the table keeps its rows, and no table changed at all.
    expect(await rowCount(context.db, c.table)).toBe(count);
    expect(await fingerprint(context.db)).toEqual(before);
  });
});

describe('set_row_version', () => {
  it.each([
    { table: 'locations', id: ids.location },
    { table: 'training_sessions', id: ids.lonelySession },
    { table: 'session_enrollments', id: ids.waitlisted },
    { table: 'certificates', id: ids.rosterCertificate },
  ])('an UPDATE of $table adds 1 to version and moves updated_at, whatever the statement says', async ({ table, id }) => {
    const read = `select version, updated_at from ${table} where id = $1`;
    const { rows: [before] } = await context.db.query<{ version: number; updated_at: Date }>(read, [id]);
    const { rows: [after] } = await context.db.transaction((tx) =>
      tx.query<{ version: number; updated_at: Date }>(
        `update ${table} set version = 100, updated_at = '2000-01-01' where id = $1 returning version, updated_at`,
        [id],
      ),
    );
    expect(after?.version).toBe((before?.version ?? 0) + 1);
    expect(after?.updated_at.getTime()).toBeGreaterThan(before?.updated_at.getTime() ?? Infinity);
  });
});

describe('the CHECK constraints of the tables every enrollment writes', () => {
  // Each writing statement reads its table's CHECKs back from their stored text and prepares them again
  // (decision 0101): a list of values is one array constant there, not an array built from one constant each.
  it('hold their lists of values as array constants', async () => {
    const { rows } = await context.db.query<{ name: string }>(
      `select conname as name from pg_constraint
        where contype = 'c' and conrelid = any ('{training_sessions,session_enrollments,audit_log,change_log,domain_events}'::regclass[])
          and conbin like '%{ARRAYEXPR %'
        order by 1`,
    );
    expect(rows.map((row) => row.name)).toEqual([]);
  });
});

describe('the CHECK constraints written shorter (decision 0107)', () => {
  // Every combination of the columns' telling values (NULL among them), and the condition the constraint
  // had before: the table's constraint now refuses (is false on) exactly the rows that one refused. The
  // log's values are judged with the operation's own check, which refuses any other operation first (the
  // operation is NOT NULL).
  const scores = `unnest('{NULL,-1,-0.01,0,0.01,50,99.99,100,100.01,101,NaN}'::numeric[])`;
  const cases = [
    { constraint: 'session_enrollments_assessment_score_check', grid: `${scores} as g (assessment_score)`, before: 'assessment_score BETWEEN 0 AND 100' },
    { constraint: 'session_enrollments_practical_score_check', grid: `${scores} as g (practical_score)`, before: 'practical_score BETWEEN 0 AND 100' },
    { constraint: 'session_enrollments_written_score_check', grid: `${scores} as g (written_score)`, before: 'written_score BETWEEN 0 AND 100' },
    {
      constraint: 'session_enrollments_waitlist_check',
      grid: `unnest('{NULL,ENROLLED,WAITLISTED,CANCELLED}'::text[]) as s (status), unnest('{NULL,-1,0,1,2}'::integer[]) as p (waitlist_position)`,
      before: `(status = 'WAITLISTED' AND waitlist_position IS NOT NULL AND waitlist_position >= 1)
               OR (status <> 'WAITLISTED' AND waitlist_position IS NULL)`,
    },
    {
      constraint: 'audit_log_values_check',
      grid: `unnest('{INSERT,UPDATE,DELETE,UPSERT}'::text[]) as o (operation), unnest('{NULL,"{}"}'::jsonb[]) as ov (old_values),
             unnest('{NULL,"{}"}'::jsonb[]) as nv (new_values)`,
      before: `((operation = 'INSERT' AND old_values IS NULL AND new_values IS NOT NULL)
                OR (operation = 'UPDATE' AND old_values IS NOT NULL AND new_values IS NOT NULL)
                OR (operation = 'DELETE' AND old_values IS NOT NULL AND new_values IS NULL))`,
      alongside: 'audit_log_operation_check',
    },
  ];

  it.each(cases)('$constraint refuses exactly the rows its former condition refused', async ({ constraint, grid, before, alongside }) => {
    const definition = async (name: string) => {
      const { rows: [row] } = await context.db.query<{ condition: string }>(
        `select substring(pg_get_constraintdef(oid) from '^CHECK \\((.*)\\)$') as condition from pg_constraint where conname = $1 and contype = 'c'`,
        [name],
      );
      expect(row?.condition, name).toBeTruthy();
      return row?.condition as string;
    };
    const now = await definition(constraint);
    const also = alongside ? `coalesce((${await definition(alongside)}), true) and ` : '';
    const { rows } = await context.db.query<Record<string, unknown>>(
      `select * from ${grid} where (${also}coalesce((${now}), true)) is distinct from (${also}coalesce((${before}), true))`,
    );
    expect(rows).toEqual([]);
  });
});

describe('coverage of the rules', () => {
  it('every CHECK constraint of the schema has a case above', async () => {
    const { rows } = await context.db.query<{ name: string }>(
      `select conname as name from pg_constraint where contype = 'c' and connamespace = 'public'::regnamespace order by 1`,
    );
    const covered = new Set(cases.map((c) => c.constraint));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.name).filter((name) => !covered.has(name))).toEqual([]);
  });

  it('every unique constraint and unique index of a table has a case above, or a reason why not', async () => {
    const { rows } = await context.db.query<{ name: string }>(`
      select conname as name from pg_constraint where contype = 'u' and connamespace = 'public'::regnamespace
      union
      select i.relname from pg_index x
        join pg_class i on i.oid = x.indexrelid
        join pg_class t on t.oid = x.indrelid
       where t.relnamespace = 'public'::regnamespace and t.relkind = 'r' and x.indisunique and not x.indisprimary
       order by 1`);
    const covered = new Set(cases.map((c) => c.constraint));
    expect(rows.map((row) => row.name).filter((name) => !covered.has(name) && !(name in uniqueWithoutCase))).toEqual([]);
  });

  it('no request in this file was answered with a 5xx', () => {
    expect(statuses.length).toBeGreaterThan(cases.length);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
  });
});
