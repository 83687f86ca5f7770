import type { Tx } from '../../platform/db/database.js';
import type { TableSpec } from '../../platform/shared/crud/crud.repository.js';

export type ScheduleStatus = 'ACTIVE' | 'PAUSED' | 'ENDED';

/** Everything a schedule decides, in wall-clock terms: what creating and editing write. */
export interface ScheduleValues {
  instructor_id: string;
  location_id: string;
  provider_id: string | null;
  rrule: string;
  timezone: string;
  /** The first day (the rule's DTSTART) and the time every session starts, HH:MM. */
  start_date: string;
  start_time: string;
  duration_minutes: number;
  max_capacity: number;
  self_enrollment_allowed: boolean;
  /** The last day, inclusive. */
  until: string | null;
  status: ScheduleStatus;
  /** An SA's or AD's reason for an instructor who does not meet the course's requirements; the sessions carry it. */
  eligibility_override_reason: string | null;
  eligibility_overridden_by: string | null;
}

/** A schedule as course_schedules_local (migration 0015) shows it: wall-clock fields beside the stored instants. */
export interface ScheduleRow extends ScheduleValues {
  id: string;
  course_id: string;
  generated_through: string | null;
  dtstart: Date;
  until_at: Date | null;
  generated_until: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export const schedulesTable: TableSpec = {
  table: 'course_schedules',
  readFrom: 'course_schedules_local',
  columns: [
    'id', 'course_id', 'instructor_id', 'location_id', 'provider_id', 'rrule', 'timezone', 'start_date', 'start_time',
    'duration_minutes', 'max_capacity', 'self_enrollment_allowed', 'until', 'generated_through', 'dtstart', 'until_at',
    'generated_until', 'status', 'created_by', 'created_at', 'updated_at', 'version', 'eligibility_override_reason', 'eligibility_overridden_by',
  ] satisfies (keyof ScheduleRow)[],
  filterable: ['course_id', 'location_id', 'instructor_id', 'status'],
  sortable: ['created_at', 'dtstart'],
  versioned: true,
};

/** Today and the time of day in a zone, by the database's clock (the one every process shares). */
export async function selectLocalClock(tx: Tx, timezone: string): Promise<{ today: string; time: string }> {
  const { rows } = await tx.query<{ today: string; time: string }>(
    `select to_char(now() at time zone $1, 'YYYY-MM-DD') as today, to_char(now() at time zone $1, 'HH24:MI:SS') as time`,
    [timezone],
  );
  return rows[0] as { today: string; time: string };
}

// The stored instants from wall-clock values: dtstart is the first day at start_time, until_at the last
// day at start_time, generated_until the local midnight after the last materialised day.
const dtstartSql = (day: string, time: string, zone: string) => `(${day}::date + ${time}::time) at time zone ${zone}`;
const endOfDaySql = (day: string, zone: string) => `(${day}::date + 1)::timestamp at time zone ${zone}`;

export async function insertSchedule(
  tx: Tx,
  values: ScheduleValues & { course_id: string; created_by: string; generate_through: string },
): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `insert into course_schedules (course_id, instructor_id, location_id, provider_id, rrule, timezone, dtstart, until_at,
                                   generated_until, duration_minutes, max_capacity, self_enrollment_allowed, status, created_by,
                                   eligibility_override_reason, eligibility_overridden_by)
     values ($1, $2, $3, $4, $5, $6, ${dtstartSql('$7', '$8', '$6')}, ${dtstartSql('$9', '$8', '$6')},
             ${endOfDaySql('$10', '$6')}, $11, $12, $13, $14, $15, $16, $17)
     returning id`,
    [
      values.course_id, values.instructor_id, values.location_id, values.provider_id, values.rrule, values.timezone,
      values.start_date, values.start_time, values.until, values.generate_through, values.duration_minutes,
      values.max_capacity, values.self_enrollment_allowed, values.status, values.created_by,
      values.eligibility_override_reason, values.eligibility_overridden_by,
    ],
  );
  return rows[0]?.id as string;
}

/** Writes a schedule at the version the caller read; false when no row matched (invisible, moved on or not writable). */
export async function updateSchedule(tx: Tx, id: string, expectedVersion: number, values: ScheduleValues): Promise<boolean> {
  const { rowCount } = await tx.query(
    `update course_schedules
        set instructor_id = $3, location_id = $4, provider_id = $5, rrule = $6, timezone = $7,
            dtstart = ${dtstartSql('$8', '$9', '$7')}, until_at = ${dtstartSql('$10', '$9', '$7')},
            duration_minutes = $11, max_capacity = $12, self_enrollment_allowed = $13, status = $14,
            eligibility_override_reason = $15, eligibility_overridden_by = $16
      where id = $1 and version = $2`,
    [
      id, expectedVersion, values.instructor_id, values.location_id, values.provider_id, values.rrule, values.timezone,
      values.start_date, values.start_time, values.until, values.duration_minutes, values.max_capacity,
      values.self_enrollment_allowed, values.status, values.eligibility_override_reason, values.eligibility_overridden_by,
    ],
  );
  return rowCount === 1;
}

