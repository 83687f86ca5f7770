import { beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/auth.js';
import { createEnrollmentWorld, createSession, createStudents, type EnrollmentWorld, studentToken } from '../../../test/world.js';
import { useTestApp } from '../../../test/test-app.js';

// Attendance and results through the real API on a real database: row-level security and the column
// guards of migration 0009 decide who may record them.
const context = useTestApp();
let world: EnrollmentWorld;

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
});

const unknownId = '00000000-0000-4000-8000-000000000000';

const patch = (token: string | null, enrollmentId: string, payload: object, headers: Record<string, string> = {}) =>
  context.app.inject({ method: 'PATCH', url: `/v1/enrollments/${enrollmentId}`, headers: { ...(token ? bearer(token) : {}), ...headers }, payload });
const putResults = (token: string | null, sessionId: string, results: object[]) =>
  context.app.inject({ method: 'PUT', url: `/v1/sessions/${sessionId}/results`, headers: token ? bearer(token) : {}, payload: { results } });

interface Enrolled {
  sessionId: string;
  students: string[];
  enrollments: { id: string; version: number; status: string }[];
}

/** A session with `seated` students enrolled and `waiting` waitlisted, enrolled by the SA in one batch. */
async function enrolledSession(seated: number, waiting = 0, options: { selfEnrollment?: boolean } = {}): Promise<Enrolled> {
  const sessionId = await createSession(context.db, world, { capacity: seated, selfEnrollment: options.selfEnrollment ?? false });
  const students = await createStudents(context.db, seated + waiting);
  await context.app.inject({
    method: 'POST', url: `/v1/sessions/${sessionId}/enrollments/batch`, headers: bearer(world.tokens.sa),
    payload: { students: students.map((id) => ({ student_id: id })) },
  });
  const { rows } = await context.db.query<{ id: string; version: number; status: string; student_id: string }>(
    'select id, version, status, student_id from session_enrollments where session_id = $1', [sessionId],
  );
  const enrollments = students.map((student) => rows.find((row) => row.student_id === student)!);
  return { sessionId, students, enrollments };
}

async function completionEvents(enrollmentId: string): Promise<Record<string, unknown>[]> {
  const { rows } = await context.db.query<{ payload: Record<string, unknown> }>(
    "select payload from domain_events where event_type = 'enrollment.completed' and aggregate_id = $1 order by seq", [enrollmentId],
  );
  return rows.map((row) => row.payload);
}

