import type { Tx } from '../../platform/db/database.js';

export type EnrollmentStatus = 'ENROLLED' | 'WAITLISTED' | 'CANCELLED';
export type AttendanceStatus = 'REGISTERED' | 'ATTENDED' | 'ABSENT' | 'PARTIAL';
export type CompletionStatus = 'NOT_STARTED' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface EnrollmentRow {
  id: string;
  session_id: string;
  student_id: string | null;
  student_profile_id: string | null;
  status: EnrollmentStatus;
  waitlist_position: number | null;
  /** Set while a WAITLISTED enrollment holds an offer of a seat: until then it may accept it (migration 0044). */
  offer_expires_at: Date | null;
  enrollment_date: Date;
  attendance_status: AttendanceStatus;
  completion_status: CompletionStatus;
  assessment_score: number | null;
  practical_score: number | null;
  written_score: number | null;
  completed_at: Date | null;
  enrolled_by: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface SessionCapacityRow {
  id: string;
  max_capacity: number;
  current_enrollment: number;
  waitlisted: number;
  version: number;
}

/** Every column an enrollment shows (the matrix hides none of session_enrollments). */
export const enrollmentColumnNames = [
  'id', 'session_id', 'student_id', 'student_profile_id', 'status', 'waitlist_position', 'offer_expires_at', 'enrollment_date',
  'attendance_status', 'completion_status', 'assessment_score', 'practical_score', 'written_score', 'completed_at',
  'enrolled_by', 'created_at', 'updated_at', 'version',
] as const;
const enrollmentColumns = enrollmentColumnNames.join(', ');

/** Profile id → "first last", for the profiles among `ids` this actor may see (the `_visible` view, under row-level security). */
export async function selectStudentProfileNames(tx: Tx, ids: string[]): Promise<Map<string, string>> {
  const { rows } = await tx.query<{ id: string; name: string }>(
    "select id, first_name || ' ' || last_name as name from student_enrollment_profiles_visible where id = any($1::uuid[])",
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row.name]));
}

export type EnrollOutcome =
  | { outcome: 'ENROLLED' | 'WAITLISTED' | 'ALREADY_ENROLLED'; enrollment_id: string; overlapping_session_ids: null }
  | { outcome: 'OVERLAPPING'; enrollment_id: null; overlapping_session_ids: string[] };

/** The enrollment's columns on the read-back's side of `callEnrollStudent`, written once. */
const enrollmentAsSeenColumns = enrollmentColumnNames.map((name) => `e.${name}`).join(', ');

/**
 * Seats and waitlist go through the SQL functions (`enroll_student` …): they check the caller first.
 * Unless `allowOverlap`, a student holding a seat or waitlist place in a session at an overlapping time
 * comes back OVERLAPPING with those sessions (checked under a lock per student: migration 0043).
 * `enrollment` is the enrollment it names as the caller sees it (row-level security), read in the same
 * statement (`session_enrollment_as_seen`, decision 0069); null when there is none or the caller may not see it.
 */
export async function callEnrollStudent(
  tx: Tx,
  sessionId: string,
  student: { studentId: string | null; studentProfileId: string | null },
  allowOverlap: boolean,
): Promise<EnrollOutcome & { enrollment: EnrollmentRow | null }> {
  const { rows } = await tx.query<EnrollOutcome & Nullable<EnrollmentRow>>(
    `select r.outcome, r.enrollment_id, r.overlapping_session_ids, ${enrollmentAsSeenColumns}
       from enroll_student($1, $2, $3, $4) r left join lateral session_enrollment_as_seen(r.enrollment_id) e on true`,
    [sessionId, student.studentId, student.studentProfileId, allowOverlap],
  );
  const { outcome, enrollment_id, overlapping_session_ids, ...enrollment } = rows[0] as EnrollOutcome & Nullable<EnrollmentRow>;
  return { ...({ outcome, enrollment_id, overlapping_session_ids } as EnrollOutcome), enrollment: enrollment.id === null ? null : (enrollment as EnrollmentRow) };
}

/** A row of a left join's nullable side. */
type Nullable<T> = { [K in keyof T]: T[K] | null };

/** `at`: the clock an offer of the freed seat is timed by (migration 0044). */
export async function callCancelEnrollment(tx: Tx, enrollmentId: string, at: Date): Promise<void> {
  await tx.query('select outcome, promoted from cancel_enrollment($1, $2)', [enrollmentId, at]);
}

export type OfferAnswer = 'ACCEPTED' | 'DECLINED' | 'EXPIRED' | 'NO_OFFER';

