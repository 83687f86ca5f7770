import type { Actor } from '../../platform/db/actor.js';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import type { FieldCipher } from '../../platform/security/field-cipher.js';
import { type ListQuery, listRows, type Page } from '../../platform/shared/crud/crud.repository.js';
import {
  answerWaitlistOffer,
  callCancelEnrollment,
  callSetSessionWaitlistOffers,
  callEnrollStudent,
  callSetSessionCapacity,
  type EnrollmentRow,
  lockEnrollmentForCancel,
  lockSessionForCapacity,
  selectEnrollment,
  selectCourseWaitlistOffers,
  selectSessionCapacity,
  selectStudentProfileNames,
  updateCourseWaitlistOffers,
  type WaitlistOfferSetting,
  sessionIsVisible,
  type SessionCapacityRow,
} from './enrollments.repository.js';
import { enrollmentsTable } from './enrollments.resource.js';

export interface EnrollmentsDeps {
  db: Db;
  /** For the e-mail blind index and the encrypted e-mail of students enrolled by e-mail. */
  cipher: FieldCipher;
  /** The clock waitlist offers are timed and judged by; tests move it. */
  now: () => Date;
}

export interface EnrollmentTarget {
  studentId?: string | undefined;
  studentProfileId?: string | undefined;
  /** The caller wants the student in overlapping sessions (e.g. a morning module and a full-day one they leave early). */
  allowOverlap?: boolean | undefined;
}

export type SessionCapacity = SessionCapacityRow & { promoted: number };

const notFound = (what: string) => new AppError('NOT_FOUND', `no such ${what}`);

/**
 * Enrolls a student (an account or a profile without one; neither: the caller) in a session: a seat
 * if one is free, otherwise the end of the waitlist. A student already enrolled or waitlisted: 409.
 */
export async function enroll(deps: EnrollmentsDeps, actor: Actor & { userId: string }, sessionId: string, target: EnrollmentTarget): Promise<EnrollmentRow> {
  if (target.studentId !== undefined && target.studentProfileId !== undefined) {
    throw new AppError('VALIDATION_FAILED', 'send student_id or student_profile_id, not both', { field: 'body.student_profile_id' });
  }
  const student = {
    studentId: target.studentProfileId === undefined ? (target.studentId ?? actor.userId) : null,
    studentProfileId: target.studentProfileId ?? null,
  };
  return deps.db.withActor(actor, async (tx) => {
    const result = await callEnrollStudent(tx, sessionId, student, target.allowOverlap === true);
    if (result.outcome === 'OVERLAPPING') {
      throw new AppError('OVERLAPPING_ENROLLMENT', 'the student already holds a seat or waitlist place in a session at an overlapping time; send allow_overlap: true if that is wanted', {
        field: 'body.allow_overlap',
        overlapping_session_ids: result.overlapping_session_ids,
      });
    }
    if (result.outcome === 'ALREADY_ENROLLED') {
      throw new AppError('ALREADY_ENROLLED', 'the student is already enrolled or waitlisted in this session', { enrollment_id: result.enrollment_id });
    }
    if (!result.enrollment) throw notFound('enrollment');
    return result.enrollment;
  });
}

const staleVersion = (what: string, current: { version: number }, sent: number) =>
  new AppError('VERSION_CONFLICT', `the ${what} was changed by someone else (version ${current.version}, you sent ${sent})`, { field: 'body.version', current });

/**
 * Cancels an enrollment; a freed seat goes to (or is offered to) the first waitlisted student; a
 * student cancelling while offered a seat declines it. Cancelling twice changes nothing. With the version the client read, a stale one is 409 with the current enrollment.
 */
export async function cancel(deps: EnrollmentsDeps, actor: Actor, enrollmentId: string, expectedVersion: number | undefined): Promise<EnrollmentRow> {
  return deps.db.withActor(actor, async (tx) => {
    if (expectedVersion !== undefined) {
      const lockedVersion = await lockEnrollmentForCancel(tx, enrollmentId);
      const current = lockedVersion !== null && lockedVersion !== expectedVersion ? await selectEnrollment(tx, enrollmentId) : null;
      if (current) throw staleVersion('enrollment', current, expectedVersion);
    }
    await callCancelEnrollment(tx, enrollmentId, deps.now());
    const enrollment = await selectEnrollment(tx, enrollmentId);
    if (!enrollment) throw notFound('enrollment');
    return enrollment;
  });
}

/**
 * Sets a session's capacity: raising it promotes from the waitlist, lowering it below the enrolled count
 * is 409. With the version the client read, a stale one is 409 with the session's current capacity.
 */
