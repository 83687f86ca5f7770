import type { Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { type LocationPlace, selectCourse, selectLocationPlace, selectUserRole } from './sessions.repository.js';

/** New sessions and schedules are for PUBLISHED courses only: a draft has nothing to teach yet, an archived course takes no new ones. */
export async function requirePublishedCourse(tx: Tx, courseId: string, field = 'body.course_id'): Promise<{ title: string }> {
  const course = await selectCourse(tx, courseId);
  if (!course) throw new AppError('INVALID_REFERENCE', `no course with id ${courseId}`, { field });
  if (course.status !== 'PUBLISHED') {
    throw new AppError('CONFLICT', `the course is ${course.status}: only a PUBLISHED course takes new sessions`, { field, course_status: course.status });
  }
  return { title: course.title };
}

/** The instructor of a session is an instructor account (IC or IP): those are the roles that teach under the access matrix. */
export async function requireInstructor(tx: Tx, userId: string, field = 'body.instructor_id'): Promise<void> {
  const role = await selectUserRole(tx, userId);
  if (role !== 'IC' && role !== 'IP') {
    throw new AppError('INVALID_REFERENCE', 'instructor_id must name an instructor account (role IC or IP)', { field });
  }
}

export async function requireLocation(tx: Tx, locationId: string, field = 'body.location_id'): Promise<LocationPlace> {
  const place = await selectLocationPlace(tx, locationId);
  if (!place) throw new AppError('INVALID_REFERENCE', `no location with id ${locationId}`, { field });
  return place;
}

/** Wall-clock times as PostgreSQL returns them, HH:MM:SS, so that two spellings of one time compare equal. */
export function fullClockTime(time: string): string {
  return time.length === 5 ? `${time}:00` : time;
}
