import { allows } from './access-matrix.js';
import { isIn, type DomainTable, type Row, type Scope } from './access-matrix.model.js';

/**
 * The workflow operations: the SECURITY DEFINER functions the API calls for enrolling, cancelling,
 * capacity, batches, results, rosters, the calendar and the catalogue. They act as the owner after
 * checking the caller themselves, so row-level security does not decide who may call them: these
 * rules do, and src/platform/security/access-matrix.workflows.test.ts calls every function as every fixture
 * actor on every row it names and compares the answer with them.
 *
 * Answers: `permitted` (the checks let the caller through; the row's state may still refuse, 409),
 * `forbidden` (42501, 403: the caller sees the row but may not do this), `not_found` (UT404 or no
 * row, 404: the caller may not see the row, which reads as missing).
 */
export type WorkflowAnswer = 'permitted' | 'forbidden' | 'not_found';

export interface WorkflowAccess {
  /** The SQL function, and a variant where one function serves two operations. */
  id: string;
  /** The API routes that call it. */
  routes: readonly string[];
  /** The table of the row the operation names. */
  subject: DomainTable;
  words: string;
  answer: (row: Row, scope: Scope) => WorkflowAnswer;
  /**
   * The call, for the tests: `:subject` the subject row's id, `:actor` the actor's user id (a fresh id
   * when signed out), `:profile` a student profile, `:code` the subject certificate's verification code. It returns a row whose `answered` is not null, or
   * nothing (no row, or a null) when the function answered "no such row".
   */
  call: string;
}

const isAdmin = (scope: Scope) => scope.actor.role === 'SA' || scope.actor.role === 'AD';
const isInstructor = (scope: Scope) => scope.actor.role === 'IC' || scope.actor.role === 'IP';
const signedIn = (scope: Scope) => scope.actor.userId !== null && scope.actor.role !== 'ANON';

const seesSession = (session: Row, scope: Scope) => allows('training_sessions', 'select', scope.actor, session, scope.world.snapshot);

/** Staff of a session: SA, AD, the AP of its location, its IC or IP instructor (app_is_session_staff). */
const isSessionStaff = (session: Row, scope: Scope) =>
  isAdmin(scope) || (scope.actor.role === 'AP' && isIn(scope.locations, session['location_id'])) || (isInstructor(scope) && scope.isMe(session['instructor_id']));

/** 404 unless the caller sees the session, 403 unless `may`. */
const onSession = (may: (session: Row, scope: Scope) => boolean) => (session: Row, scope: Scope): WorkflowAnswer =>
  !signedIn(scope) || !seesSession(session, scope) ? 'not_found' : may(session, scope) ? 'permitted' : 'forbidden';

const sessionStaffOnly = onSession(isSessionStaff);

/** An enrollment: its student or the staff of its session; anyone else reads it as missing. */
const onEnrollment = (enrollment: Row, scope: Scope): WorkflowAnswer => {
  const session = scope.world.byId('training_sessions', enrollment['session_id']);
  return signedIn(scope) && (scope.isMe(enrollment['student_id']) || (session !== undefined && isSessionStaff(session, scope))) ? 'permitted' : 'not_found';
};

/** A roster's members: 404 unless the caller sees the roster, 403 unless they may change its members. */
const onRosterMembers = (roster: Row, scope: Scope): WorkflowAnswer => {
  if (!allows('rosters', 'select', scope.actor, roster, scope.world.snapshot)) return 'not_found';
  const may = isAdmin(scope) || (scope.actor.role === 'AP' && scope.providerHasRoster(roster['id'])) || (isInstructor(scope) && isIn(scope.ownRosters, roster['id']));
  return may ? 'permitted' : 'forbidden';
};

/** A source of a certificate: 404 unless the caller sees it, 403 unless they are its staff (certificate_source_facts). */
const onEnrollmentSource = (enrollment: Row, scope: Scope): WorkflowAnswer => {
  const session = scope.world.byId('training_sessions', enrollment['session_id']);
  return session === undefined ? 'not_found' : onSession(isSessionStaff)(session, scope);
};
const onRosterLineSource = (line: Row, scope: Scope): WorkflowAnswer => {
  const roster = scope.world.byId('rosters', line['roster_id']);
  return roster === undefined ? 'not_found' : onRosterMembers(roster, scope);
};