export async function changeCapacity(
  deps: EnrollmentsDeps,
  actor: Actor,
  sessionId: string,
  capacity: number,
  expectedVersion: number | undefined,
): Promise<SessionCapacity> {
  return deps.db.withActor(actor, async (tx) => {
    if (expectedVersion !== undefined) {
      const lockedVersion = await lockSessionForCapacity(tx, sessionId);
      const current = lockedVersion !== null && lockedVersion !== expectedVersion ? await selectSessionCapacity(tx, sessionId) : null;
      if (current) throw staleVersion('session', current, expectedVersion);
    }
    const promoted = await callSetSessionCapacity(tx, sessionId, capacity, deps.now());
    const session = await selectSessionCapacity(tx, sessionId);
    if (!session) throw notFound('session');
    return { ...session, promoted };
  });
}

/**
 * Accepts (seated: ENROLLED) or declines (cancelled; the seat goes to the next in line) an open waitlist
 * offer. The deadline is judged by the clock now, whether or not the expiry job has run: an expired
 * offer is withdrawn and passed on in a transaction of its own, then answered 409 OFFER_EXPIRED.
 */
export async function answerOffer(deps: EnrollmentsDeps, actor: Actor, enrollmentId: string, accept: boolean): Promise<EnrollmentRow> {
  const answered = await deps.db.withActor(actor, async (tx) => {
    const outcome = await answerWaitlistOffer(tx, enrollmentId, accept, deps.now());
    return { outcome, enrollment: await selectEnrollment(tx, enrollmentId) };
  });
  if (answered.outcome === 'EXPIRED') {
    throw new AppError('OFFER_EXPIRED', 'the offer of a seat expired before it was accepted; the seat went to the next in line', { enrollment: answered.enrollment });
  }
  if (answered.outcome === 'NO_OFFER') {
    throw new AppError('NO_OPEN_OFFER', 'this enrollment holds no open offer of a seat', { enrollment: answered.enrollment });
  }
  if (!answered.enrollment) throw notFound('enrollment');
  return answered.enrollment;
}

/** Sets how a session fills freed seats (its staff): offers open for `hours`, 0 at once, null as its course says. */
export async function setSessionWaitlistOffers(deps: EnrollmentsDeps, actor: Actor, sessionId: string, hours: number | null): Promise<WaitlistOfferSetting> {
  return deps.db.withActor(actor, (tx) => callSetSessionWaitlistOffers(tx, sessionId, hours));
}

/** Sets how the sessions of a course fill freed seats unless they say otherwise (administrators, as for any change of a course). */
export async function setCourseWaitlistOffers(deps: EnrollmentsDeps, actor: Actor, courseId: string, hours: number | null): Promise<WaitlistOfferSetting> {
  return deps.db.withActor(actor, async (tx) => {
    const changed = await updateCourseWaitlistOffers(tx, courseId, hours);
    const setting = await selectCourseWaitlistOffers(tx, courseId);
    if (!setting) throw new AppError('NOT_FOUND', `no course with id ${courseId}`, { field: 'params.id' });
    if (!changed) throw new AppError('FORBIDDEN', 'only an administrator may change a course');
    return setting;
  });
}

export type SessionEnrollmentPage = Omit<Page, 'items'> & { items: (EnrollmentRow & { student_profile_name: string | null })[] };

/**
 * A session's enrollments as the caller sees them (a student: their own), paged like every list; a
 * student without an account comes with its profile's name (one more query for the page, not one a row).
 */
export async function listSessionEnrollments(deps: EnrollmentsDeps, actor: Actor, sessionId: string, query: ListQuery): Promise<SessionEnrollmentPage> {
  return deps.db.withActor(actor, async (tx) => {
    if (!(await sessionIsVisible(tx, sessionId))) throw new AppError('NOT_FOUND', `no session with id ${sessionId}`, { field: 'params.id' });
    // The table spec reads exactly the columns of EnrollmentRow.
    const page = (await listRows(tx, enrollmentsTable, { ...query, filters: { ...query.filters, session_id: sessionId } })) as unknown as Omit<Page, 'items'> & { items: EnrollmentRow[] };
    const profileIds = page.items.flatMap((row) => (row.student_profile_id ? [row.student_profile_id] : []));
    const names = profileIds.length > 0 ? await selectStudentProfileNames(tx, profileIds) : new Map<string, string>();
    return { ...page, items: page.items.map((row) => ({ ...row, student_profile_name: row.student_profile_id ? (names.get(row.student_profile_id) ?? null) : null })) };
  });
}
