import { randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type WorldCaller, freeEveryBooking, plusDays, type TrainingWorld, useTrainingWorld } from '../../../test/world.js';

// Real HTTP on a real database: schedules created, read, edited and extended by every role, and the
// sessions they generate as stored. Days are relative to the database's today in Europe/Paris.
const context = useTrainingWorld();
let world: TrainingWorld;
beforeAll(() => {
  world = context.world;
});
// These tests are about recurrence, not double-booking: each starts with the instructors free.
beforeEach(() => freeEveryBooking(context.db));

/** The days from `from` to `to` (inclusive) falling on the given weekdays (0 = Sunday): an oracle independent of rrule. */
function weekdaysBetween(from: string, to: string, weekdays: number[]): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = plusDays(day, 1)) if (weekdays.includes(new Date(`${day}T00:00:00Z`).getUTCDay())) days.push(day);
  return days;
}

interface ScheduleJson {
  id: string;
  version: number;
  status: string;
  generated_through: string | null;
  [field: string]: unknown;
}
interface SessionRefJson {
  id: string;
  session_date: string;
  start_time: string;
}
interface ChangeJson {
  schedule: ScheduleJson;
  sessions: { created: SessionRefJson[]; updated: SessionRefJson[]; cancelled: SessionRefJson[]; left_alone: unknown[]; capacity_kept: unknown[] };
}

const scheduleBody = (fields: Record<string, unknown> = {}) => ({
  course_id: world.courseId,
  instructor_id: world.users.IC.id,
  location_id: world.locationId,
  rrule: 'FREQ=WEEKLY;BYDAY=TU,TH',
  start_date: plusDays(world.today, 1),
  start_time: '09:00',
  duration_minutes: 90,
  max_capacity: 12,
  generate_until: plusDays(world.today, 28),
  ...fields,
});

async function createAs(caller: WorldCaller, fields: Record<string, unknown> = {}): Promise<ChangeJson> {
  const response = await world.call(caller, 'POST', '/v1/schedules', scheduleBody(fields));
  expect(response.statusCode, response.body).toBe(201);
  return response.json<ChangeJson>();
}

async function sessionsOf(scheduleId: string) {
  const { rows } = await context.db.query<Record<string, unknown>>(
    `select id, title, session_date, start_time, end_time, instructor_id, location_id, provider_id, max_capacity, self_enrollment_allowed,
            occurrence_date, status, detached_from_schedule
       from training_sessions where schedule_id = $1 order by session_date`,
    [scheduleId],
  );
  return rows;
}

const scheduleCount = async () => (await context.db.query<{ n: number }>('select count(*)::integer as n from course_schedules')).rows[0]!.n;