/** Accepts or declines an open waitlist offer, its deadline judged against `at` (answer_waitlist_offer, migration 0044). */
export async function answerWaitlistOffer(tx: Tx, enrollmentId: string, accept: boolean, at: Date): Promise<OfferAnswer> {
  const { rows } = await tx.query<{ outcome: OfferAnswer }>('select outcome from answer_waitlist_offer($1, $2, $3)', [enrollmentId, accept, at]);
  return rows[0]!.outcome;
}

/** Withdraws up to `batch` offers past their deadline at `at`, passing each seat on; as the owner (the job). */
export async function expireWaitlistOffers(tx: Tx, at: Date, batch: number): Promise<number> {
  const { rows } = await tx.query<{ expired: number }>('select expire_waitlist_offers($1, $2) as expired', [at, batch]);
  return rows[0]!.expired;
}

/** Sets the session's own offer hours (null: as its course says); the function checks the caller is staff of the session. */
export async function callSetSessionWaitlistOffers(tx: Tx, sessionId: string, hours: number | null): Promise<WaitlistOfferSetting> {
  const { rows } = await tx.query<WaitlistOfferSetting>('select id, offer_hours, effective_offer_hours from set_session_waitlist_offers($1, $2)', [sessionId, hours]);
  return rows[0]!;
}

/** As the caller: the courses update policy (administrators) decides; false when no row changed. */
export async function updateCourseWaitlistOffers(tx: Tx, courseId: string, hours: number | null): Promise<boolean> {
  const { rowCount } = await tx.query('update courses set waitlist_offer_hours = $2 where id = $1', [courseId, hours]);
  return rowCount === 1;
}

export interface WaitlistOfferSetting {
  id: string;
  offer_hours: number | null;
  /** What applies: the session's hours, else its course's; 0 when seats are assigned at once. */
  effective_offer_hours: number;
}

export async function selectCourseWaitlistOffers(tx: Tx, courseId: string): Promise<WaitlistOfferSetting | null> {
  const { rows } = await tx.query<WaitlistOfferSetting>(
    'select id, waitlist_offer_hours as offer_hours, coalesce(waitlist_offer_hours, 0) as effective_offer_hours from courses where id = $1',
    [courseId],
  );
  return rows[0] ?? null;
}

/**
 * Locks what a cancellation changes, in its order (the session, then the enrollment), and returns the
 * enrollment's version; null when the caller may not cancel it (cancelling then says why).
 */
export async function lockEnrollmentForCancel(tx: Tx, enrollmentId: string): Promise<number | null> {
  const { rows: [locked] } = await tx.query<{ version: number | null }>('select lock_enrollment_for_cancel($1) as version', [enrollmentId]);
  return locked?.version ?? null;
}

/** Locks the session for a capacity change and returns its version; null when the caller may not change it. */
export async function lockSessionForCapacity(tx: Tx, sessionId: string): Promise<number | null> {
  const { rows: [locked] } = await tx.query<{ version: number | null }>('select lock_session_for_capacity($1) as version', [sessionId]);
  return locked?.version ?? null;
}

export async function callSetSessionCapacity(tx: Tx, sessionId: string, capacity: number, at: Date): Promise<number> {
  const { rows } = await tx.query<{ promoted: number }>('select promoted from set_session_capacity($1, $2, $3)', [sessionId, capacity, at]);
  return rows[0]?.promoted ?? 0;
}

/** Read as the caller: row-level security decides whether they see it. */
export async function selectEnrollment(tx: Tx, id: string): Promise<EnrollmentRow | null> {
  const { rows } = await tx.query<EnrollmentRow>(`select ${enrollmentColumns} from session_enrollments where id = $1`, [id]);
  return rows[0] ?? null;
}

export async function selectSessionCapacity(tx: Tx, sessionId: string): Promise<SessionCapacityRow | null> {
  const { rows } = await tx.query<SessionCapacityRow>(
    `select s.id, s.max_capacity, s.current_enrollment, s.version,
            (select count(*)::integer from session_enrollments e where e.session_id = s.id and e.status = 'WAITLISTED') as waitlisted
       from training_sessions s where s.id = $1`,
    [sessionId],
  );
  return rows[0] ?? null;
}

/** Whether the session exists for the caller (training_sessions' row-level security decides). */
export async function sessionIsVisible(tx: Tx, sessionId: string): Promise<boolean> {
  const { rows } = await tx.query('select 1 from training_sessions where id = $1', [sessionId]);
  return rows.length === 1;
}

/**
 * Holds the session FOR SHARE before its enrollments are locked (the order of migration 0012) and
 * returns its status; null when the caller does not see it.
 */
export async function lockSessionForResults(tx: Tx, sessionId: string): Promise<string | null> {
  const { rows: [session] } = await tx.query<{ status: string | null }>('select lock_session_for_results($1) as status', [sessionId]);
  return session?.status ?? null;
}

