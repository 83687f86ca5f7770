import type { Actor } from '../../platform/db/actor.js';
import type { Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { getRow } from '../../platform/shared/crud/crud.repository.js';
import { appendDomainEvent } from '../../platform/shared/events/append-domain-event.js';
import {
  decideEligibility, type EligibilityOverride, requireInstructor, requireLocation, requirePublishedCourse, selectEligibilityGaps,
} from '../sessions/index.js';
import { addDays, firstOccurrenceDay, isCalendarDay, parseRecurrenceRule, type RecurrenceRule } from './schedules.recurrence.js';
import { type ScheduleRow, schedulesTable, type ScheduleValues } from './schedules.repository.js';
import type { LocalClock, SessionChanges } from './schedules.sessions.js';

/** What the schedule workflows share: the checks of a schedule's values, its eligibility, its events. */

export interface ScheduleChange {
  schedule: ScheduleRow;
  /** A `following` edit: the series as it stands before the occurrence it was split at. */
  previous_schedule?: ScheduleRow;
  sessions: SessionChanges;
}

type Decided = 'provider_id' | keyof EligibilityOverride;
export type ScheduleEdits = Partial<Omit<ScheduleValues, Decided>> & { eligibility_override_reason?: string | undefined };

/** How far ahead sessions are materialised by default, and at most in one go. */
export const defaultHorizonDays = 90;
export const maximumHorizonDays = 366;

export const readSchedule = async (tx: Tx, id: string) => (await getRow(tx, schedulesTable, id, 'schedule')) as unknown as ScheduleRow;

function requireTimeZone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new AppError('VALIDATION_FAILED', `${timezone} is not an IANA time zone (e.g. Europe/Paris)`, { field: 'body.timezone' });
  }
}

function requireDayInRange(day: string, field: string): void {
  const year = Number(day.slice(0, 4));
  if (!isCalendarDay(day) || year < 1900 || year > 2199) throw new AppError('VALIDATION_FAILED', `${field.replace('body.', '')} must be a day from 1900 to 2199`, { field });
}

/** The wall-clock values of a schedule make sense together, and the rule gives at least one day. */
export function checkScheduleValues(values: ScheduleValues): RecurrenceRule {
  const rule = parseRecurrenceRule(values.rrule);
  requireTimeZone(values.timezone);
  requireDayInRange(values.start_date, 'body.start_date');
  if (values.until !== null) {
    requireDayInRange(values.until, 'body.until');
    if (values.until < values.start_date) throw new AppError('VALIDATION_FAILED', 'until must not be before start_date', { field: 'body.until' });
  }
  const [hours, minutes] = values.start_time.split(':').map(Number) as [number, number];
  if (hours * 60 + minutes + values.duration_minutes >= 24 * 60) {
    throw new AppError('VALIDATION_FAILED', 'start_time plus duration_minutes must end before midnight: a session ends on the day it starts', { field: 'body.duration_minutes' });
  }
  if (firstOccurrenceDay(rule, values.start_date, values.until) === null) {
    throw new AppError('VALIDATION_FAILED', 'rrule: the rule gives no day from start_date on (until included)', { field: 'body.rrule' });
  }
  return rule;
}

export function requireHorizon(clock: LocalClock, day: string, field: string): void {
  if (day > addDays(clock.today, maximumHorizonDays)) {
    throw new AppError('VALIDATION_FAILED', `sessions are generated at most ${maximumHorizonDays} days ahead (until ${addDays(clock.today, maximumHorizonDays)})`, { field });
  }
}

export async function recordScheduleEvent(tx: Tx, schedule: ScheduleRow, eventType: string, sessions: SessionChanges): Promise<void> {
  const ids = (refs: { id: string }[]) => refs.map((ref) => ref.id);
  await appendDomainEvent(tx, {
    aggregateType: 'schedule',
    aggregateId: schedule.id,
    aggregateVersion: schedule.version,
    eventType,
    payload: { created: ids(sessions.created), updated: ids(sessions.updated), cancelled: ids(sessions.cancelled), conflicts: sessions.conflicts },
  });
}