/** Moves generated_until forward (never back) and takes the schedule's row lock; false when the actor may not. */
export async function advanceGeneratedUntil(tx: Tx, id: string, throughDay: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `update course_schedules set generated_until = greatest(generated_until, ${endOfDaySql('$2', 'timezone')}) where id = $1`,
    [id, throughDay],
  );
  return rowCount === 1;
}

export interface SessionRef {
  id: string;
  session_date: string;
  start_time: string;
}

export interface OccurrenceConflict {
  session_date: string;
  start_time: string;
  conflicting_session_id: string;
  resource: 'instructor' | 'room';
  /** An existing session of the schedule that the edit would have moved onto the other one: it was left as it was. */
  session_id?: string;
}

/**
 * The occurrences among `days` whose instructor already teaches another non-cancelled session at an
 * overlapping time (schedule_conflicts, migration 0039; the schedule's own sessions left out), the
 * first such session for each.
 */
export async function selectOccurrenceConflicts(tx: Tx, scheduleId: string, days: string[]): Promise<OccurrenceConflict[]> {
  if (days.length === 0) return [];
  const { rows } = await tx.query<OccurrenceConflict>(
    `select o.day::text as session_date, o.starts::text as start_time, c.session_id as conflicting_session_id, c.resource
       from course_schedules s,
            lateral (select day, (s.dtstart at time zone s.timezone)::time as starts,
                            (s.dtstart at time zone s.timezone)::time + make_interval(mins => s.duration_minutes) as ends
                       from unnest($2::date[]) as day) o,
            lateral (select session_id, resource
                       from app_schedule_conflicts(null, s.id, s.instructor_id, null, app_session_time_range(s.location_id, o.day, o.starts, o.ends))
                      limit 1) c
      where s.id = $1
      order by o.day`,
    [scheduleId, days],
  );
  return rows;
}

/**
 * The sessions among `sessionIds` that the schedule's current instructor, times and location would make
 * overlap another non-cancelled session (of another schedule or none) for their instructor or room,
 * each with the first such session; the times reported are those the edit would have given.
 */
export async function selectUpdateConflicts(tx: Tx, scheduleId: string, sessionIds: string[]): Promise<OccurrenceConflict[]> {
  if (sessionIds.length === 0) return [];
  const { rows } = await tx.query<OccurrenceConflict>(
    `select t.session_date::text as session_date, o.starts::text as start_time, c.session_id as conflicting_session_id, c.resource,
            t.id as session_id
       from course_schedules s
       join training_sessions t on t.id = any ($2::uuid[]),
            lateral (select (s.dtstart at time zone s.timezone)::time as starts,
                            (s.dtstart at time zone s.timezone)::time + make_interval(mins => s.duration_minutes) as ends) o,
            lateral (select session_id, resource
                       from app_schedule_conflicts(t.id, s.id, s.instructor_id, t.room_id,
                                                   app_session_time_range(s.location_id, t.session_date, o.starts, o.ends))
                      limit 1) c
      where s.id = $1
      order by t.session_date`,
    [scheduleId, sessionIds],
  );
  return rows;
}

/** The schedule's session standing for the occurrence of `day`, locked; none when the actor may not change it or there is none. */
export async function lockOccurrenceSession(tx: Tx, scheduleId: string, day: string): Promise<(ScheduledSession & { version: number; end_time: string }) | null> {
  const { rows } = await tx.query<ScheduledSession & { version: number; end_time: string }>(
    `select id, session_date, start_time, end_time, coalesce(occurrence_date, session_date) as occurrence_date, status,
            detached_from_schedule, max_capacity, current_enrollment, version
       from training_sessions
      where schedule_id = $1 and coalesce(occurrence_date, session_date) = $2::date
        for update`,
    [scheduleId, day],
  );
  return rows[0] ?? null;
}

/** Hands the sessions of a schedule from the occurrence of `fromDay` on to another schedule (a split series). */
export async function moveSessionsToSchedule(tx: Tx, fromScheduleId: string, toScheduleId: string, fromDay: string): Promise<void> {
  await tx.query(
    'update training_sessions set schedule_id = $2 where schedule_id = $1 and coalesce(occurrence_date, session_date) >= $3::date',
    [fromScheduleId, toScheduleId, fromDay],
  );
}