/** A source's live (not revoked) certificate, whoever asks: the answer depends on the row only. */
const hasLiveCertificate = (column: 'enrollment_id' | 'roster_member_id') => (source: Row, scope: Scope): WorkflowAnswer =>
  scope.world.snapshot.certificates.some((certificate) => certificate[column] === source['id'] && certificate['status'] !== 'REVOKED') ? 'permitted' : 'not_found';

const sessionRoutes = (...paths: string[]) => paths.map((path) => `/v1/sessions/:id${path}`);

export const workflowAccess: readonly WorkflowAccess[] = [
  {
    id: 'enroll_student (themselves)',
    routes: sessionRoutes('/enrollments'),
    subject: 'training_sessions',
    words: 'the staff of the session, and anyone signed in who sees a SCHEDULED session that allows self-enrollment',
    answer: onSession((session, scope) => isSessionStaff(session, scope) || (session['status'] === 'SCHEDULED' && session['self_enrollment_allowed'] === true)),
    call: 'select enrollment_id as answered from enroll_student(:subject, :actor, null)',
  },
  {
    id: 'enroll_student (someone else)',
    routes: sessionRoutes('/enrollments'),
    subject: 'training_sessions',
    words: 'the staff of the session',
    answer: sessionStaffOnly,
    call: 'select enrollment_id as answered from enroll_student(:subject, null, :profile)',
  },
  {
    id: 'enroll_students',
    routes: sessionRoutes('/enrollments/batch', '/enrollments/import'),
    subject: 'training_sessions',
    words: 'the staff of the session',
    answer: sessionStaffOnly,
    call: `select 1 as answered from (select count(*) from enroll_students(:subject, '[]'::jsonb)) batch`,
  },
  {
    id: 'cancel_enrollment',
    routes: ['/v1/enrollments/:id/cancel'],
    subject: 'session_enrollments',
    words: 'the enrollment’s student, and the staff of its session',
    answer: onEnrollment,
    call: 'select outcome as answered from cancel_enrollment(:subject)',
  },
  {
    id: 'answer_waitlist_offer',
    routes: ['/v1/enrollments/:id/offer/accept', '/v1/enrollments/:id/offer/decline'],
    subject: 'session_enrollments',
    words: 'the enrollment’s student, and the staff of its session',
    answer: onEnrollment,
    call: 'select outcome as answered from answer_waitlist_offer(:subject, true, now())',
  },
  {
    id: 'lock_enrollment_for_cancel',
    routes: ['/v1/enrollments/:id/cancel'],
    subject: 'session_enrollments',
    words: 'the enrollment’s student, and the staff of its session',
    answer: onEnrollment,
    call: 'select lock_enrollment_for_cancel(:subject) as answered',
  },
  {
    id: 'set_session_capacity',
    routes: sessionRoutes('/capacity'),
    subject: 'training_sessions',
    words: 'the staff of the session',
    answer: sessionStaffOnly,
    call: 'select promoted as answered from set_session_capacity(:subject, 50)',
  },
  {
    id: 'set_session_waitlist_offers',
    routes: sessionRoutes('/waitlist-offers'),
    subject: 'training_sessions',
    words: 'the staff of the session',
    answer: sessionStaffOnly,
    call: 'select id as answered from set_session_waitlist_offers(:subject, 24)',
  },
  {
    id: 'lock_session_for_capacity',
    routes: sessionRoutes('/capacity'),
    subject: 'training_sessions',
    words: 'the staff of the session (anyone else: no such session, and the capacity change then says why)',
    answer: (session, scope) => (sessionStaffOnly(session, scope) === 'permitted' ? 'permitted' : 'not_found'),
    call: 'select lock_session_for_capacity(:subject) as answered',
  },
  {
    id: 'cancel_session',
    routes: sessionRoutes('/cancel'),
    subject: 'training_sessions',
    words: 'the staff of the session',
    answer: sessionStaffOnly,
    call: `select cancel_session(:subject, 'probe') as answered`,
  },
  {
    id: 'lock_session_for_results',
    routes: sessionRoutes('/results'),
    subject: 'training_sessions',
    words: 'anyone who sees the session (whose results they may then change is the enrollments’ update rules)',
    answer: onSession(() => true),
    call: 'select lock_session_for_results(:subject) as answered',
  },
  {
    id: 'create_roster_from_session',
    routes: ['/v1/rosters/from-session'],
    subject: 'training_sessions',
    words: 'the staff of the session',
    answer: sessionStaffOnly,
    call: 'select create_roster_from_session(:subject, null, null) as answered',
  },
  {
    id: 'lock_roster_for_member_changes',
    routes: ['/v1/rosters/:id/members', '/v1/roster-members/:id'],
    subject: 'rosters',
    words: 'who may change the roster’s members: SA, AD, the AP of its location, its IC or IP instructor',
    answer: onRosterMembers,
    call: 'select lock_roster_for_member_changes(:subject) is null as answered',
  },
  {
    id: 'roster_student_profiles',
    routes: ['/v1/rosters/:id/members', '/v1/rosters/:id/members/import'],
    subject: 'rosters',
    words: 'who may change the roster’s members',
    answer: onRosterMembers,
    call: `select 1 as answered from (select count(*) from roster_student_profiles(:subject, '[]'::jsonb)) found`,
  },
  {
    id: 'calendar_entries',
    routes: ['/v1/calendar'],
    subject: 'training_sessions',
    words: 'the sessions the caller sees (the select rules of training_sessions)',
    answer: onSession(() => true),
    call: 'select id as answered from calendar_entries(array[:subject::uuid])',
  },
  {
    id: 'course_as_published',
    routes: ['/v1/courses', '/v1/courses/:id', '/v1/catalogue'],
    subject: 'courses',
    words: 'the courses the caller sees (the select rules of courses), as last published',
    answer: (course, scope) => (allows('courses', 'select', scope.actor, course, scope.world.snapshot) ? 'permitted' : 'not_found'),
    call: 'select (course_as_published(:subject)).id as answered',
  },
  {
    id: 'certificate_source_facts (an enrollment)',
    routes: ['/v1/certificates'],
    subject: 'session_enrollments',
    words: 'the staff of the enrollment’s session (anyone else who sees the session: 403)',
    answer: onEnrollmentSource,
    call: 'select certificate_source_facts(:subject, null) as answered',
  },
  {
    id: 'certificate_source_facts (a roster line)',
    routes: ['/v1/certificates'],
    subject: 'student_roster_members',
    words: 'who may change the roster’s members (anyone else who sees the roster: 403)',
    answer: onRosterLineSource,
    call: 'select certificate_source_facts(null, :subject) as answered',
  },
  {
    id: 'certificate_template_version_for_course',
    routes: ['/v1/certificates', '/v1/certificate-batches'],
    subject: 'courses',
    words: 'anyone signed in: only issuing calls it, after certificate_source_facts or the batch’s insert policies checked the caller; it names the template version the course prints with (the built-in one by default)',
    answer: (_course, scope) => (scope.actor.userId === null ? 'not_found' : 'permitted'),
    call: 'select (certificate_template_version_for_course(:subject)).id as answered',
  },
  {
    id: 'live_certificate_of (an enrollment)',
    routes: ['/v1/certificates'],
    subject: 'session_enrollments',
    words: 'anyone: only the issue calls it, after certificate_source_facts checked the caller; it names the source’s live certificate',
    answer: hasLiveCertificate('enrollment_id'),
    call: 'select live_certificate_of(:subject, null) as answered',
  },
  {
    id: 'live_certificate_of (a roster line)',
    routes: ['/v1/certificates'],
    subject: 'student_roster_members',
    words: 'anyone: only the issue calls it, after certificate_source_facts checked the caller; it names the source’s live certificate',
    answer: hasLiveCertificate('roster_member_id'),
    call: 'select live_certificate_of(null, :subject) as answered',
  },
  {
    id: 'verify_certificate',
    routes: [],
    subject: 'certificates',
    words: 'anyone, signed in or not: public verification by the code printed on the certificate',
    answer: () => 'permitted',
    call: 'select id as answered from verify_certificate(:code, false)',
  },
  {
    id: 'verify_certificate_public',
    routes: ['/v1/verify/:code', '/verify/:code'],
    subject: 'certificates',
    words: 'anyone, signed in or not: the public facts of a certificate by its code, uncounted (a verification new to the cache, decision 0064)',
    answer: () => 'permitted',
    call: "select id as answered from verify_certificate_public(array[:code], (now() at time zone 'UTC')::date)",
  },
  {
    id: 'app_recompute_compliance_scores',
    routes: ['/v1/compliance/records', '/v1/compliance/requirements', '/v1/compliance/requirements/:id', '/v1/compliance/tier-changes/:id/confirm'],
    subject: 'users',
    words: 'SA and AD, in the transaction of their compliance write: recomputes the named people’s scores as the owner (decision 0045)',
    answer: (_user, scope) => (isAdmin(scope) ? 'permitted' : 'forbidden'),
    call: 'select app_recompute_compliance_scores(array[:subject]::uuid[], now()) as answered',
  },
];
