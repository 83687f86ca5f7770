import { isIn, roleGroups as roles, tableAccess, type RuleSpec, type TableAccess } from './access-matrix.model.js';

/** Access to the catalogue, schedules, sessions, enrollments and rosters. */

const admins = (words = 'every row'): RuleSpec => ({ name: 'admin', roles: roles.admins, words });

const ownLocations = (words: string): RuleSpec => ({
  name: 'own_locations',
  roles: roles.ap,
  words,
  allows: (row, scope) => isIn(scope.locations, row['location_id']),
});

const providerSessions: RuleSpec = {
  name: 'provider_sessions',
  roles: roles.ap,
  words: 'in sessions at own locations',
  allows: (row, scope) => scope.providerHasSession(row['session_id']),
};

const taughtEnrollments: RuleSpec = {
  name: 'taught',
  roles: roles.instructors,
  words: 'in taught sessions',
  allows: (row, scope) => isIn(scope.taughtSessions, row['session_id']),
};

const ownRosters: RuleSpec = {
  name: 'own_rosters',
  roles: roles.instructors,
  words: 'on rosters they instruct',
  allows: (row, scope) => isIn(scope.ownRosters, row['roster_id']),
};

const providerRosters: RuleSpec = {
  name: 'provider_rosters',
  roles: roles.ap,
  words: 'on rosters at own locations',
  allows: (row, scope) => scope.providerHasRoster(row['roster_id']),
};

const studentProfilesOfOwnProviders: RuleSpec = {
  name: 'own_providers',
  roles: roles.ap,
  words: 'profiles of own providers',
  allows: (row, scope) => isIn(scope.providers, row['provider_id']),
};

export const trainingAccess: TableAccess[] = [
  tableAccess('courses', {
    select: [
      admins(),
      { name: 'catalogue', roles: roles.nonAdmins, words: 'courses that are not DRAFT', allows: (row) => row['status'] !== 'DRAFT' },
      { name: 'published', roles: roles.anon, words: 'PUBLISHED courses', allows: (row) => row['status'] === 'PUBLISHED' },
    ],
    insert: [admins()],
    update: [admins()],
    delete: [admins()],
  }),

  tableAccess('course_versions', {
    select: [
      admins(),
      {
        name: 'published',
        roles: [...roles.nonAdmins, 'ANON'],
        words: 'versions of PUBLISHED courses',
        allows: (row, scope) => isIn(scope.publishedCourses, row['course_id']),
      },
    ],
    insert: [admins()],
  }),

  tableAccess('course_schedules', {
    select: [
      admins(),
      ownLocations('schedules at own locations'),
      { name: 'instructor', roles: roles.instructors, words: 'schedules they teach', allows: (row, scope) => scope.isMe(row['instructor_id']) },
    ],
    insert: [admins(), ownLocations('schedules at own locations')],
    update: [admins(), ownLocations('schedules at own locations')],
    delete: [admins(), ownLocations('schedules at own locations')],
  }),

  tableAccess('training_sessions', {
    select: [
      admins(),
      ownLocations('sessions at own locations'),
      { name: 'taught', roles: roles.instructors, words: 'taught sessions', allows: (row, scope) => scope.isMe(row['instructor_id']) },
      { name: 'enrolled', roles: roles.signedIn, words: 'enrolled sessions', allows: (row, scope) => isIn(scope.enrolledSessions, row['id']) },
      {
        name: 'open_for_enrollment',
        roles: roles.signedIn,
        words: 'SCHEDULED sessions that allow self-enrollment',
        allows: (row) => row['status'] === 'SCHEDULED' && row['self_enrollment_allowed'] === true,
      },
    ],
    insert: [admins(), ownLocations('sessions at own locations')],
    update: [
      admins(),
      ownLocations('sessions at own locations'),
      { name: 'taught', roles: roles.instructors, words: 'taught sessions', allows: (row, scope) => scope.isMe(row['instructor_id']) },
    ],
    delete: [admins()],
  }),

  tableAccess('student_enrollment_profiles', {
    select: [
      admins(),
      {
        name: 'provider_scope',
        roles: roles.ap,
        words: 'profiles of own providers; students enrolled in sessions or listed on rosters at own locations',
        allows: (row, scope) => scope.providerSeesStudentProfile(row['id']),
      },
      {
        name: 'instructed_students',
        roles: roles.instructors,
        words: 'students enrolled in taught sessions or listed on rosters they instruct',
        allows: (row, scope) => scope.instructorSeesStudentProfile(row['id']),
      },
    ],
    insert: [admins(), studentProfilesOfOwnProviders],
    update: [admins(), studentProfilesOfOwnProviders],
    delete: [admins()],
  }),

  tableAccess('session_enrollments', {
    select: [
      admins(),
      providerSessions,
      taughtEnrollments,
      { name: 'self', roles: roles.signedIn, words: 'own enrollments', allows: (row, scope) => scope.isMe(row['student_id']) },
    ],
    insert: [
      admins(),
      providerSessions,
      taughtEnrollments,
      {
        name: 'self_enrollment',
        roles: roles.signedIn,
        words: 'themselves, in a SCHEDULED session that allows self-enrollment',
        allows: (row, scope) => scope.isMe(row['student_id']) && scope.sessionOpenForSelfEnrollment(row['session_id']),
      },
    ],
    update: [
      admins(),
      providerSessions,
      taughtEnrollments,
      { name: 'self', roles: roles.signedIn, words: 'own enrollments: cancel only', allows: (row, scope) => scope.isMe(row['student_id']) },
    ],
    delete: [admins()],
  }),

  tableAccess('rosters', {
    select: [
      admins(),
      ownLocations('rosters at own locations'),
      {
        name: 'instructed',
        roles: roles.instructors,
        words: 'rosters they instruct, and rosters of taught sessions',
        allows: (row, scope) => isIn(scope.instructedRosters, row['id']),
      },
    ],
    insert: [admins(), ownLocations('rosters at own locations'), { name: 'own', roles: roles.instructors, words: 'rosters they instruct', allows: (row, scope) => scope.isMe(row['instructor_id']) }],
    update: [admins(), ownLocations('rosters at own locations'), { name: 'own', roles: roles.instructors, words: 'rosters they instruct', allows: (row, scope) => scope.isMe(row['instructor_id']) }],
    delete: [admins()],
  }),

  tableAccess('student_roster_members', {
    select: [
      admins(),
      providerRosters,
      {
        name: 'instructed_rosters',
        roles: roles.instructors,
        words: 'on rosters they instruct or of taught sessions',
        allows: (row, scope) => isIn(scope.instructedRosters, row['roster_id']),
      },
      { name: 'self', roles: roles.signedIn, words: 'own roster lines', allows: (row, scope) => scope.isMe(row['student_id']) },
    ],
    insert: [admins(), providerRosters, ownRosters],
    update: [admins(), providerRosters, ownRosters],
    delete: [admins(), providerRosters, ownRosters],
  }),
];
