import type { Tx } from '../../platform/db/database.js';
import { isScheduleExclusion } from '../../platform/db/postgres-errors.js';
import { AppError } from '../../errors.js';

/** Where and when a session is to run, and by whom: what the exclusion constraints of migration 0039 compare. */
export interface SessionBooking {
  /** The session being changed (left out of the search); none when it is new. */
  id: string | null;
  instructor_id: string;
  room_id: string | null;
  location_id: string;
  session_date: string;
  start_time: string;
  end_time: string;
}

export interface ScheduleConflict {
  session_id: string;
  resource: 'instructor' | 'room';
}

/**
 * The non-cancelled sessions that overlap `booking` for its instructor or room, earliest first
 * (schedule_conflicts, migration 0039), leaving out the sessions of `excludeSchedule`.
 */
export async function findScheduleConflicts(tx: Tx, booking: SessionBooking, excludeSchedule: string | null = null): Promise<ScheduleConflict[]> {
  const { rows } = await tx.query<ScheduleConflict>(
    `select session_id, resource
       from app_schedule_conflicts($1, $2, $3, $4, app_session_time_range($5, $6::date, $7::time, $8::time))`,
    [booking.id, excludeSchedule, booking.instructor_id, booking.room_id, booking.location_id, booking.session_date, booking.start_time, booking.end_time],
  );
  return rows;
}

export function scheduleConflictError(conflict: ScheduleConflict): AppError {
  return new AppError('SCHEDULE_CONFLICT', `the ${conflict.resource} is already booked at an overlapping time (session ${conflict.session_id})`, {
    field: conflict.resource === 'room' ? 'body.room_id' : 'body.instructor_id',
    conflicting_session_id: conflict.session_id,
    resource: conflict.resource,
  });
}

/**
 * Runs a session write the exclusion constraints may refuse. The database is the judge: no check runs
 * before the write, so two concurrent bookings cannot both pass one. When it refuses, the write is rolled
 * back to a savepoint (the transaction stays usable) and the other session is looked up to be named.
 */
export async function writeRefusingConflicts<T>(tx: Tx, booking: () => SessionBooking, write: () => Promise<T>): Promise<T> {
  await tx.exec('savepoint session_booking');
  try {
    const result = await write();
    await tx.exec('release savepoint session_booking');
    return result;
  } catch (error) {
    if (!isScheduleExclusion(error)) throw error;
    await tx.exec('rollback to savepoint session_booking');
    const [conflict] = await findScheduleConflicts(tx, booking());
    // The other session was cancelled or moved since the refusal: still a conflict a retry may clear.
    if (!conflict) throw new AppError('SCHEDULE_CONFLICT', 'the instructor or room was booked at an overlapping time; retry', {}, { cause: error });
    throw scheduleConflictError(conflict);
  }
}
