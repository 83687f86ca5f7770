import type { Tx } from '../../db/database.js';

export type EnrollmentStatus = 'ENROLLED' | 'WAITLISTED' | 'CANCELLED';

export interface EnrollmentRow {
  id: string;
  session_id: string;
  student_id: string | null;
  student_profile_id: string | null;
  status: EnrollmentStatus;
  waitlist_position: number | null;
  enrollment_date: Date;
  attendance_status: string;
  completion_status: string;
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

const enrollmentColumns = `id, session_id, student_id, student_profile_id, status, waitlist_position, enrollment_date,
  attendance_status, completion_status, enrolled_by, created_at, updated_at, version`;

/** Seats and waitlist go through the SQL functions of migration 0012; they check the caller first. */
export async function enrollStudent(
  tx: Tx,
  sessionId: string,
  student: { studentId: string | null; studentProfileId: string | null },
): Promise<{ outcome: 'ENROLLED' | 'WAITLISTED' | 'ALREADY_ENROLLED'; enrollment_id: string }> {
  const { rows } = await tx.query<{ outcome: 'ENROLLED' | 'WAITLISTED' | 'ALREADY_ENROLLED'; enrollment_id: string }>(
    'select outcome, enrollment_id from enroll_student($1, $2, $3)',
    [sessionId, student.studentId, student.studentProfileId],
  );
  return rows[0] as { outcome: 'ENROLLED' | 'WAITLISTED' | 'ALREADY_ENROLLED'; enrollment_id: string };
}

export async function cancelEnrollment(tx: Tx, enrollmentId: string): Promise<void> {
  await tx.query('select outcome, promoted from cancel_enrollment($1)', [enrollmentId]);
}

export async function setSessionCapacity(tx: Tx, sessionId: string, capacity: number): Promise<number> {
  const { rows } = await tx.query<{ promoted: number }>('select promoted from set_session_capacity($1, $2)', [sessionId, capacity]);
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
