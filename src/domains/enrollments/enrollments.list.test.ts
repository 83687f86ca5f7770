import { beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/auth.js';
import { createEnrollmentWorld, createSession, createStudents, type EnrollmentWorld, studentToken } from '../../../test/world.js';
import { listAll } from '../../../test/http-resources.js';
import { useTestApp } from '../../../test/test-app.js';

// Enrollment lists through the real API: row-level security decides the rows, the API pages them.
// (Every fixture role against the access matrix: src/platform/http/access-matrix.http.test.ts.)
const context = useTestApp();
let world: EnrollmentWorld;
let sessionId: string;
let otherSessionId: string;
let students: string[];
let enrollmentIds: string[];

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
  sessionId = await createSession(context.db, world, { capacity: 3 });
  otherSessionId = await createSession(context.db, world, { capacity: 3, selfEnrollment: false, locationId: world.otherLocationId });
  students = await createStudents(context.db, 5);
  const enrolled = await context.app.inject({
    method: 'POST', url: `/v1/sessions/${sessionId}/enrollments/batch`, headers: bearer(world.tokens.sa),
    payload: { students: students.map((id) => ({ student_id: id })) },
  });
  enrollmentIds = enrolled.json().results.map((result: { enrollment_id: string }) => result.enrollment_id);
  await context.app.inject({
    method: 'POST', url: `/v1/sessions/${otherSessionId}/enrollments/batch`, headers: bearer(world.tokens.sa), payload: { students: [{ student_id: students[0] }] },
  });
});

const get = (token: string | null, url: string) => context.app.inject({ method: 'GET', url, headers: token ? bearer(token) : {} });
const ids = (items: Record<string, unknown>[]) => items.map((item) => String(item['id'])).sort();

describe('GET /v1/enrollments', () => {
  it('filters, sorts, pages with a cursor and counts what matches', async () => {
    const waitlisted = await get(world.tokens.sa, `/v1/enrollments?session_id=${sessionId}&status=WAITLISTED`);
    expect(waitlisted.statusCode).toBe(200);
    expect(waitlisted.json()).toMatchObject({ total: 2, next_cursor: null });
    expect(ids(waitlisted.json().items)).toEqual(enrollmentIds.slice(3).sort());

    const first = await get(world.tokens.sa, `/v1/enrollments?session_id=${sessionId}&sort=created_at&direction=desc&limit=2`);
    expect(first.json()).toMatchObject({ total: 5, next_cursor: expect.any(String) });
    const second = await get(world.tokens.sa, `/v1/enrollments?session_id=${sessionId}&sort=created_at&direction=desc&limit=2&cursor=${first.json().next_cursor}`);
    const third = await get(world.tokens.sa, `/v1/enrollments?session_id=${sessionId}&sort=created_at&direction=desc&limit=2&cursor=${second.json().next_cursor}`);
    const paged = [...first.json().items, ...second.json().items, ...third.json().items];
    expect(third.json().next_cursor).toBeNull();
    expect(ids(paged)).toEqual([...enrollmentIds].sort());
    const created = paged.map((item: { created_at: string }) => item.created_at);
    expect(created).toEqual([...created].sort().reverse());

    const byStudent = await get(world.tokens.sa, `/v1/enrollments?student_id=${students[0]}`);
    expect(byStudent.json().total).toBe(2);
    for (const filter of ['completion_status=NOT_STARTED', 'attendance_status=REGISTERED']) {
      expect((await get(world.tokens.sa, `/v1/enrollments?session_id=${sessionId}&${filter}`)).json().total).toBe(5);
    }
    expect((await get(world.tokens.sa, `/v1/enrollments?session_id=${sessionId}&completion_status=COMPLETED`)).json().total).toBe(0);
  });

  it('shows each role what row-level security allows', async () => {
    const mine = await studentToken(students[0]!);
    expect(ids(await listAll(context.app, '/v1/enrollments', mine))).toEqual([enrollmentIds[0]!, ...(await otherEnrollment())].sort());
    const forSession = (token: string) => get(token, `/v1/enrollments?session_id=${sessionId}`).then((response) => response.json().total);
    expect(await forSession(world.tokens.ad)).toBe(5);
    expect(await forSession(world.tokens.ap)).toBe(5);
    expect(await forSession(world.tokens.instructor)).toBe(5);
    expect(await forSession(world.tokens.otherAp)).toBe(0);
    expect(await forSession(world.tokens.otherInstructor)).toBe(0);
    expect(await forSession(world.tokens.trainee)).toBe(0);
    // The AP's provider holds the first session's location, not the other one's.
    expect((await get(world.tokens.ap, `/v1/enrollments?session_id=${otherSessionId}`)).json().total).toBe(0);
    expect((await get(null, '/v1/enrollments')).statusCode).toBe(401);
  });

  it('answers 400 with the field for bad filters and cursors', async () => {
    for (const [query, field] of [
      ['status=LOST', 'querystring.status'],
      ['completion_status=DONE', 'querystring.completion_status'],
      ['attendance_status=LATE', 'querystring.attendance_status'],
      ['session_id=nope', 'querystring.session_id'],
      ['sort=student_id', 'querystring.sort'],
      ['limit=0', 'querystring.limit'],
      ['cursor=garbage', 'querystring.cursor'],
      ['shoe_size=9', 'querystring.shoe_size'],
    ]) {
      const response = await get(world.tokens.sa, `/v1/enrollments?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error.details.field).toBe(field);
    }
  });
});

async function otherEnrollment(): Promise<string[]> {
  const { rows } = await context.db.query<{ id: string }>('select id from session_enrollments where session_id = $1', [otherSessionId]);
  return rows.map((row) => row.id);
}

describe('GET /v1/enrollments/:id', () => {
  it('reads one enrollment with its version as ETag; 404 for one the caller cannot see', async () => {
    const response = await get(world.tokens.instructor, `/v1/enrollments/${enrollmentIds[0]}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: enrollmentIds[0], session_id: sessionId, student_id: students[0], status: 'ENROLLED', completed_at: null });
    expect(response.headers['etag']).toBe(`"${response.json().version}"`);
    expect((await get(await studentToken(students[0]!), `/v1/enrollments/${enrollmentIds[0]}`)).statusCode).toBe(200);
    for (const token of [await studentToken(students[1]!), world.tokens.otherAp, world.tokens.otherInstructor, world.tokens.trainee]) {
      expect((await get(token, `/v1/enrollments/${enrollmentIds[0]}`)).statusCode).toBe(404);
    }
    expect((await get(null, `/v1/enrollments/${enrollmentIds[0]}`)).statusCode).toBe(401);
  });
});

