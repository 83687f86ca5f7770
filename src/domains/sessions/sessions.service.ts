import type { Actor } from '../../platform/db/actor.js';
import type { Db, Row, Tx, WriteOptions } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { getRow, insertRow, lockAtVersion, updateRow } from '../../platform/shared/crud/crud.repository.js';
import { appendDomainEvent } from '../../platform/shared/events/append-domain-event.js';
import { writeRefusingConflicts } from './sessions.conflicts.js';
import { decideEligibility, type EligibilityOverride, noOverride, selectEligibilityGaps } from './sessions.eligibility.js';
import { fullClockTime, requireInstructor, requireLocation, requirePublishedCourse } from './sessions.references.js';
import {
  cancelSessionAndEnrollments,
  lockSession,
  selectSessionPage,
  type SessionListQuery,
  type SessionPage,
  type SessionRow,
  sessionsTable,
  updateSessionStatus,
} from './sessions.repository.js';
import type { SessionStatus } from './sessions.schemas.js';

export interface SessionsDeps {
  db: Db;
}

type SignedIn = Actor & { userId: string };

export interface NewSession {
  course_id: string;
  title?: string | undefined;
  description?: string | null | undefined;
  instructor_id: string;
  location_id: string;
  room_id?: string | null | undefined;
  session_date: string;
  start_time: string;
  end_time: string;
  max_capacity: number;
  self_enrollment_allowed?: boolean | undefined;
  /** An SA's or AD's reason for assigning an instructor who does not meet the course's requirements. */
  eligibility_override_reason?: string | undefined;
}

export type SessionChanges = Partial<
  Pick<SessionRow, 'title' | 'description' | 'instructor_id' | 'location_id' | 'room_id' | 'session_date' | 'start_time' | 'end_time' | 'self_enrollment_allowed'>
> & { eligibility_override_reason?: string | undefined };

/** What a schedule decides about its sessions: changing one of these by hand detaches the session from the schedule. */
const scheduleGoverned = ['instructor_id', 'location_id', 'session_date', 'start_time', 'end_time', 'self_enrollment_allowed'] as const;

const asSession = (row: Row) => row as unknown as SessionRow;

export function listSessions(deps: SessionsDeps, actor: Actor, query: SessionListQuery): Promise<SessionPage> {
  return deps.db.reader.withActor(actor, (tx) => selectSessionPage(tx, query));
}

export async function readSession(deps: SessionsDeps, actor: Actor, id: string): Promise<SessionRow> {
  return asSession(await deps.db.reader.withActor(actor, (tx) => getRow(tx, sessionsTable, id, 'session')));
}

function requireEndAfterStart(start: string, end: string, field: string): void {
  if (fullClockTime(end) <= fullClockTime(start)) {
    throw new AppError('VALIDATION_FAILED', 'end_time must be after start_time: a session ends on the day it starts', { field });
  }
}

/** What session events report of where a session stands: notifications tell students when, where and who. */
const whenWhereWho = ['session_date', 'start_time', 'end_time', 'location_id', 'room_id', 'instructor_id'] as const;
const placeOf = (session: SessionRow) => Object.fromEntries(whenWhereWho.map((field) => [field, session[field]]));

/**
 * Two bookings of one instructor's hour can deadlock inside the exclusion constraint's check, each
 * waiting for the other's index entry; run again, the later one sees the earlier and gets its 409.
 */
const racingWrite: WriteOptions = { serializationAttempts: 3 };

async function appendSessionEvent(tx: Tx, session: SessionRow, eventType: string, payload: Record<string, unknown>): Promise<void> {
  await appendDomainEvent(tx, { aggregateType: 'session', aggregateId: session.id, aggregateVersion: session.version, eventType, payload });
}

