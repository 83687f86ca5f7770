import { isIn, type DomainTable, type Row, type Scope } from './access-matrix.model.js';

/**
 * Change rules: what a write may set, where the row rules (which rows) cannot say it because the
 * answer depends on what changes. Each is checked on insert, and on an update that changes one of its
 * columns, by a trigger of migration 0028 that refuses with 42501 (403 FORBIDDEN). They come on top
 * of the row rules: a write must pass both. Decision 0023 gives the reasons.
 */
export interface ChangeRule {
  /** `<table>.<name>`, e.g. `training_sessions.placement`. */
  id: string;
  table: DomainTable;
  /** The trigger that implements it (`<table>_guard_<name>`). */
  trigger: string;
  /** The columns it checks. */
  columns: readonly string[];
  words: string;
  /** Whether the actor may give the row the values it has in `columns`, of which `changed` are new. */
  allows: (row: Row, scope: Scope, changed: readonly string[]) => boolean;
}

const isAdmin = (scope: Scope) => scope.actor.role === 'SA' || scope.actor.role === 'AD';
const isInstructor = (scope: Scope) => scope.actor.role === 'IC' || scope.actor.role === 'IP';

/** Where an AP may hold a session or roster: its own locations, for no provider or an own one. */
const apPlaces = (row: Row, scope: Scope) =>
  scope.actor.role === 'AP' && isIn(scope.locations, row['location_id']) && (row['provider_id'] === null || isIn(scope.providers, row['provider_id']));

const placement = (table: 'training_sessions' | 'rosters', words: string, allows: ChangeRule['allows']): ChangeRule => ({
  id: `${table}.placement`,
  table,
  trigger: `${table}_guard_placement`,
  columns: ['location_id', 'provider_id'],
  words,
  allows,
});

const instructorAssignment = (table: DomainTable): ChangeRule => ({
  id: `${table}.instructor`,
  table,
  trigger: `${table}_guard_instructor`,
  columns: ['instructor_id'],
  words: 'SA and AD: anyone; AP: an instructor affiliated with one of its own providers (a member, or affiliated through their instructor profile); IC, IP: themselves',
  allows: (row, scope) =>
    row['instructor_id'] === null ||
    isAdmin(scope) ||
    (scope.actor.role === 'AP' && scope.providerAffiliatesUser(row['instructor_id'])) ||
    (isInstructor(scope) && scope.isMe(row['instructor_id'])),
});

/**
 * Whom a row names as its student (decision 0054): naming someone a student lets the namer see them, so
 * SA and AD name anyone; everyone else themselves, an active trainee (IT, IN: whom their e-mail lookups
 * match), or an account they already see as a student (an AP also the people affiliated with its own providers).
 */
const studentReference = (table: 'session_enrollments' | 'student_roster_members'): ChangeRule => ({
  id: `${table}.student_reference`,
  table,
  trigger: `${table}_guard_student_reference`,
  columns: ['student_id'],
  words: 'SA and AD: anyone; everyone else: themselves, an active trainee (IT, IN), or an account they already see as a student (AP: also the people affiliated with its own providers)',
  allows: (row, scope) =>
    row['student_id'] === null ||
    isAdmin(scope) ||
    scope.isMe(row['student_id']) ||
    scope.isActiveTrainee(row['student_id']) ||
    (scope.actor.role === 'AP' && scope.providerSeesUser(row['student_id'])) ||
    (isInstructor(scope) && scope.instructorSeesUser(row['student_id'])),
});

/** The columns that refer to users, per table: every foreign key to users but auth_sessions (written by the sign-in code only). */
export const userReferences: Readonly<Partial<Record<DomainTable, readonly string[]>>> = {
  profiles: ['user_id', 'supervisor_id'],
  provider_members: ['user_id'],
  instructor_profiles: ['user_id'],
  teams: ['lead_id', 'created_by'],
  team_members: ['user_id'],
  courses: ['created_by', 'modified_by'],
  course_versions: ['published_by'],
  course_schedules: ['instructor_id', 'created_by'],
  training_sessions: ['instructor_id', 'created_by'],
  student_enrollment_profiles: ['created_by'],
  session_enrollments: ['student_id', 'enrolled_by'],
  rosters: ['instructor_id', 'created_by'],
  student_roster_members: ['student_id'],
  certificate_templates: ['created_by'],
  certificate_template_versions: ['published_by'],
  certificate_batches: ['requested_by'],
  certificates: ['user_id', 'issued_by'],
  compliance_records: ['user_id'],
  compliance_tier_changes: ['user_id'],
  notifications: ['user_id'],
  user_activities: ['user_id'],
  calendar_feeds: ['user_id'],
  invitations: ['invited_by', 'accepted_user_id', 'revoked_by'],
};

const saReference = (table: DomainTable, columns: readonly string[]): ChangeRule => ({
  id: `${table}.sa_reference`,
  table,
  trigger: `${table}_guard_sa_reference`,
  columns,
  words: 'only an SA points these at an SA account',
  allows: (row, scope, changed) => scope.actor.role === 'SA' || columns.every((column) => !changed.includes(column) || scope.userRole(row[column]) !== 'SA'),
});

export const changeRules: readonly ChangeRule[] = [
  placement('training_sessions', 'SA and AD: anywhere; AP: its own locations, for no provider or an own one; IC, IP: nowhere else (they create no sessions)', (row, scope) => isAdmin(scope) || apPlaces(row, scope)),
  placement(
    'rosters',
    'SA and AD: anywhere; AP: its own locations, for no provider or an own one; IC, IP: the locations of the provider they are affiliated with, or a location no provider serves, for no provider or that one',
    (row, scope) =>
      isAdmin(scope) ||
      apPlaces(row, scope) ||
      (isInstructor(scope) &&
        (row['provider_id'] === null || (scope.affiliatedProvider !== null && row['provider_id'] === scope.affiliatedProvider)) &&
        (scope.locationServedBy(row['location_id'], scope.affiliatedProvider) || scope.locationServedByNobody(row['location_id']))),
  ),
  instructorAssignment('training_sessions'),
  instructorAssignment('course_schedules'),
  instructorAssignment('rosters'),
  studentReference('session_enrollments'),
  studentReference('student_roster_members'),
  ...Object.entries(userReferences).map(([table, columns]) => saReference(table as DomainTable, columns)),
];

/**
 * Whether the change rules let the actor write `row` (the new row), where `changed` are the columns the
 * write sets to a new value; an insert passes every column.
 */
export function changeAllowed(table: DomainTable, row: Row, changed: readonly string[], scope: Scope): boolean {
  return changeRules
    .filter((rule) => rule.table === table && rule.columns.some((column) => changed.includes(column)))
    .every((rule) => rule.allows(row, scope, changed));
}