describe('GET /v1/sessions/:id/enrollments', () => {
  it('pages a session’s enrollments for its staff, and only their own for a student', async () => {
    for (const token of [world.tokens.sa, world.tokens.ad, world.tokens.ap, world.tokens.instructor]) {
      const response = await get(token, `/v1/sessions/${sessionId}/enrollments?limit=3&sort=enrollment_date`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ total: 5, next_cursor: expect.any(String) });
      expect(response.json().items).toHaveLength(3);
    }
    const order = async (direction: string) =>
      (await get(world.tokens.ap, `/v1/sessions/${sessionId}/enrollments?status=WAITLISTED&direction=${direction}`)).json().items.map((item: { id: string }) => item.id);
    expect(await order('desc')).toEqual((await order('asc')).reverse());
    expect((await order('asc')).sort()).toEqual(enrollmentIds.slice(3).sort());
    const own = await get(await studentToken(students[2]!), `/v1/sessions/${sessionId}/enrollments`);
    expect(own.json()).toMatchObject({ total: 1, items: [{ id: enrollmentIds[2] }] });
    // The session is open for self-enrollment: others signed in see it, but none of its enrollments.
    expect((await get(world.tokens.trainee, `/v1/sessions/${sessionId}/enrollments`)).json()).toMatchObject({ total: 0, items: [] });
  });

  it('names a student without an account by its profile in the same answer; an account’s row carries null there', async () => {
    const session = await createSession(context.db, world, { capacity: 5 });
    const batch = await context.app.inject({
      method: 'POST', url: `/v1/sessions/${session}/enrollments/batch`, headers: bearer(world.tokens.sa),
      payload: { students: [{ email: 'carla.profile@example.test', first_name: 'Carla', last_name: 'Profile' }, { student_id: students[1] }] },
    });
    expect(batch.statusCode).toBe(200);
    for (const token of [world.tokens.sa, world.tokens.ap, world.tokens.instructor]) {
      const items = (await get(token, `/v1/sessions/${session}/enrollments?sort=enrollment_date`)).json().items as Record<string, unknown>[];
      expect(items.map((item) => [item['student_id'] === null, item['student_profile_name']]).sort()).toEqual([[false, null], [true, 'Carla Profile']]);
    }
  });

  it('answers 404 for a session the caller cannot see, 400 for bad input and 401 signed out', async () => {
    for (const token of [world.tokens.ap, world.tokens.otherInstructor, world.tokens.trainee]) {
      expect((await get(token, `/v1/sessions/${otherSessionId}/enrollments`)).statusCode).toBe(404);
    }
    expect((await get(world.tokens.sa, '/v1/sessions/00000000-0000-4000-8000-000000000000/enrollments')).statusCode).toBe(404);
    expect((await get(world.tokens.sa, '/v1/sessions/nope/enrollments')).statusCode).toBe(400);
    const badFilter = await get(world.tokens.sa, `/v1/sessions/${sessionId}/enrollments?session_id=${otherSessionId}`);
    expect(badFilter.statusCode).toBe(400);
    expect(badFilter.json().error.details.field).toBe('querystring.session_id');
    expect((await get(null, `/v1/sessions/${sessionId}/enrollments`)).statusCode).toBe(401);
  });
});