/** One student of a batch, as `enroll_students` (migration 0016) takes it; `ord` comes back with its result. */
export type BatchStudent =
  | { ord: number; student_id: string }
  | { ord: number; email_hmac: string; email_ciphertext: string; first_name: string | null; last_name: string | null; company: string | null };

export interface BatchStudentResult {
  ord: number;
  outcome: 'ENROLLED' | 'WAITLISTED' | 'ALREADY_ENROLLED' | 'INVALID';
  enrollment_id: string | null;
  waitlist_position: number | null;
  student_id: string | null;
  student_profile_id: string | null;
  duplicate_of: number | null;
  reason: string | null;
  profile_created: boolean;
}

/** The whole batch in one call: one set-based function, however many students (migration 0016). */
export async function enrollStudents(tx: Tx, sessionId: string, students: BatchStudent[]): Promise<BatchStudentResult[]> {
  const { rows } = await tx.query<BatchStudentResult>(
    `select ord, outcome, enrollment_id, waitlist_position, student_id, student_profile_id, duplicate_of, reason, profile_created
       from enroll_students($1, $2::jsonb)`,
    [sessionId, JSON.stringify(students)],
  );
  return rows;
}

/** The enrollments with these ids that the caller sees (in one session, when given). */
export async function selectEnrollments(tx: Tx, ids: readonly string[], sessionId: string | null): Promise<EnrollmentRow[]> {
  const { rows } = await tx.query<EnrollmentRow>(
    `select ${enrollmentColumns} from session_enrollments where id = any($1::uuid[]) and ($2::uuid is null or session_id = $2)`,
    [ids, sessionId],
  );
  return rows;
}

/**
 * Locks the rows the caller may change, in id order: two requests changing overlapping sets of
 * enrollments then queue instead of deadlocking (an UPDATE alone locks in whatever order its plan reads).
 */
export async function lockEnrollments(tx: Tx, ids: readonly string[]): Promise<void> {
  await tx.query('select id from session_enrollments where id = any($1::uuid[]) order by id for update', [ids]);
}

/** One change of results: the enrollment, the version the client read, and the fields it sends (null clears a score). */
export interface ResultChange {
  enrollment_id: string;
  version: number;
  attendance_status?: AttendanceStatus;
  assessment_score?: number | null;
  practical_score?: number | null;
  written_score?: number | null;
  completion_status?: CompletionStatus;
}

/**
 * Applies every change whose version still matches, in one statement and as the caller: the update
 * policies choose the rows, the column guard of 0009 refuses a student anything but cancelling.
 * A field absent from a change keeps its value; completed_at follows completion_status (set when it
 * becomes COMPLETED or FAILED, kept while it stays, cleared otherwise). Returns the changed rows.
 */
export async function updateResults(tx: Tx, changes: readonly ResultChange[], sessionId: string | null): Promise<EnrollmentRow[]> {
  const score = (field: string) => `${field} = case when c.change ? '${field}' then (c.change->>'${field}')::numeric else e.${field} end`;
  const completion = `coalesce(c.change->>'completion_status', e.completion_status)`;
  const { rows } = await tx.query<EnrollmentRow>(
    `update session_enrollments e
        set attendance_status = coalesce(c.change->>'attendance_status', e.attendance_status),
            ${score('assessment_score')}, ${score('practical_score')}, ${score('written_score')},
            completion_status = ${completion},
            completed_at = case when ${completion} not in ('COMPLETED', 'FAILED') then null
                                when ${completion} = e.completion_status then e.completed_at
                                else now() end
       from jsonb_array_elements($1::jsonb) as c(change)
      where e.id = (c.change->>'enrollment_id')::uuid and e.version = (c.change->>'version')::integer
        and ($2::uuid is null or e.session_id = $2)
      returning ${enrollmentColumnNames.map((column) => `e.${column}`).join(', ')}`,
    [JSON.stringify(changes), sessionId],
  );
  return rows;
}

/** `enrollment.completed` for each of these enrollments, with what a certificate or compliance check needs. */
export async function appendCompletionEvents(tx: Tx, enrollmentIds: readonly string[]): Promise<void> {
  if (enrollmentIds.length === 0) return;
  await tx.query(
    `select append_domain_event('enrollment', e.id, e.version, 'enrollment.completed',
              jsonb_build_object('session_id', e.session_id, 'course_id', s.course_id, 'student_id', e.student_id,
                                 'student_profile_id', e.student_profile_id, 'attendance_status', e.attendance_status,
                                 'assessment_score', e.assessment_score, 'practical_score', e.practical_score,
                                 'written_score', e.written_score, 'completed_at', e.completed_at))
       from session_enrollments e left join training_sessions s on s.id = e.session_id
      where e.id = any($1::uuid[])
      order by e.id`,
    [enrollmentIds],
  );
}
