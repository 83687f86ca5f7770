import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearer, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { testEngine } from '../../../test/engine.js';
import { enrollmentState, enrollStudents, freeEveryBooking, plusDays, type TrainingWorld, useTrainingWorld } from '../../../test/world.js';

// Real concurrency needs real PostgreSQL (PGlite has one connection): requests in flight together
// through the application, a pool of connections contending for the same rows.
const onPostgres = testEngine === 'postgres';
const context = useTrainingWorld();
let world: TrainingWorld;
beforeAll(() => {
  world = context.world;
});
// Each test starts with the instructors free (migration 0039 refuses overlapping bookings).
beforeEach(() => freeEveryBooking(context.db));


async function newSession(capacity: number): Promise<string> {
  const response = await world.call('SA', 'POST', '/v1/sessions', {
    course_id: world.courseId, instructor_id: world.users.IC.id, location_id: world.locationId, session_date: plusDays(world.today, 7),
    start_time: '09:00', end_time: '12:00', max_capacity: capacity, self_enrollment_allowed: true,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string }>().id;
}

describe.runIf(onPostgres)('sessions and schedules under concurrency', () => {
  it('books an instructor once when two overlapping sessions are created together', async () => {
    const day = plusDays(world.today, 30);
    const body = (start_time: string, end_time: string, location_id: string) => ({
      course_id: world.courseId, instructor_id: world.users.IC.id, location_id, session_date: day, start_time, end_time, max_capacity: 8,
    });
    // Different locations, different times, one instructor: only the exclusion constraint can tell.
    const answers = await Promise.all([
      world.call('SA', 'POST', '/v1/sessions', body('09:00', '12:00', world.locationId)),
      world.call('AD', 'POST', '/v1/sessions', body('11:00', '14:00', world.otherLocationId)),
    ]);
    expect(answers.map((answer) => answer.statusCode).sort(), answers.map((answer) => answer.body).join('\n')).toEqual([201, 409]);
    const winner = answers.find((answer) => answer.statusCode === 201)!.json<{ id: string }>();
    const loser = answers.find((answer) => answer.statusCode === 409)!.json<{ error: { code: string; details: Record<string, unknown> } }>();
    expect(loser.error).toMatchObject({ code: 'SCHEDULE_CONFLICT', details: { conflicting_session_id: winner.id, resource: 'instructor' } });
    const { rows } = await context.db.query<{ n: number }>(
      "select count(*)::integer as n from training_sessions where instructor_id = $1 and session_date = $2 and status <> 'CANCELLED'",
      [world.users.IC.id, day],
    );
    expect(rows[0]!.n).toBe(1);
  });


  it('lets exactly one of two concurrent session changes at the same version win', async () => {
    const id = await newSession(10);
    const answers = await Promise.all(['Morning', 'Evening'].map((title) => world.call('AP', 'PATCH', `/v1/sessions/${id}`, { title, version: 1 })));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 409]);
    const loser = answers.find((answer) => answer.statusCode === 409)!;
    expect(loser.json().error).toMatchObject({ code: 'VERSION_CONFLICT', details: { current: { version: 2 } } });
    expect((await world.call('SA', 'GET', `/v1/sessions/${id}`)).json().version).toBe(2);
  });

  it('lets exactly one of two concurrent schedule edits at the same version win', async () => {
    const created = await world.call('SA', 'POST', '/v1/schedules', {
      course_id: world.courseId, instructor_id: world.users.IC.id, location_id: world.locationId, rrule: 'FREQ=DAILY', start_date: plusDays(world.today, 1),
      start_time: '09:00', duration_minutes: 60, max_capacity: 10, generate_until: plusDays(world.today, 10),
    });
    const scheduleId = created.json<{ schedule: { id: string } }>().schedule.id;
    const answers = await Promise.all(['10:00', '15:00'].map((start_time) => world.call('AD', 'PATCH', `/v1/schedules/${scheduleId}`, { start_time, version: 1 })));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 409]);
    const winner = answers.find((answer) => answer.statusCode === 200)!.json<{ schedule: { start_time: string } }>().schedule.start_time;
    const { rows } = await context.db.query<{ start_time: string }>('select distinct start_time from training_sessions where schedule_id = $1', [scheduleId]);
    expect(rows).toEqual([{ start_time: `${winner}:00` }]);
  });

  it('generates each occurrence once when two extensions race', async () => {
    const created = await world.call('SA', 'POST', '/v1/schedules', {
      course_id: world.courseId, instructor_id: world.users.IC.id, location_id: world.locationId, rrule: 'FREQ=DAILY', start_date: plusDays(world.today, 1),
      start_time: '09:00', duration_minutes: 60, max_capacity: 10, generate_until: plusDays(world.today, 2),
    });
    const scheduleId = created.json<{ schedule: { id: string } }>().schedule.id;
    const answers = await Promise.all([20, 20, 25].map((days) => world.call('AP', 'POST', `/v1/schedules/${scheduleId}/generate`, { until: plusDays(world.today, days) })));
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200]);
    const created_ = answers.flatMap((answer) => answer.json<{ sessions: { created: unknown[] } }>().sessions.created);
    expect(created_).toHaveLength(23);
    const { rows } = await context.db.query<{ n: number; days: number }>(
      'select count(*)::integer as n, count(distinct session_date)::integer as days from training_sessions where schedule_id = $1',
      [scheduleId],
    );
    expect(rows[0]).toEqual({ n: 25, days: 25 });
  });

  /**
   * Cancels at the version read, as a client does, taking the current version from each 409: every
   * enrollment racing it moves the session's version on. At most one retry per enrollment.
   */
  async function cancelAtLatestVersion(id: string, reason: string) {
    let version = (await world.call('IC', 'GET', `/v1/sessions/${id}`)).json<{ version: number }>().version;
    for (let attempt = 0; ; attempt += 1) {
      const answer = await world.call('IC', 'POST', `/v1/sessions/${id}/cancel`, { reason, version });
      if (answer.statusCode !== 409 || attempt === 60) return answer;
      version = answer.json<{ error: { details: { current: { version: number } } } }>().error.details.current.version;
    }
  }

  it('leaves no one enrolled and the counter at 0 when a cancellation races enrollments', async () => {
    const id = await newSession(5);
    const { rows: students } = await context.db.query<{ id: string }>(
      `insert into users (email_ciphertext, email_hmac, role)
       select 'not-encrypted-test-value', 'student-' || gen_random_uuid(), 'IN' from generate_series(1, 40) returning id`,
    );
    const tokens = await Promise.all(students.map((student) => mintAccessToken(testKeyring, { userId: student.id, role: 'IN' })));
    // Some students are in before anything starts (5 seated, 3 waitlisted)…
    const settled = await enrollStudents(context.db, world, id, 8);
    // …then 20 enroll; once a few are answered the cancellation goes out together with 20 more.
    const enroll = (token: string) => context.app.inject({ method: 'POST', url: `/v1/sessions/${id}/enrollments`, headers: bearer(token), payload: {} });
    let answered = 0;
    let secondWave: () => void = () => undefined;
    const fewAnswered = new Promise<void>((resolve) => (secondWave = resolve));
    const first = tokens.slice(0, 20).map(async (token) => {
      const answer = await enroll(token);
      answered += 1;
      if (answered === 3) secondWave();
      return answer;
    });
    await fewAnswered;
    const [cancelled, ...second] = await Promise.all([
      cancelAtLatestVersion(id, 'Storm warning'),
      ...tokens.slice(20).map(enroll),
    ]);
    const answers = [...(await Promise.all(first)), ...second];

    expect(cancelled!.statusCode, cancelled!.body).toBe(200);
    // Before the cancellation: a seat or the waitlist. After it, a refusal: 409 (the session takes no
    // enrollments), 404 (a cancelled session is no longer open to the student), or 403 when the
    // cancellation commits between the enrollment function's visibility and permission checks.
    for (const answer of answers) expect([201, 403, 404, 409], answer.body).toContain(answer.statusCode);
    const state = await enrollmentState(context.db, id);
    expect(state.counter).toBe(0);
    expect(state.status).toBe('CANCELLED');
    expect(Object.keys(state.statuses).filter((status) => status !== 'CANCELLED')).toEqual([]);
    // Every enrollment that got in before the cancellation was cancelled by it, with its event.
    const admitted = settled.length + answers.filter((answer) => answer.statusCode === 201).length;
    expect(state.statuses['CANCELLED'] ?? 0).toBe(admitted);
    const { rows: events } = await context.db.query<{ n: number }>(
      `select count(*)::integer as n from domain_events e join session_enrollments s on s.id = e.aggregate_id
        where s.session_id = $1 and e.event_type = 'enrollment.cancelled'`,
      [id],
    );
    expect(events[0]!.n).toBe(admitted);
  }, 60_000);
});