describe('POST /v1/schedules', () => {
  it('creates weekly classes and generates one session per occurrence up to generate_until', async () => {
    const response = await world.call('AP', 'POST', '/v1/schedules', scheduleBody({ self_enrollment_allowed: true }));
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['etag']).toBe('"1"');
    const { schedule, sessions } = response.json<ChangeJson>();
    expect(schedule).toMatchObject({
      rrule: 'FREQ=WEEKLY;BYDAY=TU,TH', timezone: 'Europe/Paris', start_date: plusDays(world.today, 1), start_time: '09:00', duration_minutes: 90,
      max_capacity: 12, self_enrollment_allowed: true, until: null, generated_through: plusDays(world.today, 28), status: 'ACTIVE',
      provider_id: world.providerId, created_by: world.users.AP.id, version: 1,
    });
    const expectedDays = weekdaysBetween(plusDays(world.today, 1), plusDays(world.today, 28), [2, 4]);
    expect(sessions.created.map((session) => session.session_date)).toEqual(expectedDays);
    expect(sessions).toMatchObject({ updated: [], cancelled: [], left_alone: [], capacity_kept: [] });
    const stored = await sessionsOf(schedule.id);
    expect(stored.map((session) => session['session_date'])).toEqual(expectedDays);
    for (const session of stored) {
      expect(session).toMatchObject({
        title: 'First aid at work', start_time: '09:00:00', end_time: '10:30:00', instructor_id: world.users.IC.id, location_id: world.locationId,
        provider_id: world.providerId, max_capacity: 12, self_enrollment_allowed: true, occurrence_date: session['session_date'], status: 'SCHEDULED',
        detached_from_schedule: false,
      });
    }
    const { rows: events } = await context.db.query<{ event_type: string; payload: { created: string[] } }>(
      "select event_type, payload from domain_events where aggregate_type = 'schedule' and aggregate_id = $1",
      [schedule.id],
    );
    expect(events).toEqual([{ event_type: 'schedule.created', payload: expect.objectContaining({ created: stored.map((session) => session['id']) }) }]);
  });

  it('generates a five-day course as five consecutive sessions', async () => {
    const start = plusDays(world.today, 10);
    const { sessions } = await createAs('AD', { rrule: 'FREQ=DAILY;COUNT=5', start_date: start, generate_until: undefined });
    expect(sessions.created.map((session) => session.session_date)).toEqual([0, 1, 2, 3, 4].map((offset) => plusDays(start, offset)));
  });

  it('stops at the schedule’s last day, and defaults to 90 days ahead', async () => {
    const start = plusDays(world.today, 1);
    const { schedule, sessions } = await createAs('SA', { rrule: 'FREQ=WEEKLY;BYDAY=MO,WE,FR', until: plusDays(start, 20), generate_until: undefined });
    expect(schedule).toMatchObject({ until: plusDays(start, 20), generated_through: plusDays(world.today, 90) });
    expect(sessions.created.map((session) => session.session_date)).toEqual(weekdaysBetween(start, plusDays(start, 20), [1, 3, 5]));
    const daily = await createAs('SA', { rrule: 'FREQ=DAILY', generate_until: undefined, start_time: '18:00' });
    expect(daily.sessions.created).toHaveLength(90);
    expect(daily.sessions.created.at(-1)!.session_date).toBe(plusDays(world.today, 90));
  });

  it('keeps a 09:00 Europe/Paris class at 09:00 local across daylight-saving changes', async () => {
    const { schedule } = await createAs('SA', { rrule: 'FREQ=WEEKLY;BYDAY=MO', start_time: '09:00', generate_until: plusDays(world.today, 366) });
    const stored = await sessionsOf(schedule.id);
    expect(stored.length).toBeGreaterThanOrEqual(52);
    expect(new Set(stored.map((session) => session['start_time']))).toEqual(new Set(['09:00:00']));
    // A year holds both winter (UTC+1) and summer (UTC+2) time: the same wall clock is two different UTC hours.
    const { rows } = await context.db.query<{ utc: string }>(
      `select distinct to_char((session_date + start_time) at time zone 'Europe/Paris' at time zone 'UTC', 'HH24:MI') as utc
         from training_sessions where schedule_id = $1 order by 1`,
      [schedule.id],
    );
    expect(rows.map((row) => row.utc)).toEqual(['07:00', '08:00']);
    const { rows: start } = await context.db.query<{ dtstart: string }>(
      `select to_char(dtstart at time zone 'Europe/Paris', 'YYYY-MM-DD HH24:MI') as dtstart from course_schedules where id = $1`,
      [schedule.id],
    );
    expect(start[0]!.dtstart).toBe(`${plusDays(world.today, 1)} 09:00`);
  });

  it('takes the time zone it is given rather than the location’s', async () => {
    const { schedule, sessions } = await createAs('SA', { timezone: 'America/New_York', rrule: 'FREQ=DAILY;COUNT=2', start_date: plusDays(world.today, 3) });
    expect(schedule.timezone).toBe('America/New_York');
    expect(sessions.created.map((session) => session.start_time)).toEqual(['09:00:00', '09:00:00']);
  });

  it('lets administrators create anywhere and an AP at their own locations; the others get 403, signed out 401', async () => {
    const expected: Record<WorldCaller, number> = { SA: 201, AD: 201, AP: 201, otherAP: 403, IC: 403, IP: 403, IT: 403, IN: 403, anon: 401 };
    for (const [caller, status] of Object.entries(expected) as [WorldCaller, number][]) {
      const response = await world.call(caller, 'POST', '/v1/schedules', scheduleBody({ rrule: 'FREQ=DAILY;COUNT=1' }));
      expect(response.statusCode, `${caller}: ${response.body}`).toBe(status);
    }
    // At its own location, but the world's IC works for the first provider only: an AP assigns its own instructors (decision 0023).
    expect((await world.call('otherAP', 'POST', '/v1/schedules', scheduleBody({ location_id: world.otherLocationId }))).statusCode).toBe(403);
    await context.db.query('insert into provider_members (provider_id, user_id) select provider_id, $2 from provider_locations where location_id = $1', [world.otherLocationId, world.users.IC.id]);
    expect((await world.call('otherAP', 'POST', '/v1/schedules', scheduleBody({ location_id: world.otherLocationId }))).statusCode).toBe(201);
    await context.db.query('delete from provider_members where user_id = $1', [world.users.IC.id]);
  });

  it.each<[Record<string, unknown>, number, string]>([
    [{ rrule: 'FREQ=WEEKLY;BYDAY=XX' }, 400, 'body.rrule'],
    [{ rrule: 'FREQ=HOURLY' }, 400, 'body.rrule'],
    [{ rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30' }, 400, 'body.rrule'],
    [{ rrule: 'x'.repeat(501) }, 400, 'body.rrule'],
    [{ timezone: 'Mars/Olympus' }, 400, 'body.timezone'],
    [{ timezone: 'Europe/Paris; drop table courses' }, 400, 'body.timezone'],
    [{ start_time: '9am' }, 400, 'body.start_time'],
    [{ start_time: '23:00', duration_minutes: 60 }, 400, 'body.duration_minutes'],
    [{ duration_minutes: 0 }, 400, 'body.duration_minutes'],
    [{ max_capacity: 0 }, 400, 'body.max_capacity'],
    [{ start_date: '2031-02-29' }, 400, 'body.start_date'],
    [{ start_date: '3031-01-01' }, 400, 'body.start_date'],
    [{ until: 'soon' }, 400, 'body.until'],
    [{ start_date: '2031-01-10', until: '2031-01-09' }, 400, 'body.until'],
    [{ generate_until: '2099-01-01' }, 400, 'body.generate_until'],
    [{ course_id: '00000000-0000-4000-8000-000000000000' }, 422, 'body.course_id'],
    [{ instructor_id: 'IT' }, 422, 'body.instructor_id'],
    [{ location_id: '00000000-0000-4000-8000-000000000000' }, 422, 'body.location_id'],
    [{ status: 'PAUSED' }, 400, 'body.status'],
  ])('refuses %j with %i naming %s, and writes nothing', async (fields, status, field) => {
    const before = await scheduleCount();
    const body = scheduleBody(fields['instructor_id'] === 'IT' ? { instructor_id: world.users.IT.id } : fields);
    const response = await world.call('SA', 'POST', '/v1/schedules', body);
    expect(response.statusCode, response.body).toBe(status);
    expect(response.json().error.details.field).toBe(field);
    expect(await scheduleCount()).toBe(before);
  });

  it('needs a PUBLISHED course', async () => {
    for (const [courseId, code] of [[world.draftCourseId, 'CONFLICT'], [world.archivedCourseId, 'CONFLICT']] as const) {
      const response = await world.call('SA', 'POST', '/v1/schedules', scheduleBody({ course_id: courseId }));
      expect(response.statusCode).toBe(409);
      expect(response.json().error).toMatchObject({ code, details: { field: 'body.course_id' } });
    }
  });
});

describe('GET /v1/schedules and /v1/schedules/:id', () => {
  it('shows each role the schedules the access matrix gives it', async () => {
    const own = (await createAs('AP', { rrule: 'FREQ=DAILY;COUNT=1' })).schedule;
    const elsewhere = (await createAs('SA', { rrule: 'FREQ=DAILY;COUNT=1', location_id: world.otherLocationId, instructor_id: world.users.IP.id })).schedule;
    const expected: Record<Exclude<WorldCaller, 'anon'>, string[]> = {
      SA: [own.id, elsewhere.id], AD: [own.id, elsewhere.id], AP: [own.id], otherAP: [elsewhere.id], IC: [own.id], IP: [elsewhere.id], IT: [], IN: [],
    };
    for (const [caller, ids] of Object.entries(expected) as [Exclude<WorldCaller, 'anon'>, string[]][]) {
      const page = (await world.call(caller, 'GET', `/v1/schedules?course_id=${world.courseId}&limit=500`)).json<{ items: ScheduleJson[]; total: number }>();
      const listed = page.items.map((item) => item.id);
      expect([own.id, elsewhere.id].filter((id) => listed.includes(id)).sort(), caller).toEqual([...ids].sort());
      expect(page.total).toBe(page.items.length);
      const read = await world.call(caller, 'GET', `/v1/schedules/${own.id}`);
      expect(read.statusCode, caller).toBe(ids.includes(own.id) ? 200 : 404);
      if (read.statusCode === 200) expect(read.headers['etag']).toBe('"1"');
    }
    expect((await world.call('anon', 'GET', '/v1/schedules')).statusCode).toBe(401);
  });

  it('filters by instructor, location and status, and pages with cursors', async () => {
    const instructor = world.users.IP.id;
    const made = [];
    for (let index = 0; index < 3; index += 1) made.push((await createAs('SA', { rrule: 'FREQ=DAILY;COUNT=1', instructor_id: instructor, location_id: world.otherLocationId })).schedule.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/schedules?instructor_id=${instructor}&location_id=${world.otherLocationId}&status=ACTIVE&limit=2&sort=created_at&direction=desc${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await world.call('AD', 'GET', url)).json<{ items: ScheduleJson[]; next_cursor: string | null; total: number }>();
      seen.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.slice(0, 3)).toEqual([...made].reverse());
    expect((await world.call('AD', 'GET', '/v1/schedules?status=OVER')).statusCode).toBe(400);
  });
});

describe('PATCH /v1/schedules/:id', () => {
  it('is for administrators and the AP of its location: 404 for who cannot see it, 403 for who can but may not', async () => {
    const { schedule } = await createAs('AP', { rrule: 'FREQ=DAILY;COUNT=2' });
    const expected: Record<WorldCaller, number> = { SA: 200, AD: 200, AP: 200, otherAP: 404, IC: 403, IP: 403, IT: 403, IN: 403, anon: 401 };
    for (const [caller, status] of Object.entries(expected) as [WorldCaller, number][]) {
      const { rows } = await context.db.query<{ version: number }>('select version from course_schedules where id = $1', [schedule.id]);
      const response = await world.call(caller, 'PATCH', `/v1/schedules/${schedule.id}`, { version: rows[0]!.version });
      expect(response.statusCode, `${caller}: ${response.body}`).toBe(status);
    }
  });

  it('takes the version read, as a field or If-Match; a stale one gets 409 with the current schedule', async () => {
    const { schedule } = await createAs('SA', { rrule: 'FREQ=DAILY;COUNT=2' });
    const changed = await world.call('AP', 'PATCH', `/v1/schedules/${schedule.id}`, { max_capacity: 20, version: 1 });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.headers['etag']).toBe('"2"');
    expect(changed.json<ChangeJson>().schedule).toMatchObject({ max_capacity: 20, version: 2 });
    const stale = await world.call('AD', 'PATCH', `/v1/schedules/${schedule.id}`, { max_capacity: 5, version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'VERSION_CONFLICT', details: { field: 'body.version', current: { id: schedule.id, max_capacity: 20, version: 2 } } });
    expect((await world.call('AD', 'PATCH', `/v1/schedules/${schedule.id}`, { max_capacity: 6 }, { 'if-match': '"2"' })).json().schedule.version).toBe(3);
    expect((await world.call('AD', 'PATCH', `/v1/schedules/${schedule.id}`, { max_capacity: 7 })).json().error).toMatchObject({ details: { field: 'body.version' } });
  });

  it.each<[Record<string, unknown>, number, string]>([
    [{ rrule: 'FREQ=WEEKLY;BYHOUR=9' }, 400, 'body.rrule'],
    [{ timezone: 'Nowhere/Special' }, 400, 'body.timezone'],
    [{ start_time: '23:30' }, 400, 'body.duration_minutes'],
    [{ until: '2000-01-01' }, 400, 'body.until'],
    [{ status: 'DONE' }, 400, 'body.status'],
    [{ course_id: '00000000-0000-4000-8000-000000000000' }, 400, 'body.course_id'],
    [{ generated_until: '2031-01-01T00:00:00Z' }, 400, 'body.generated_until'],
    [{ instructor_id: 'IN' }, 422, 'body.instructor_id'],
  ])('refuses %j with %i naming %s', async (fields, status, field) => {
    const { schedule } = await createAs('SA', { rrule: 'FREQ=DAILY;COUNT=2' });
    const body = fields['instructor_id'] === 'IN' ? { instructor_id: world.users.IN.id } : fields;
    const response = await world.call('SA', 'PATCH', `/v1/schedules/${schedule.id}`, { ...body, version: 1 });
    expect(response.statusCode, response.body).toBe(status);
    expect(response.json().error.details.field).toBe(field);
    expect((await world.call('SA', 'GET', `/v1/schedules/${schedule.id}`)).json().version).toBe(1);
  });
});