describe('PATCH /v1/enrollments/:id', () => {
  it('records attendance, scores and completion; completed_at follows; enrollment.completed is appended once', async () => {
    const { sessionId, students, enrollments: [enrollment] } = await enrolledSession(1);
    const attended = await patch(world.tokens.instructor, enrollment!.id, { attendance_status: 'ATTENDED', practical_score: 71.5, version: enrollment!.version });
    expect(attended.statusCode, attended.body).toBe(200);
    expect(attended.headers['etag']).toBe(`"${enrollment!.version + 1}"`);
    expect(attended.json()).toMatchObject({ attendance_status: 'ATTENDED', practical_score: 71.5, completion_status: 'NOT_STARTED', completed_at: null });

    const completed = await patch(world.tokens.instructor, enrollment!.id, { completion_status: 'COMPLETED', assessment_score: 88, written_score: 90.25 }, { 'if-match': `"${enrollment!.version + 1}"` });
    expect(completed.statusCode, completed.body).toBe(200);
    const completedAt = completed.json().completed_at;
    expect(completedAt).toEqual(expect.any(String));
    expect(completed.json()).toMatchObject({ completion_status: 'COMPLETED', assessment_score: 88, written_score: 90.25, practical_score: 71.5 });
    expect(await completionEvents(enrollment!.id)).toEqual([{
      session_id: sessionId, course_id: world.courseId, student_id: students[0], student_profile_id: null, attendance_status: 'ATTENDED',
      assessment_score: 88, practical_score: 71.5, written_score: 90.25, completed_at: expect.any(String),
    }]);

    // Correcting a score of a completed enrollment keeps its completion time and appends nothing.
    const corrected = await patch(world.tokens.ap, enrollment!.id, { assessment_score: null, completion_status: 'COMPLETED', version: completed.json().version });
    expect(corrected.json()).toMatchObject({ assessment_score: null, completed_at: completedAt });
    expect(await completionEvents(enrollment!.id)).toHaveLength(1);

    const reopened = await patch(world.tokens.sa, enrollment!.id, { completion_status: 'IN_PROGRESS', version: corrected.json().version });
    expect(reopened.json()).toMatchObject({ completion_status: 'IN_PROGRESS', completed_at: null });
    const failed = await patch(world.tokens.ad, enrollment!.id, { completion_status: 'FAILED', version: reopened.json().version });
    expect(failed.json()).toMatchObject({ completion_status: 'FAILED', completed_at: expect.any(String) });
    expect(await completionEvents(enrollment!.id)).toHaveLength(1);
  });

  it('answers 409 with the current row for a stale version, and 400 without one', async () => {
    const { enrollments: [enrollment] } = await enrolledSession(1);
    const first = await patch(world.tokens.sa, enrollment!.id, { attendance_status: 'PARTIAL', version: enrollment!.version });
    expect(first.statusCode).toBe(200);
    const stale = await patch(world.tokens.sa, enrollment!.id, { attendance_status: 'ABSENT', version: enrollment!.version });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({
      code: 'VERSION_CONFLICT', details: { field: 'body.version', current: { id: enrollment!.id, attendance_status: 'PARTIAL', version: enrollment!.version + 1 } },
    });
    const staleHeader = await patch(world.tokens.sa, enrollment!.id, { attendance_status: 'ABSENT' }, { 'if-match': `"${enrollment!.version}"` });
    expect(staleHeader.json().error.code).toBe('VERSION_CONFLICT');
    const versionless = await patch(world.tokens.sa, enrollment!.id, { attendance_status: 'ABSENT' });
    expect(versionless.statusCode).toBe(400);
    expect(versionless.json().error.details.field).toBe('body.version');
    expect((await patch(world.tokens.sa, enrollment!.id, { attendance_status: 'ABSENT' }, { 'if-match': 'yesterday' })).statusCode).toBe(400);
  });

  it('takes results only for ENROLLED students (409 INVALID_TRANSITION), yet accepts an empty change', async () => {
    const { enrollments: [, waiting] } = await enrolledSession(1, 1);
    expect(waiting!.status).toBe('WAITLISTED');
    const refused = await patch(world.tokens.sa, waiting!.id, { attendance_status: 'ATTENDED', version: waiting!.version });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'INVALID_TRANSITION', details: { not_enrolled: [{ enrollment_id: waiting!.id, status: 'WAITLISTED' }] } });
    const { rows: [row] } = await context.db.query<{ attendance_status: string; version: number }>('select attendance_status, version from session_enrollments where id = $1', [waiting!.id]);
    expect(row).toEqual({ attendance_status: 'REGISTERED', version: waiting!.version });
    expect((await patch(world.tokens.sa, waiting!.id, { version: waiting!.version })).statusCode).toBe(200);
  });

  it('takes no results in a cancelled session (409 INVALID_TRANSITION), nothing written', async () => {
    const { sessionId, enrollments: [seated] } = await enrolledSession(1);
    // Cancelled behind the enrollment's back, so only the session's status can refuse it.
    await context.db.query("update training_sessions set status = 'CANCELLED' where id = $1", [sessionId]);
    const refused = await patch(world.tokens.instructor, seated!.id, { attendance_status: 'ATTENDED', version: seated!.version });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'INVALID_TRANSITION', details: { session_status: 'CANCELLED' } });
    const inBulk = await putResults(world.tokens.instructor, sessionId, [{ enrollment_id: seated!.id, version: seated!.version, attendance_status: 'ATTENDED' }]);
    expect(inBulk.statusCode, inBulk.body).toBe(409);
    expect(inBulk.json().error).toMatchObject({ code: 'INVALID_TRANSITION' });
    const { rows: [row] } = await context.db.query<{ attendance_status: string; version: number }>('select attendance_status, version from session_enrollments where id = $1', [seated!.id]);
    expect(row).toEqual({ attendance_status: 'REGISTERED', version: seated!.version });
    // A change of nothing is no result, as for a row that is not ENROLLED.
    expect((await patch(world.tokens.instructor, seated!.id, { version: seated!.version })).statusCode).toBe(200);
  });

  it('answers 400 with the field for each bad value', async () => {
    const { enrollments: [enrollment] } = await enrolledSession(1);
    const version = enrollment!.version;
    for (const [payload, field] of [
      [{ attendance_status: 'LATE', version }, 'body.attendance_status'],
      [{ completion_status: 'DONE', version }, 'body.completion_status'],
      [{ assessment_score: -1, version }, 'body.assessment_score'],
      [{ practical_score: 100.5, version }, 'body.practical_score'],
      [{ written_score: 'ninety', version }, 'body.written_score'],
      [{ status: 'CANCELLED', version }, 'body.status'],
      [{ version: 0 }, 'body.version'],
    ] as const) {
      const response = await patch(world.tokens.sa, enrollment!.id, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.details.field).toBe(field);
    }
    expect((await patch(world.tokens.sa, 'not-a-uuid', { version })).statusCode).toBe(400);
    expect((await patch(world.tokens.sa, unknownId, { version })).statusCode).toBe(404);
  });

  it('is for the staff of the session: a student may not record results, others do not see the row', async () => {
    const { students, enrollments: [mine, theirs] } = await enrolledSession(2, 0, { selfEnrollment: true });
    const myToken = await studentToken(students[0]!);
    const expected: [string, string | null, number][] = [
      ['the student, own row', myToken, 403],
      ['IT', world.tokens.trainee, 404],
      ['AP elsewhere', world.tokens.otherAp, 404],
      ['IP not teaching it', world.tokens.otherInstructor, 404],
      ['signed out', null, 401],
    ];
    for (const [who, token, status] of expected) {
      const response = await patch(token, mine!.id, { attendance_status: 'ATTENDED', version: mine!.version });
      expect(response.statusCode, `${who}: ${response.body}`).toBe(status);
    }
    expect((await patch(myToken, theirs!.id, { attendance_status: 'ATTENDED', version: theirs!.version })).statusCode).toBe(404);
    let version = mine!.version;
    for (const token of [world.tokens.sa, world.tokens.ad, world.tokens.ap, world.tokens.instructor]) {
      const response = await patch(token, mine!.id, { attendance_status: 'ATTENDED', version });
      expect(response.statusCode, response.body).toBe(200);
      version = response.json().version;
    }
  });
});