/** A one-off session (no schedule) for a published course; row-level security decides where the actor may hold one. */
export async function createSession(deps: SessionsDeps, actor: SignedIn, input: NewSession): Promise<SessionRow> {
  requireEndAfterStart(input.start_time, input.end_time, 'body.end_time');
  return deps.db.withActor(actor, async (tx) => {
    const course = await requirePublishedCourse(tx, input.course_id);
    await requireInstructor(tx, input.instructor_id);
    const place = await requireLocation(tx, input.location_id);
    const { eligibility_override_reason: reason, ...fields } = input;
    const override = decideEligibility(actor, await selectEligibilityGaps(tx, input, [input.session_date]), reason);
    const values = { ...fields, ...override, title: input.title ?? course.title, provider_id: place.provider_id, created_by: actor.userId };
    const booking = () => ({ id: null, ...fields, room_id: input.room_id ?? null });
    const session = asSession(await writeRefusingConflicts(tx, booking, () => insertRow(tx, sessionsTable, values, 'session')));
    await appendSessionEvent(tx, session, 'session.scheduled', { course_id: session.course_id, title: session.title, ...placeOf(session) });
    return session;
  }, racingWrite);
}

const editableFields = ['title', 'description', 'instructor_id', 'location_id', 'room_id', 'session_date', 'start_time', 'end_time', 'self_enrollment_allowed'] as const satisfies readonly (keyof SessionChanges)[];

/** The fields of `changes` whose value differs from the session's (times compared as HH:MM:SS). */
function changedFields(current: SessionRow, changes: SessionChanges): (keyof SessionChanges)[] {
  return editableFields.filter((field) => {
    const value = changes[field];
    if (value === undefined) return false;
    return field === 'start_time' || field === 'end_time' ? fullClockTime(String(value)) !== current[field] : value !== current[field];
  });
}

/** What may still change once a session has started: what it is called and says, not when, where or who. */
const changeableInProgress: readonly (keyof SessionChanges)[] = ['title', 'description'];

/**
 * A completed or cancelled session is a record: it is not edited. A session under way keeps its day,
 * times, place and instructor. A PATCH that changes nothing is answered like any other (access, version).
 */
function requireChangeable(current: SessionRow, changed: readonly (keyof SessionChanges)[]): void {
  const details = { current_status: current.status, current };
  if (changed.length > 0 && (current.status === 'COMPLETED' || current.status === 'CANCELLED')) {
    throw new AppError('INVALID_TRANSITION', `the session is ${current.status}: a completed or cancelled session can no longer be changed`, details);
  }
  const frozen = current.status === 'IN_PROGRESS' ? changed.find((field) => !changeableInProgress.includes(field)) : undefined;
  if (frozen !== undefined) {
    throw new AppError('INVALID_TRANSITION', `the session is IN_PROGRESS: only its title and description can change, not ${frozen}`, { ...details, field: `body.${frozen}` });
  }
}

const lockedSession = (id: string, expectedVersion: number, verb: string) =>
  ({ id, what: 'session', expectedVersion, refusal: `only the staff of a session may ${verb} it`, lock: lockSession });

/**
 * Changes what a person may change on a session, at the version they read, under the row lock so the
 * status checked is the one changed. A change to anything the session's schedule decides marks it
 * detached, pinning the occurrence it stands for, so that later edits of the schedule leave it alone
 * and never generate that occurrence again. A real change appends `session.changed` with the changed
 * fields and the day, times, location and instructor before and after.
 */
export function changeSession(deps: SessionsDeps, actor: Actor, id: string, expectedVersion: number, changes: SessionChanges): Promise<SessionRow> {
  return deps.db.withActor(actor, (tx) => changeSessionIn(tx, actor, id, expectedVersion, changes), racingWrite);
}

/** changeSession inside a transaction the caller holds (a schedule edit of one occurrence). */
export async function changeSessionIn(tx: Tx, actor: Actor, id: string, expectedVersion: number, changes: SessionChanges): Promise<SessionRow> {
  const current = await lockAtVersion(tx, sessionsTable, lockedSession(id, expectedVersion, 'change'));
  const changed = changedFields(current, changes);
  requireChangeable(current, changed);
  requireEndAfterStart(changes.start_time ?? current.start_time, changes.end_time ?? current.end_time, changes.end_time === undefined ? 'body.start_time' : 'body.end_time');
  if (changed.includes('instructor_id')) await requireInstructor(tx, String(changes.instructor_id));
  const { eligibility_override_reason: reason, ...fields } = changes;
  const values: Record<string, unknown> = { ...fields, ...(await reassessEligibility(tx, actor, current, fields, changed, reason)) };
  if (changed.includes('location_id')) values['provider_id'] = (await requireLocation(tx, String(changes.location_id))).provider_id;
  if (current.schedule_id !== null && changed.some((field) => (scheduleGoverned as readonly string[]).includes(field))) {
    values['detached_from_schedule'] = true;
    values['occurrence_date'] = current.occurrence_date ?? current.session_date;
  }
  const booking = () => ({ ...current, ...fields, room_id: fields.room_id === undefined ? current.room_id : fields.room_id });
  const session = asSession(await writeRefusingConflicts(tx, booking, () => updateRow(tx, sessionsTable, id, expectedVersion, values, 'session')));
  if (changed.length > 0) await appendSessionEvent(tx, session, 'session.changed', { changed, previous: placeOf(current), current: placeOf(session) });
  return session;
}