describe('POST /v1/schedules/:id/generate', () => {
  it('extends the sessions to a later day, idempotently, never moving generated_through back', async () => {
    const start = plusDays(world.today, 1);
    const { schedule, sessions } = await createAs('AP', { rrule: 'FREQ=DAILY', start_date: start, generate_until: plusDays(start, 4) });
    expect(sessions.created).toHaveLength(5);
    const extended = await world.call('AP', 'POST', `/v1/schedules/${schedule.id}/generate`, { until: plusDays(start, 9) });
    expect(extended.statusCode, extended.body).toBe(200);
    expect(extended.json<ChangeJson>().sessions.created.map((session) => session.session_date)).toEqual([5, 6, 7, 8, 9].map((offset) => plusDays(start, offset)));
    expect(extended.json<ChangeJson>().schedule).toMatchObject({ generated_through: plusDays(start, 9), version: 2 });
    const again = await world.call('AD', 'POST', `/v1/schedules/${schedule.id}/generate`, { until: plusDays(start, 9) });
    expect(again.json<ChangeJson>().sessions.created).toEqual([]);
    const shorter = await world.call('AD', 'POST', `/v1/schedules/${schedule.id}/generate`, { until: plusDays(start, 2) });
    expect(shorter.json<ChangeJson>()).toMatchObject({ schedule: { generated_through: plusDays(start, 9) }, sessions: { created: [] } });
    const stored = await sessionsOf(schedule.id);
    expect(stored.map((session) => session['session_date'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((offset) => plusDays(start, offset)));
  });

  it('is for administrators and the AP of its location', async () => {
    const { schedule } = await createAs('AP', { rrule: 'FREQ=DAILY;COUNT=1' });
    const expected: Record<WorldCaller, number> = { SA: 200, AD: 200, AP: 200, otherAP: 404, IC: 403, IP: 403, IT: 403, IN: 403, anon: 401 };
    for (const [caller, status] of Object.entries(expected) as [WorldCaller, number][]) {
      const response = await world.call(caller, 'POST', `/v1/schedules/${schedule.id}/generate`, { until: plusDays(world.today, 30) });
      expect(response.statusCode, `${caller}: ${response.body}`).toBe(status);
    }
  });

  it('refuses a paused schedule, an archived course, a day too far ahead, and a missing day', async () => {
    const { schedule } = await createAs('SA', { rrule: 'FREQ=DAILY', generate_until: plusDays(world.today, 2) });
    expect((await world.call('SA', 'POST', `/v1/schedules/${schedule.id}/generate`, { until: plusDays(world.today, 400) })).json().error).toMatchObject({
      code: 'VALIDATION_FAILED', details: { field: 'body.until' },
    });
    expect((await world.call('SA', 'POST', `/v1/schedules/${schedule.id}/generate`, {})).json().error.details.field).toBe('body.until');
    const paused = await world.call('SA', 'PATCH', `/v1/schedules/${schedule.id}`, { status: 'PAUSED', version: 1 });
    expect(paused.json<ChangeJson>().schedule.status).toBe('PAUSED');
    const refused = await world.call('SA', 'POST', `/v1/schedules/${schedule.id}/generate`, { until: plusDays(world.today, 20) });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'CONFLICT', details: { schedule_status: 'PAUSED' } });

    const { rows: [course] } = await context.db.query<{ id: string }>("insert into courses (code, title, duration_minutes) values ($1, 'Soon retired', 60) returning id", [`R-${randomUUID()}`]);
    await context.db.query(`insert into course_versions (course_id, version_number, snapshot) values ($1, 1, '{}')`, [course!.id]);
    await context.db.query(`update courses set status = 'PUBLISHED', published_at = now(), published_version = 1 where id = $1`, [course!.id]);
    // Another instructor: IC teaches the first schedule's sessions at the same times.
    const retiring = (await createAs('SA', { course_id: course!.id, instructor_id: world.users.IP.id, rrule: 'FREQ=DAILY', generate_until: plusDays(world.today, 2) })).schedule;
    await context.db.query(`update courses set status = 'ARCHIVED' where id = $1`, [course!.id]);
    const archived = await world.call('SA', 'POST', `/v1/schedules/${retiring.id}/generate`, { until: plusDays(world.today, 20) });
    expect(archived.statusCode).toBe(409);
    expect(archived.json().error.details.course_status).toBe('ARCHIVED');
    expect(await sessionsOf(retiring.id)).toHaveLength(2);
  });
});