/**
 * Materialises occurrences as sessions with the schedule's current values. Idempotent: an occurrence
 * that already has a session (training_sessions_schedule_occurrence_date_key), or whose slot is taken
 * (training_sessions_schedule_occurrence_key), is skipped. Returns the sessions made.
 */
export async function insertOccurrences(tx: Tx, scheduleId: string, title: string, days: string[]): Promise<SessionRef[]> {
  if (days.length === 0) return [];
  const { rows } = await tx.query<SessionRef>(
    `insert into training_sessions (title, course_id, schedule_id, instructor_id, location_id, provider_id, session_date,
                                    start_time, end_time, max_capacity, self_enrollment_allowed, occurrence_date, created_by,
                                    eligibility_override_reason, eligibility_overridden_by)
     select $2, s.course_id, s.id, s.instructor_id, s.location_id, s.provider_id, day,
            (s.dtstart at time zone s.timezone)::time,
            (s.dtstart at time zone s.timezone)::time + make_interval(mins => s.duration_minutes),
            s.max_capacity, s.self_enrollment_allowed, day, app_user_id(), s.eligibility_override_reason, s.eligibility_overridden_by
       from course_schedules s, unnest($3::date[]) as day
      where s.id = $1
     on conflict do nothing
     returning id, session_date, start_time`,
    [scheduleId, title, days],
  );
  return rows;
}

export interface ScheduledSession extends SessionRef {
  /** The occurrence the session stands for. */
  occurrence_date: string;
  status: string;
  detached_from_schedule: boolean;
  max_capacity: number;
  current_enrollment: number;
}

/**
 * The schedule's sessions that have not begun yet (by their wall-clock start in `timezone`), locked
 * in date order. Under row-level security FOR UPDATE returns only the sessions the actor may change.
 */
export async function lockUpcomingSessions(tx: Tx, scheduleId: string, timezone: string): Promise<ScheduledSession[]> {
  const { rows } = await tx.query<ScheduledSession>(
    `select id, session_date, start_time, coalesce(occurrence_date, session_date) as occurrence_date, status,
            detached_from_schedule, max_capacity, current_enrollment
       from training_sessions
      where schedule_id = $1 and (session_date + start_time) at time zone $2 > now()
      order by session_date, start_time
        for update`,
    [scheduleId, timezone],
  );
  return rows;
}

/**
 * Gives sessions the schedule's instructor, location, times and self-enrollment (not capacity: that
 * goes through set_session_capacity, which promotes from the waitlist). Returns the sessions that changed.
 */
export async function applyScheduleToSessions(tx: Tx, scheduleId: string, sessionIds: string[]): Promise<SessionRef[]> {
  if (sessionIds.length === 0) return [];
  const { rows } = await tx.query<SessionRef>(
    `with schedule as (
       select s.instructor_id, s.location_id, s.provider_id, s.self_enrollment_allowed, s.eligibility_override_reason, s.eligibility_overridden_by,
              (s.dtstart at time zone s.timezone)::time as start_time,
              (s.dtstart at time zone s.timezone)::time + make_interval(mins => s.duration_minutes) as end_time
         from course_schedules s where s.id = $1)
     update training_sessions t
        set instructor_id = schedule.instructor_id, location_id = schedule.location_id, provider_id = schedule.provider_id,
            start_time = schedule.start_time, end_time = schedule.end_time,
            self_enrollment_allowed = schedule.self_enrollment_allowed, occurrence_date = coalesce(t.occurrence_date, t.session_date),
            eligibility_override_reason = schedule.eligibility_override_reason, eligibility_overridden_by = schedule.eligibility_overridden_by
       from schedule
      where t.id = any ($2::uuid[])
        and (t.instructor_id, t.location_id, t.provider_id, t.start_time, t.end_time, t.self_enrollment_allowed, t.occurrence_date,
             t.eligibility_override_reason, t.eligibility_overridden_by)
            is distinct from (schedule.instructor_id, schedule.location_id, schedule.provider_id, schedule.start_time,
                              schedule.end_time, schedule.self_enrollment_allowed, coalesce(t.occurrence_date, t.session_date),
                              schedule.eligibility_override_reason, schedule.eligibility_overridden_by)
     returning t.id, t.session_date, t.start_time`,
    [scheduleId, sessionIds],
  );
  return rows;
}

/** The enrollments module's capacity change (migration 0012): raising it promotes from the waitlist. */
export async function setSessionCapacity(tx: Tx, sessionId: string, capacity: number): Promise<void> {
  await tx.query('select promoted from set_session_capacity($1, $2)', [sessionId, capacity]);
}