/** What the eligibility rule depends on: a change to any of these asks it again. */
const eligibilityInputs: readonly (keyof SessionChanges)[] = ['instructor_id', 'location_id', 'session_date', 'start_time', 'end_time'];

/**
 * The override columns a change writes, or nothing when it leaves them be. A change to who teaches, or
 * when or where, asks the rule again (as does a new reason): eligible, a former override is dropped;
 * not eligible, an override stands while the instructor stays the one it was given for, else the
 * change needs a new one (decideEligibility).
 */
async function reassessEligibility(
  tx: Tx, actor: Actor, current: SessionRow, changes: SessionChanges, changed: readonly (keyof SessionChanges)[], reason: string | undefined,
): Promise<Partial<EligibilityOverride>> {
  if (reason === undefined && !changed.some((field) => eligibilityInputs.includes(field))) return {};
  const next = { ...current, ...changes };
  const gaps = await selectEligibilityGaps(tx, next, [next.session_date]);
  if (gaps.length === 0) return current.eligibility_override_reason === null ? {} : noOverride;
  if (reason === undefined && current.eligibility_override_reason !== null && !changed.includes('instructor_id')) return {};
  return decideEligibility(actor, gaps, reason);
}

export type SessionTransition = 'start' | 'complete' | 'cancel';

/** The lifecycle: SCHEDULED → IN_PROGRESS → COMPLETED, and SCHEDULED or IN_PROGRESS → CANCELLED. Nothing leaves COMPLETED or CANCELLED. */
const transitions: Record<SessionTransition, { from: readonly SessionStatus[]; to: SessionStatus; done: string }> = {
  start: { from: ['SCHEDULED'], to: 'IN_PROGRESS', done: 'started' },
  complete: { from: ['IN_PROGRESS'], to: 'COMPLETED', done: 'completed' },
  cancel: { from: ['SCHEDULED', 'IN_PROGRESS'], to: 'CANCELLED', done: 'cancelled' },
};

/**
 * Moves a session along its lifecycle, at the version the caller read. The row lock is taken first,
 * so the status and version checked are the ones changed. Cancelling also cancels every enrollment in
 * the session (migration 0015); each transition appends `session.<done>`.
 */
export async function moveSession(
  deps: SessionsDeps,
  actor: Actor,
  id: string,
  transition: SessionTransition,
  options: { expectedVersion: number; reason?: string | undefined },
): Promise<SessionRow> {
  const rule = transitions[transition];
  return deps.db.withActor(actor, async (tx) => {
    const session = await lockAtVersion(tx, sessionsTable, lockedSession(id, options.expectedVersion, transition));
    if (!rule.from.includes(session.status)) {
      throw new AppError('INVALID_TRANSITION', `the session is ${session.status}: only a session that is ${rule.from.join(' or ')} can be ${rule.done}`, {
        current_status: session.status,
        current: session,
      });
    }
    if (transition === 'cancel') {
      await cancelSessionAndEnrollments(tx, id, options.reason ?? '');
    } else {
      const version = await updateSessionStatus(tx, id, rule.to);
      await appendDomainEvent(tx, {
        aggregateType: 'session',
        aggregateId: id,
        aggregateVersion: version,
        eventType: `session.${rule.done}`,
        payload: { previous_status: session.status, status: rule.to },
      });
    }
    return asSession(await getRow(tx, sessionsTable, id, 'session'));
  });
}
