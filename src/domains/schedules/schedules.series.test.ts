import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freeEveryBooking, plusDays, type TrainingWorld, useTrainingWorld } from '../../../test/world.js';

// Real HTTP on a real database (either engine): editing one occurrence, this and the following ones,
// or all of a series, in the location's zone (Europe/Paris) across a daylight-saving change.
const context = useTrainingWorld();
let world: TrainingWorld;
/** The Monday before and the Monday after the next daylight-saving change in Europe (last Sunday of March or October). */
let mondayBefore: string;
let mondayAfter: string;
beforeAll(() => {
  world = context.world;
  const lastSunday = (year: number, month: number) => {
    const day = new Date(Date.UTC(year, month + 1, 0));
    day.setUTCDate(day.getUTCDate() - day.getUTCDay());
    return day.toISOString().slice(0, 10);
  };
  const year = Number(world.today.slice(0, 4));
  const change = [year, year + 1].flatMap((y) => [lastSunday(y, 2), lastSunday(y, 9)]).filter((day) => day > plusDays(world.today, 21)).sort()[0]!;
  mondayBefore = plusDays(change, -6);
  mondayAfter = plusDays(change, 1);
});
beforeEach(() => freeEveryBooking(context.db));

interface Ref { id: string; session_date: string; start_time: string }
interface Change {
  schedule: { id: string; version: number; start_date: string; until: string | null; rrule: string; start_time: string };
  previous_schedule?: { id: string; version: number; until: string | null; rrule: string };
  sessions: { created: Ref[]; updated: Ref[]; cancelled: Ref[]; left_alone: Ref[]; conflicts: (Ref & { conflicting_session_id: string; resource: string; session_id?: string })[] };
}

