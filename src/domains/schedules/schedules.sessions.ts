import type { Tx } from '../../platform/db/database.js';
import { cancelSessionAndEnrollments } from '../sessions/index.js';
import { type OccurrenceWindow, occurrenceDays, type RecurrenceRule } from './schedules.recurrence.js';
import {
  applyScheduleToSessions,
  insertOccurrences,
  type OccurrenceConflict,
  selectOccurrenceConflicts,
  lockUpcomingSessions,
  type ScheduledSession,
  selectUpdateConflicts,
  type ScheduleRow,
  type SessionRef,
  setSessionCapacity,
} from './schedules.repository.js';

/** What materialising or editing a schedule did to its sessions (the API's `sessions` answer). */
export interface SessionChanges {
  created: SessionRef[];
  updated: SessionRef[];
  cancelled: SessionRef[];
  left_alone: (SessionRef & { reason: 'EDITED_BY_HAND' | 'IN_PROGRESS' | 'COMPLETED' | 'CANCELLED' })[];
  capacity_kept: (SessionRef & { reason: 'BELOW_ENROLLED' | 'CHANGED_BY_HAND'; max_capacity: number; current_enrollment: number })[];
  /**
   * Occurrences not made, or sessions not moved (session_id), because their instructor or room is
   * booked elsewhere at an overlapping time.
   */
  conflicts: OccurrenceConflict[];
}

export const noSessionChanges = (): SessionChanges => ({ created: [], updated: [], cancelled: [], left_alone: [], capacity_kept: [], conflicts: [] });

/** The schedule's clock: today and now in its zone, so "upcoming" means what it means where the class is. */
export interface LocalClock {
  today: string;
  time: string;
}

export const refOf = ({ id, session_date, start_time }: SessionRef): SessionRef => ({ id, session_date, start_time });

/** Occurrence days from today to `throughDay` whose sessions would not have started yet. */
export function upcomingDays(rule: RecurrenceRule, schedule: Pick<ScheduleRow, 'start_date' | 'until' | 'start_time'>, clock: LocalClock, throughDay: string): string[] {
  const window: OccurrenceWindow = { startDay: schedule.start_date, untilDay: schedule.until, fromDay: clock.today, toDay: throughDay };
  const startsAt = `${schedule.start_time}:00`;
  return occurrenceDays(rule, window).filter((day) => day > clock.today || startsAt > clock.time);
}

/**
 * Makes the sessions of these occurrences that do not exist yet, except those whose instructor is
 * booked elsewhere then: each of those is reported with the session it would overlap. The exclusion
 * constraint still judges: a booking made meanwhile by a concurrent transaction refuses the whole
 * write (409 SCHEDULE_CONFLICT), and a retry reports it here.
 */
export async function materialise(tx: Tx, schedule: ScheduleRow, courseTitle: string, days: string[]): Promise<Pick<SessionChanges, 'created' | 'conflicts'>> {
  const conflicts = await selectOccurrenceConflicts(tx, schedule.id, days);
  const refused = new Set(conflicts.map((conflict) => conflict.session_date));
  const created = (await insertOccurrences(tx, schedule.id, courseTitle, days.filter((day) => !refused.has(day)))).map(refOf);
  return { created, conflicts };
}

export function reasonLeftAlone(session: ScheduledSession): SessionChanges['left_alone'][number]['reason'] | null {
  if (session.status === 'IN_PROGRESS' || session.status === 'COMPLETED' || session.status === 'CANCELLED') return session.status;
  return session.detached_from_schedule ? 'EDITED_BY_HAND' : null;
}

/**
 * Brings the upcoming, untouched sessions of an edited schedule in line with it. Sessions that have
 * begun, are in the past, were edited by hand, or are no longer SCHEDULED are left alone. Untouched ones
 * whose occurrence the rule still has take the new instructor, location, times and self-enrollment,
 * and the new capacity unless more students are enrolled than it allows or their capacity was set by
 * hand (capacity_kept); one the new values would make overlap another booking of its instructor or
 * room keeps its old ones and is reported in `conflicts` with its id (the exclusion constraints still
 * judge: a booking committed meanwhile refuses the whole edit, 409). The others are cancelled with their enrollments. `days` are the occurrences
 * the edited schedule has from now to its generated_through; those with no session yet are made when
 * `courseTitle` is given (an ACTIVE schedule of a PUBLISHED course).
 */
export async function resynchronise(
  tx: Tx,
  change: { before: ScheduleRow; after: ScheduleRow; days: string[]; courseTitle: string | null },
): Promise<SessionChanges> {
  const { before, after, days } = change;
  const result = noSessionChanges();
  const upcoming = await lockUpcomingSessions(tx, after.id, before.timezone);
  const wanted = new Set(days);
  const following: ScheduledSession[] = [];
  for (const session of upcoming) {
    const reason = reasonLeftAlone(session);
    if (reason !== null) result.left_alone.push({ ...refOf(session), reason });
    else if (wanted.has(session.occurrence_date)) following.push(session);
    else {
      await cancelSessionAndEnrollments(tx, session.id, 'the occurrence was removed from its schedule');
      result.cancelled.push(refOf(session));
    }
  }
  // A session the edit would move onto another booking of its instructor or room stays as it was, reported.
  const collisions = await selectUpdateConflicts(tx, after.id, following.map((session) => session.id));
  const blocked = new Set(collisions.map((conflict) => conflict.session_id));
  const movable = following.filter((session) => !blocked.has(session.id));
  const updated = new Map((await applyScheduleToSessions(tx, after.id, movable.map((session) => session.id))).map((ref) => [ref.id, refOf(ref)]));
  if (after.max_capacity !== before.max_capacity) {
    for (const session of movable) {
      const kept = session.max_capacity !== before.max_capacity ? 'CHANGED_BY_HAND' : session.current_enrollment > after.max_capacity ? 'BELOW_ENROLLED' : null;
      if (kept !== null) {
        result.capacity_kept.push({ ...refOf(session), reason: kept, max_capacity: session.max_capacity, current_enrollment: session.current_enrollment });
        continue;
      }
      await setSessionCapacity(tx, session.id, after.max_capacity);
      if (!updated.has(session.id)) updated.set(session.id, refOf(session));
    }
  }
  result.updated = [...updated.values()];
  result.conflicts = collisions;
  if (change.courseTitle !== null) {
    const made = await materialise(tx, after, change.courseTitle, days);
    result.created = made.created;
    const blockedDays = new Set(collisions.map((conflict) => conflict.session_date));
    result.conflicts = [...collisions, ...made.conflicts.filter((conflict) => !blockedDays.has(conflict.session_date))];
  }
  return result;
}