describe('PUT /v1/sessions/:id/results', () => {
  it('records a session’s results in one transaction and appends enrollment.completed for each newly completed row', async () => {
    const { sessionId, enrollments } = await enrolledSession(3);
    const [a, b, c] = enrollments as [Enrolled['enrollments'][0], Enrolled['enrollments'][0], Enrolled['enrollments'][0]];
    const response = await putResults(world.tokens.instructor, sessionId, [
      { enrollment_id: a.id, version: a.version, attendance_status: 'ATTENDED', completion_status: 'COMPLETED', assessment_score: 95 },
      { enrollment_id: b.id, version: b.version, attendance_status: 'ABSENT', completion_status: 'FAILED' },
      { enrollment_id: c.id, version: c.version, completion_status: 'COMPLETED' },
    ]);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      session_id: sessionId,
      items: [
        { id: a.id, completion_status: 'COMPLETED', assessment_score: 95, version: a.version + 1 },
        { id: b.id, completion_status: 'FAILED', attendance_status: 'ABSENT', completed_at: expect.any(String) },
        { id: c.id, completion_status: 'COMPLETED' },
      ],
    });
    expect(await completionEvents(a.id)).toHaveLength(1);
    expect(await completionEvents(b.id)).toHaveLength(0);
    expect(await completionEvents(c.id)).toHaveLength(1);
    const again = await putResults(world.tokens.instructor, sessionId, [{ enrollment_id: a.id, version: a.version + 1, completion_status: 'COMPLETED' }]);
    expect(again.statusCode).toBe(200);
    expect(await completionEvents(a.id)).toHaveLength(1);
  });

  it('writes nothing when one version is stale (409 listing the current rows)', async () => {
    const { sessionId, enrollments: [a, b] } = await enrolledSession(2);
    await patch(world.tokens.sa, b!.id, { attendance_status: 'PARTIAL', version: b!.version });
    const response = await putResults(world.tokens.sa, sessionId, [
      { enrollment_id: a!.id, version: a!.version, completion_status: 'COMPLETED' },
      { enrollment_id: b!.id, version: b!.version, completion_status: 'COMPLETED' },
    ]);
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatchObject({
      code: 'VERSION_CONFLICT', details: { field: 'body.results', conflicts: [{ id: b!.id, attendance_status: 'PARTIAL', version: b!.version + 1 }] },
    });
    expect(response.json().error.details.conflicts).toHaveLength(1);
    const { rows } = await context.db.query<{ completion_status: string }>('select completion_status from session_enrollments where id = any($1::uuid[])', [[a!.id, b!.id]]);
    expect(rows.map((row) => row.completion_status)).toEqual(['NOT_STARTED', 'NOT_STARTED']);
    expect(await completionEvents(a!.id)).toEqual([]);
  });

  it('names unknown or foreign enrollments (422), refuses repeats (400) and non-ENROLLED rows (409), writing nothing', async () => {
    const { sessionId, enrollments: [a, waiting] } = await enrolledSession(1, 1);
    const other = await enrolledSession(1);
    const foreign = other.enrollments[0]!;
    const unknown = await putResults(world.tokens.sa, sessionId, [
      { enrollment_id: a!.id, version: a!.version, attendance_status: 'ATTENDED' },
      { enrollment_id: foreign.id, version: foreign.version, attendance_status: 'ATTENDED' },
      { enrollment_id: unknownId, version: 1, attendance_status: 'ATTENDED' },
    ]);
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error).toMatchObject({ code: 'INVALID_REFERENCE', details: { field: 'body.results', enrollment_ids: [foreign.id, unknownId] } });
    const repeated = await putResults(world.tokens.sa, sessionId, [
      { enrollment_id: a!.id, version: a!.version, attendance_status: 'ATTENDED' },
      { enrollment_id: a!.id, version: a!.version, attendance_status: 'ABSENT' },
    ]);
    expect(repeated.statusCode).toBe(400);
    expect(repeated.json().error.details.field).toBe('body.results.1.enrollment_id');
    const notEnrolled = await putResults(world.tokens.sa, sessionId, [
      { enrollment_id: a!.id, version: a!.version, attendance_status: 'ATTENDED' },
      { enrollment_id: waiting!.id, version: waiting!.version, attendance_status: 'ATTENDED' },
    ]);
    expect(notEnrolled.statusCode).toBe(409);
    expect(notEnrolled.json().error.code).toBe('INVALID_TRANSITION');
    const { rows } = await context.db.query<{ attendance_status: string }>('select attendance_status from session_enrollments where session_id = $1', [sessionId]);
    expect(rows.map((row) => row.attendance_status)).toEqual(['REGISTERED', 'REGISTERED']);
    for (const [payload, field] of [
      [[], 'body.results'],
      [[{ enrollment_id: a!.id, attendance_status: 'ATTENDED' }], 'body.results.0.version'],
      [[{ enrollment_id: a!.id, version: 1, written_score: 101 }], 'body.results.0.written_score'],
    ] as const) {
      const response = await putResults(world.tokens.sa, sessionId, payload as unknown as object[]);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.details.field).toBe(field);
    }
    expect((await putResults(world.tokens.sa, unknownId, [{ enrollment_id: a!.id, version: 1 }])).statusCode).toBe(404);
  });

  it('is for the staff of the session: 200 for SA, AD, its AP and instructor; 403, 404 or 422 for the others; 401 signed out', async () => {
    const { sessionId, students, enrollments: [mine, theirs] } = await enrolledSession(2, 0, { selfEnrollment: true });
    const myToken = await studentToken(students[0]!);
    const change = (row: { id: string; version: number }) => ({ enrollment_id: row.id, version: row.version, attendance_status: 'ATTENDED' });
    const refusals: [string, string | null, object[], number][] = [
      // The session takes self-enrollment, so everyone signed in sees it; only its staff see its enrollments.
      ['the student, own row', myToken, [change(mine!)], 403],
      ['the student, a classmate too', myToken, [change(mine!), change(theirs!)], 422],
      ['IT', world.tokens.trainee, [change(mine!)], 422],
      ['AP elsewhere', world.tokens.otherAp, [change(mine!)], 422],
      ['IP not teaching it', world.tokens.otherInstructor, [change(mine!)], 422],
      ['signed out', null, [change(mine!)], 401],
    ];
    for (const [who, token, results, status] of refusals) {
      const response = await putResults(token, sessionId, results);
      expect(response.statusCode, `${who}: ${response.body}`).toBe(status);
    }
    const closed = await enrolledSession(1);
    expect((await putResults(world.tokens.otherAp, closed.sessionId, [change(closed.enrollments[0]!)])).statusCode).toBe(404);
    let versions = [mine!.version, theirs!.version];
    for (const token of [world.tokens.sa, world.tokens.ad, world.tokens.ap, world.tokens.instructor]) {
      const response = await putResults(token, sessionId, [
        { enrollment_id: mine!.id, version: versions[0], attendance_status: 'ATTENDED' },
        { enrollment_id: theirs!.id, version: versions[1], attendance_status: 'PARTIAL' },
      ]);
      expect(response.statusCode, response.body).toBe(200);
      versions = response.json().items.map((item: { version: number }) => item.version);
    }
  });
});