/** Six Mondays at 09:00 for an hour, the change between the third and the fourth. */
async function weeklySeries(): Promise<Change> {
  const response = await world.call('AD', 'POST', '/v1/schedules', {
    course_id: world.courseId, instructor_id: world.users.IC.id, location_id: world.locationId, rrule: 'FREQ=WEEKLY;COUNT=6',
    start_date: plusDays(mondayBefore, -14), start_time: '09:00', duration_minutes: 60, max_capacity: 10, generate_until: plusDays(mondayAfter, 21),
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<Change>();
}

interface Stored { id: string; schedule_id: string; session_date: string; local_start: string; utc_start: string; detached_from_schedule: boolean }
async function sessionsOf(...scheduleIds: string[]): Promise<Stored[]> {
  const { rows } = await context.db.query<Stored>(
    `select id, schedule_id, session_date::text as session_date, detached_from_schedule,
            to_char(lower(scheduled_during) at time zone 'Europe/Paris', 'HH24:MI') as local_start,
            to_char(lower(scheduled_during) at time zone 'UTC', 'HH24:MI') as utc_start
       from training_sessions where schedule_id = any ($1::uuid[]) and status <> 'CANCELLED' order by session_date`,
    [scheduleIds],
  );
  return rows;
}

const edit = (change: Change, body: object) => world.call('AD', 'PATCH', `/v1/schedules/${change.schedule.id}`, { ...body, version: change.schedule.version });

describe('series edits', () => {
  it('moves this and the following occurrences to 10:00 local across the change; the earlier ones keep 09:00 and the series is split', async () => {
    const series = await weeklySeries();
    const before = await sessionsOf(series.schedule.id);
    expect(before.map((s) => s.local_start)).toEqual(Array(6).fill('09:00'));

    const response = await edit(series, { scope: 'following', occurrence_date: mondayBefore, start_time: '10:00' });
    expect(response.statusCode, response.body).toBe(200);
    const { schedule, previous_schedule: previous, sessions } = response.json<Change>();
    expect(previous).toMatchObject({ id: series.schedule.id, until: plusDays(mondayBefore, -1), version: series.schedule.version + 1 });
    expect(schedule).toMatchObject({ start_date: mondayBefore, start_time: '10:00', rrule: 'FREQ=WEEKLY;COUNT=4' });
    expect(sessions.updated.map((ref) => ref.session_date)).toEqual([0, 7, 14, 21].map((days) => plusDays(mondayBefore, days)));
    expect(sessions.created).toEqual([]);
    expect(sessions.cancelled).toEqual([]);

    const after = await sessionsOf(series.schedule.id, schedule.id);
    // The same six sessions (enrollments stay with them): two on the old series, four on the new one.
    expect(after.map((s) => s.id)).toEqual(before.map((s) => s.id));
    expect(after.map((s) => [s.schedule_id === schedule.id, s.local_start])).toEqual([
      [false, '09:00'], [false, '09:00'], [true, '10:00'], [true, '10:00'], [true, '10:00'], [true, '10:00'],
    ]);
    const [, , lastBefore, firstAfter] = after;
    expect(lastBefore!.session_date).toBe(mondayBefore);
    expect(firstAfter!.session_date).toBe(mondayAfter);
    // Wall-clock 10:00 on both sides: the instants are an hour apart in UTC.
    expect(lastBefore!.utc_start).not.toBe(firstAfter!.utc_start);
    expect(after.every((s) => !s.detached_from_schedule)).toBe(true);
  });

  it('keeps 09:00 local on both sides when all of a series moves a day', async () => {
    const series = await weeklySeries();
    const response = await edit(series, { scope: 'all', rrule: 'FREQ=WEEKLY;BYDAY=TU;COUNT=6' });
    expect(response.statusCode, response.body).toBe(200);
    const moved = await sessionsOf(series.schedule.id);
    expect(moved.map((s) => s.session_date)).toContain(plusDays(mondayAfter, 1));
    expect(new Set(moved.map((s) => s.local_start))).toEqual(new Set(['09:00']));
  });

  it('reports SCHEDULE_CONFLICT per occurrence: the session whose new time collides keeps its old one, the others move', async () => {
    const series = await weeklySeries();
    const busy = await world.call('AD', 'POST', '/v1/sessions', {
      course_id: world.courseId, instructor_id: world.users.IC.id, location_id: world.otherLocationId,
      session_date: mondayAfter, start_time: '10:30', end_time: '11:30', max_capacity: 5,
    });
    expect(busy.statusCode, busy.body).toBe(201);
    const blocked = (await sessionsOf(series.schedule.id)).find((s) => s.session_date === mondayAfter)!;

    const response = await edit(series, { scope: 'following', occurrence_date: mondayBefore, start_time: '10:00' });
    expect(response.statusCode, response.body).toBe(200);
    const { schedule, sessions } = response.json<Change>();
    expect(sessions.conflicts).toEqual([
      { session_date: mondayAfter, start_time: '10:00:00', conflicting_session_id: busy.json<{ id: string }>().id, resource: 'instructor', session_id: blocked.id },
    ]);
    expect(sessions.updated.map((ref) => ref.session_date)).toEqual([0, 14, 21].map((days) => plusDays(mondayBefore, days)));
    const after = await sessionsOf(schedule.id);
    expect(after.map((s) => [s.session_date, s.local_start])).toEqual([
      [mondayBefore, '10:00'], [mondayAfter, '09:00'], [plusDays(mondayAfter, 7), '10:00'], [plusDays(mondayAfter, 14), '10:00'],
    ]);
  });

  it('edits one occurrence alone, by hand, leaving the series as it was; series fields are refused for it', async () => {
    const series = await weeklySeries();
    const response = await edit(series, { scope: 'this', occurrence_date: mondayAfter, start_time: '14:00', instructor_id: world.users.IP.id });
    expect(response.statusCode, response.body).toBe(200);
    const { schedule, sessions } = response.json<Change>();
    expect(schedule.version).toBe(series.schedule.version);
    expect(sessions.updated.map((ref) => [ref.session_date, ref.start_time])).toEqual([[mondayAfter, '14:00:00']]);
    const stored = await sessionsOf(series.schedule.id);
    expect(stored.map((s) => [s.session_date, s.local_start, s.detached_from_schedule]).filter(([, , detached]) => detached)).toEqual([[mondayAfter, '14:00', true]]);
    expect(stored.filter((s) => s.local_start === '09:00')).toHaveLength(5);

    const refused = await edit(series, { scope: 'this', occurrence_date: mondayAfter, rrule: 'FREQ=DAILY' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.details.field).toBe('body.rrule');
    const noDay = await edit(series, { scope: 'following', start_time: '11:00' });
    expect(noDay.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.occurrence_date' } });
  });
});
