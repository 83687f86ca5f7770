import type { Actor } from '../../platform/db/actor.js';
import type { Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { appendDomainEvent } from '../../platform/shared/events/append-domain-event.js';
import { changeSessionIn, type ScheduleConflict } from '../sessions/index.js';
import { addDays, firstOccurrenceDay, occurrenceDays, parseRecurrenceRule, type RecurrenceRule } from './schedules.recurrence.js';
import {
  insertSchedule, lockOccurrenceSession, moveSessionsToSchedule, type ScheduleRow, selectLocalClock, setSessionCapacity, updateSchedule,
} from './schedules.repository.js';
import { noSessionChanges, reasonLeftAlone, refOf, resynchronise, upcomingDays } from './schedules.sessions.js';
import {
  checkScheduleValues, editedValues, endOf, pickValues, publishedCourseTitle, reassessSchedule, readSchedule, recordScheduleEvent,
  type ScheduleChange, type ScheduleEdits, versionConflict,
} from './schedules.values.js';

/**
 * Edits of part of a series (issue 16, item 3). Everything stays in wall-clock terms in the schedule's
 * zone: occurrences are days, sessions start at the schedule's local time, and instants are made by
 * the database from the location's zone, so a 09:00 Europe/Paris series stays 09:00 across a
 * daylight-saving change on either side of a split.
 */

/** A COUNT counts from the series' first day: the part from `fromDay` has what the earlier part did not use. */
function remainingRule(rule: RecurrenceRule, schedule: ScheduleRow, fromDay: string): string {
  const count = rule.options.count;
  if (count === undefined || count === null) return rule.text;
  const used = occurrenceDays(rule, { startDay: schedule.start_date, untilDay: schedule.until, fromDay: schedule.start_date, toDay: addDays(fromDay, -1) }).length;
  if (used >= count) throw new AppError('VALIDATION_FAILED', `the series has no occurrence from ${fromDay} (its COUNT is used up)`, { field: 'body.occurrence_date' });
  return rule.text.replace(/COUNT=\d+/, `COUNT=${count - used}`);
}

/**
 * "This and following": the series is split at `fromDay`. The schedule keeps everything and ends the day
 * before; a new schedule takes the edited values from `fromDay` on (its first day unless the edit names
 * one), and the sessions of the occurrences from `fromDay` on pass to it, then follow it like any edit
 * (resynchronise: hand-edited, started and cancelled ones left alone, conflicts reported one by one).
 * Returns null when nothing of the series comes before `fromDay`: that is an edit of all of it.
 */
export async function splitSeries(tx: Tx, actor: Actor & { userId: string }, before: ScheduleRow, edits: ScheduleEdits, fromDay: string): Promise<ScheduleChange | null> {
  const rule = parseRecurrenceRule(before.rrule);
  if (fromDay <= before.start_date || firstOccurrenceDay(rule, before.start_date, addDays(fromDay, -1)) === null) return null;
  const clock = await selectLocalClock(tx, before.timezone);
  if (fromDay < clock.today) {
    throw new AppError('VALIDATION_FAILED', `occurrence_date ${fromDay} is in the past: past sessions are a record and stay as they were`, { field: 'body.occurrence_date' });
  }
  if (before.until !== null && fromDay > before.until) throw new AppError('VALIDATION_FAILED', `the series ends on ${before.until}, before occurrence_date`, { field: 'body.occurrence_date' });
  const values = await editedValues(tx, before, edits);
  values.start_date = edits.start_date ?? fromDay;
  values.rrule = edits.rrule ?? remainingRule(rule, before, fromDay);
  const laterRule = checkScheduleValues(values);
  const laterClock = await selectLocalClock(tx, values.timezone);
  const through = before.generated_through ?? addDays(fromDay, -1);
  Object.assign(values, await reassessSchedule(tx, actor, before, values, upcomingDays(laterRule, values, laterClock, through), edits));

  if (!(await updateSchedule(tx, before.id, before.version, { ...pickValues(before), until: addDays(fromDay, -1) }))) {
    const current = await readSchedule(tx, before.id);
    if (current.version !== before.version) throw versionConflict(current, before.version);
    throw new AppError('FORBIDDEN', 'not allowed to change this schedule');
  }
  const laterId = await insertSchedule(tx, { ...values, rrule: laterRule.text, course_id: before.course_id, created_by: actor.userId, generate_through: through });
  await moveSessionsToSchedule(tx, before.id, laterId, fromDay);
  const [earlier, later] = [await readSchedule(tx, before.id), await readSchedule(tx, laterId)];
  const sessions = await resynchronise(tx, {
    before,
    after: later,
    days: upcomingDays(laterRule, later, laterClock, through),
    courseTitle: later.status === 'ACTIVE' ? await publishedCourseTitle(tx, later.course_id) : null,
  });
  await appendDomainEvent(tx, {
    aggregateType: 'schedule', aggregateId: earlier.id, aggregateVersion: earlier.version, eventType: 'schedule.split',
    payload: { occurrence_date: fromDay, following_schedule_id: later.id },
  });
  await recordScheduleEvent(tx, later, 'schedule.created', sessions);
  return { schedule: later, previous_schedule: earlier, sessions };
}

/** What belongs to the series, not to one of its sessions. */
const seriesOnly = ['rrule', 'start_date', 'until', 'status', 'timezone'] as const;

const minutesOf = (time: string) => {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
};

/**
 * "This occurrence": the session standing for `day` takes the edit as a hand edit of it would (it is
 * detached from the series, whose row does not change), answered with the same per-occurrence report:
 * updated, left alone when it has begun, ended or been cancelled, its capacity kept when more are
 * enrolled, or a conflict naming the other session when its instructor or room is booked then.
 */
export async function changeOneOccurrence(tx: Tx, actor: Actor, schedule: ScheduleRow, edits: ScheduleEdits, day: string): Promise<ScheduleChange> {
  const wrong = seriesOnly.find((field) => edits[field] !== undefined);
  if (wrong !== undefined) throw new AppError('VALIDATION_FAILED', `${wrong} belongs to the series: edit it with scope following or all`, { field: `body.${wrong}` });
  const session = await lockOccurrenceSession(tx, schedule.id, day);
  if (!session) throw new AppError('NOT_FOUND', `the schedule has no session you may change for the occurrence of ${day}`, { field: 'body.occurrence_date' });
  const sessions = noSessionChanges();
  const leftAlone = reasonLeftAlone(session);
  if (leftAlone !== null && leftAlone !== 'EDITED_BY_HAND') {
    sessions.left_alone.push({ ...refOf(session), reason: leftAlone });
    return { schedule, sessions };
  }
  const startTime = edits.start_time ?? session.start_time.slice(0, 5);
  const timed = edits.start_time !== undefined || edits.duration_minutes !== undefined;
  const duration = edits.duration_minutes ?? minutesOf(session.end_time) - minutesOf(session.start_time);
  const changes = {
    instructor_id: edits.instructor_id,
    location_id: edits.location_id,
    self_enrollment_allowed: edits.self_enrollment_allowed,
    eligibility_override_reason: edits.eligibility_override_reason,
    ...(timed ? { start_time: startTime, end_time: endOf(startTime, duration) } : {}),
  };
  try {
    const changed = await changeSessionIn(tx, actor, session.id, session.version, changes);
    if (changed.version !== session.version) sessions.updated.push(refOf(changed));
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'SCHEDULE_CONFLICT' || error.details?.['conflicting_session_id'] === undefined) throw error;
    const conflict = error.details as unknown as ScheduleConflict & { conflicting_session_id: string };
    sessions.conflicts.push({ session_date: session.session_date, start_time: `${startTime}:00`, conflicting_session_id: conflict.conflicting_session_id, resource: conflict.resource, session_id: session.id });
    return { schedule, sessions };
  }
  if (edits.max_capacity !== undefined && edits.max_capacity !== session.max_capacity) {
    if (session.current_enrollment > edits.max_capacity) {
      sessions.capacity_kept.push({ ...refOf(session), reason: 'BELOW_ENROLLED', max_capacity: session.max_capacity, current_enrollment: session.current_enrollment });
    } else {
      await setSessionCapacity(tx, session.id, edits.max_capacity);
      if (sessions.updated.length === 0) sessions.updated.push(refOf(session));
    }
  }
  return { schedule, sessions };
}
