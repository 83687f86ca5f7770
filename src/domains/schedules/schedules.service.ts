import type { Actor } from '../../platform/db/actor.js';
import type { Db, Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { noOverride, requireInstructor, requireLocation, requirePublishedCourse } from '../sessions/index.js';
import { addDays, parseRecurrenceRule } from './schedules.recurrence.js';
import { advanceGeneratedUntil, insertSchedule, type ScheduleRow, type ScheduleValues, selectLocalClock, updateSchedule } from './schedules.repository.js';
import { changeOneOccurrence, splitSeries } from './schedules.series.js';
import { materialise, noSessionChanges, resynchronise, upcomingDays } from './schedules.sessions.js';
import {
  assessEligibility, checkScheduleValues, defaultHorizonDays, editedValues, publishedCourseTitle, reassessSchedule, readSchedule,
  recordScheduleEvent, requireHorizon, type ScheduleChange, type ScheduleEdits, versionConflict,
} from './schedules.values.js';

export type { ScheduleChange, ScheduleEdits } from './schedules.values.js';

export interface SchedulesDeps {
  db: Db;
}

type SignedIn = Actor & { userId: string };

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
  eligibility_override_reason?: string | undefined;
}

/** Which sessions of a series an edit is for: one occurrence, that one and every later one, or all. */
export type EditScope = 'this' | 'following' | 'all';

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
      ...noOverride,
    };
    const rule = checkScheduleValues(values);
    const clock = await selectLocalClock(tx, values.timezone);
    const through = input.generate_until ?? addDays(clock.today, defaultHorizonDays);
    requireHorizon(clock, through, 'body.generate_until');
    const days = upcomingDays(rule, values, clock, through);
    Object.assign(values, await assessEligibility(tx, actor, { ...values, course_id: input.course_id }, days, input.eligibility_override_reason));
    const id = await insertSchedule(tx, { ...values, rrule: rule.text, course_id: input.course_id, created_by: actor.userId, generate_through: through });
    const schedule = await readSchedule(tx, id);
    const sessions = { ...noSessionChanges(), ...(await materialise(tx, schedule, course.title, days)) };
    await recordScheduleEvent(tx, schedule, 'schedule.created', sessions);
    return { schedule, sessions };
  });
}

/**
 * Edits a schedule at the version the caller read. `all` (the default) edits the series and brings its
 * upcoming, untouched sessions in line (see resynchronise); `following` splits the series at
 * `occurrence`, and `this` edits that occurrence's session alone (schedules.series.ts). An edit that
 * changes nothing still checks the version and the actor's right.
 */
export async function changeSchedule(
  deps: SchedulesDeps, actor: SignedIn, id: string, expectedVersion: number, edits: ScheduleEdits, target: { scope: EditScope; occurrence?: string | undefined },
): Promise<ScheduleChange> {
  return deps.db.withActor(actor, async (tx) => {
    const before = await readSchedule(tx, id);
    if (before.version !== expectedVersion) throw versionConflict(before, expectedVersion);
    if (target.scope === 'all') return changeWholeSeries(tx, actor, before, edits);
    if (target.occurrence === undefined) {
      throw new AppError('VALIDATION_FAILED', `scope ${target.scope} needs occurrence_date: the occurrence the edit starts at`, { field: 'body.occurrence_date' });
    }
    if (target.scope === 'this') return changeOneOccurrence(tx, actor, before, edits, target.occurrence);
    return (await splitSeries(tx, actor, before, edits, target.occurrence)) ?? changeWholeSeries(tx, actor, before, edits);
  });
}

async function changeWholeSeries(tx: Tx, actor: Actor, before: ScheduleRow, edits: ScheduleEdits): Promise<ScheduleChange> {
  const values = await editedValues(tx, before, edits);
  const rule = checkScheduleValues(values);
  const clock = await selectLocalClock(tx, values.timezone);
  const days = before.generated_through === null ? [] : upcomingDays(rule, values, clock, before.generated_through);
  Object.assign(values, await reassessSchedule(tx, actor, before, values, days, edits));
  if (!(await updateSchedule(tx, before.id, before.version, { ...values, rrule: rule.text }))) {
    const current = await readSchedule(tx, before.id);
    if (current.version !== before.version) throw versionConflict(current, before.version);
    throw new AppError('FORBIDDEN', 'not allowed to change this schedule');
  }
  const after = await readSchedule(tx, before.id);
  if (Object.keys(edits).length === 0 || after.generated_through === null) return { schedule: after, sessions: noSessionChanges() };
  const sessions = await resynchronise(tx, {
    before,
    after,
    days: upcomingDays(rule, after, clock, after.generated_through),
    courseTitle: after.status === 'ACTIVE' ? await publishedCourseTitle(tx, after.course_id) : null,
  });
  await recordScheduleEvent(tx, after, 'schedule.updated', sessions);
  return { schedule: after, sessions };
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
    // An override given for the schedule covers its new occurrences; without one, each must meet the rule.
    if (schedule.eligibility_override_reason === null) await assessEligibility(tx, actor, schedule, days, undefined);
    const sessions = { ...noSessionChanges(), ...(await materialise(tx, schedule, course.title, days)) };
    await recordScheduleEvent(tx, schedule, 'schedule.extended', sessions);
    return { schedule, sessions };
  });
}

