import type { Actor } from '../../platform/db/actor.js';
import type { Db, Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { getRow } from '../../platform/shared/crud/crud.repository.js';
import { appendDomainEvent } from '../../platform/shared/events/append-domain-event.js';
import { requireInstructor, requireLocation, requirePublishedCourse } from '../sessions/index.js';
import { addDays, firstOccurrenceDay, isCalendarDay, parseRecurrenceRule, type RecurrenceRule } from './schedules.recurrence.js';
import {
  advanceGeneratedUntil,
  insertSchedule,
  type ScheduleRow,
  schedulesTable,
  type ScheduleValues,
  selectLocalClock,
  updateSchedule,
} from './schedules.repository.js';
import { type LocalClock, materialise, noSessionChanges, resynchronise, type SessionChanges, upcomingDays } from './schedules.sessions.js';

export interface SchedulesDeps {
  db: Db;
}

type SignedIn = Actor & { userId: string };

export interface ScheduleChange {
  schedule: ScheduleRow;
  sessions: SessionChanges;
}

export interface NewSchedule {
  course_id: string;
  instructor_id: string;
  location_id: string;
  rrule: string;
  start_date: string;
  start_time: string;
  duration_minutes: number;
  max_capacity: number;
  timezone?: string | undefined;
  until?: string | null | undefined;
  self_enrollment_allowed?: boolean | undefined;
  generate_until?: string | undefined;
}

export type ScheduleEdits = Partial<Omit<ScheduleValues, 'provider_id'>>;

/** How far ahead sessions are materialised by default, and at most in one go. */
export const defaultHorizonDays = 90;
export const maximumHorizonDays = 366;

const readSchedule = async (tx: Tx, id: string) => (await getRow(tx, schedulesTable, id, 'schedule')) as unknown as ScheduleRow;

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
function checkScheduleValues(values: ScheduleValues): RecurrenceRule {
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

function requireHorizon(clock: LocalClock, day: string, field: string): void {
  if (day > addDays(clock.today, maximumHorizonDays)) {
    throw new AppError('VALIDATION_FAILED', `sessions are generated at most ${maximumHorizonDays} days ahead (until ${addDays(clock.today, maximumHorizonDays)})`, { field });
  }
}

async function recordScheduleEvent(tx: Tx, schedule: ScheduleRow, eventType: string, sessions: SessionChanges): Promise<void> {
  const ids = (refs: { id: string }[]) => refs.map((ref) => ref.id);
  await appendDomainEvent(tx, {
    aggregateType: 'schedule',
    aggregateId: schedule.id,
    aggregateVersion: schedule.version,
    eventType,
    payload: { created: ids(sessions.created), updated: ids(sessions.updated), cancelled: ids(sessions.cancelled), conflicts: sessions.conflicts },
  });
}

/**
 * Creates a schedule of a published course and materialises its sessions up to `generate_until`
 * (default 90 days ahead, at most 366). Row-level security decides where the actor may.
 */
export async function createSchedule(deps: SchedulesDeps, actor: SignedIn, input: NewSchedule): Promise<ScheduleChange> {
  return deps.db.withActor(actor, async (tx) => {
    const course = await requirePublishedCourse(tx, input.course_id);
    await requireInstructor(tx, input.instructor_id);
    const place = await requireLocation(tx, input.location_id);
    const values: ScheduleValues = {
      instructor_id: input.instructor_id,
      location_id: input.location_id,
      provider_id: place.provider_id,
      rrule: input.rrule,
      timezone: input.timezone ?? place.timezone,
      start_date: input.start_date,
      start_time: input.start_time,
      duration_minutes: input.duration_minutes,
      max_capacity: input.max_capacity,
      self_enrollment_allowed: input.self_enrollment_allowed ?? false,
      until: input.until ?? null,
      status: 'ACTIVE',
    };
    const rule = checkScheduleValues(values);
    const clock = await selectLocalClock(tx, values.timezone);
    const through = input.generate_until ?? addDays(clock.today, defaultHorizonDays);
    requireHorizon(clock, through, 'body.generate_until');
    const id = await insertSchedule(tx, { ...values, rrule: rule.text, course_id: input.course_id, created_by: actor.userId, generate_through: through });
    const schedule = await readSchedule(tx, id);
    const sessions = { ...noSessionChanges(), ...(await materialise(tx, schedule, course.title, upcomingDays(rule, schedule, clock, through))) };
    await recordScheduleEvent(tx, schedule, 'schedule.created', sessions);
    return { schedule, sessions };
  });
}

/**
 * Edits a schedule at the version the caller read, then brings its upcoming, untouched sessions in
 * line (see resynchronise). An edit that changes nothing still checks the version and the actor's right.
 */
export async function changeSchedule(deps: SchedulesDeps, actor: Actor, id: string, expectedVersion: number, edits: ScheduleEdits): Promise<ScheduleChange> {
  return deps.db.withActor(actor, async (tx) => {
    const before = await readSchedule(tx, id);
    if (before.version !== expectedVersion) throw versionConflict(before, expectedVersion);
    const values: ScheduleValues = { ...pickValues(before), ...edits };
    if (edits.instructor_id !== undefined && edits.instructor_id !== before.instructor_id) await requireInstructor(tx, edits.instructor_id);
    if (edits.location_id !== undefined && edits.location_id !== before.location_id) values.provider_id = (await requireLocation(tx, edits.location_id)).provider_id;
    const rule = checkScheduleValues(values);
    if (!(await updateSchedule(tx, id, expectedVersion, { ...values, rrule: rule.text }))) {
      const current = await readSchedule(tx, id);
      if (current.version !== expectedVersion) throw versionConflict(current, expectedVersion);
      throw new AppError('FORBIDDEN', 'not allowed to change this schedule');
    }
    const after = await readSchedule(tx, id);
    if (Object.keys(edits).length === 0 || after.generated_through === null) return { schedule: after, sessions: noSessionChanges() };
    const clock = await selectLocalClock(tx, after.timezone);
    const sessions = await resynchronise(tx, {
      before,
      after,
      days: upcomingDays(rule, after, clock, after.generated_through),
      courseTitle: after.status === 'ACTIVE' ? await publishedCourseTitle(tx, after.course_id) : null,
    });
    await recordScheduleEvent(tx, after, 'schedule.updated', sessions);
    return { schedule: after, sessions };
  });
}

/** Materialises an ACTIVE schedule's sessions up to `until` (at most 366 days ahead); what exists already is kept. */
export async function extendSchedule(deps: SchedulesDeps, actor: Actor, id: string, until: string): Promise<ScheduleChange> {
  return deps.db.withActor(actor, async (tx) => {
    const visible = await readSchedule(tx, id);
    requireHorizon(await selectLocalClock(tx, visible.timezone), until, 'body.until');
    // The schedule's row lock first: an edit or another extension of it waits for this one.
    if (!(await advanceGeneratedUntil(tx, id, until))) throw new AppError('FORBIDDEN', 'not allowed to change this schedule');
    const schedule = await readSchedule(tx, id);
    if (schedule.status !== 'ACTIVE') {
      throw new AppError('CONFLICT', `the schedule is ${schedule.status}: only an ACTIVE schedule generates sessions`, { schedule_status: schedule.status });
    }
    const course = await requirePublishedCourse(tx, schedule.course_id, 'course_id');
    const clock = await selectLocalClock(tx, schedule.timezone);
    const days = upcomingDays(parseRecurrenceRule(schedule.rrule), schedule, clock, until);
    const sessions = { ...noSessionChanges(), ...(await materialise(tx, schedule, course.title, days)) };
    await recordScheduleEvent(tx, schedule, 'schedule.extended', sessions);
    return { schedule, sessions };
  });
}

function pickValues(schedule: ScheduleRow): ScheduleValues {
  const { instructor_id, location_id, provider_id, rrule, timezone, start_date, start_time, duration_minutes, max_capacity, self_enrollment_allowed, until, status } =
    schedule;
  return { instructor_id, location_id, provider_id, rrule, timezone, start_date, start_time, duration_minutes, max_capacity, self_enrollment_allowed, until, status };
}

function versionConflict(current: ScheduleRow, expectedVersion: number): AppError {
  return new AppError('VERSION_CONFLICT', `the schedule was changed by someone else (version ${current.version}, you sent ${expectedVersion})`, {
    field: 'body.version',
    current,
  });
}

/** New occurrences of an edited schedule are made only while its course is PUBLISHED. */
async function publishedCourseTitle(tx: Tx, courseId: string): Promise<string | null> {
  try {
    return (await requirePublishedCourse(tx, courseId, 'course_id')).title;
  } catch (error) {
    if (error instanceof AppError) return null;
    throw error;
  }
}