/** An edit's values without the override reason, which is decided, not copied (reassessSchedule). */
function omitReason(edits: ScheduleEdits): Omit<ScheduleEdits, 'eligibility_override_reason'> {
  const values = { ...edits };
  delete values.eligibility_override_reason;
  return values;
}

/** The values an edit gives a schedule, its references checked; the override is decided separately. */
export async function editedValues(tx: Tx, before: ScheduleRow, edits: ScheduleEdits): Promise<ScheduleValues> {
  const values: ScheduleValues = { ...pickValues(before), ...omitReason(edits) };
  if (edits.instructor_id !== undefined && edits.instructor_id !== before.instructor_id) await requireInstructor(tx, edits.instructor_id);
  if (edits.location_id !== undefined && edits.location_id !== before.location_id) values.provider_id = (await requireLocation(tx, edits.location_id)).provider_id;
  return values;
}


/** Wall-clock HH:MM plus minutes, the same day (checkScheduleValues keeps a session within its day). */
export function endOf(startTime: string, minutes: number): string {
  const [hours, mins] = startTime.split(':').map(Number) as [number, number];
  const total = hours * 60 + mins + minutes;
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

/**
 * The override a schedule's values need on `days`: none when its instructor meets the course's
 * requirements on each, else the caller's reason (SA or AD), else 422 listing the days and what is missing.
 */
export async function assessEligibility(
  tx: Tx, actor: Actor, values: ScheduleValues & { course_id: string }, days: string[], reason: string | undefined,
): Promise<EligibilityOverride> {
  const assignment = { ...values, end_time: endOf(values.start_time, values.duration_minutes) };
  return decideEligibility(actor, await selectEligibilityGaps(tx, assignment, days), reason);
}

/**
 * The override of an edited schedule. Only a change to who teaches, where, when or on which days (or a
 * new reason) asks the rule again; a former override stands while the instructor stays the one it was given for.
 */
export async function reassessSchedule(
  tx: Tx, actor: Actor, before: ScheduleRow, values: ScheduleValues, days: string[], edits: ScheduleEdits,
): Promise<EligibilityOverride> {
  const kept = { eligibility_override_reason: before.eligibility_override_reason, eligibility_overridden_by: before.eligibility_overridden_by };
  const inputs = ['instructor_id', 'location_id', 'start_time', 'duration_minutes', 'rrule', 'start_date', 'until', 'timezone'] as const;
  const reason = edits.eligibility_override_reason;
  if (reason === undefined && !inputs.some((field) => edits[field] !== undefined && edits[field] !== before[field])) return kept;
  try {
    return await assessEligibility(tx, actor, { ...values, course_id: before.course_id }, days, reason);
  } catch (error) {
    const sameInstructor = values.instructor_id === before.instructor_id && before.eligibility_override_reason !== null;
    if (error instanceof AppError && error.code === 'INSTRUCTOR_NOT_ELIGIBLE' && sameInstructor) return kept;
    throw error;
  }
}


export function pickValues(schedule: ScheduleRow): ScheduleValues {
  const {
    instructor_id, location_id, provider_id, rrule, timezone, start_date, start_time, duration_minutes, max_capacity, self_enrollment_allowed, until, status,
    eligibility_override_reason, eligibility_overridden_by,
  } = schedule;
  return {
    instructor_id, location_id, provider_id, rrule, timezone, start_date, start_time, duration_minutes, max_capacity, self_enrollment_allowed, until, status,
    eligibility_override_reason, eligibility_overridden_by,
  };
}

export function versionConflict(current: ScheduleRow, expectedVersion: number): AppError {
  return new AppError('VERSION_CONFLICT', `the schedule was changed by someone else (version ${current.version}, you sent ${expectedVersion})`, {
    field: 'body.version',
    current,
  });
}

/** New occurrences of an edited schedule are made only while its course is PUBLISHED. */
export async function publishedCourseTitle(tx: Tx, courseId: string): Promise<string | null> {
  try {
    return (await requirePublishedCourse(tx, courseId, 'course_id')).title;
  } catch (error) {
    if (error instanceof AppError) return null;
    throw error;
  }
}
