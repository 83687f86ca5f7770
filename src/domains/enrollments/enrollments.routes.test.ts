import { beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { createEnrollmentWorld, createSession, createStudents, type EnrollmentWorld, sessionState, studentToken } from '../../../test/world.js';

// The real application through inject on a real database with its row-level security.
const context = useTestApp();
let world: EnrollmentWorld;

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
});

const enroll = (token: string, sessionId: string, payload: object = {}) =>
  context.app.inject({ method: 'POST', url: `/v1/sessions/${sessionId}/enrollments`, headers: bearer(token), payload });
const cancel = (token: string, enrollmentId: string) =>
  context.app.inject({ method: 'POST', url: `/v1/enrollments/${enrollmentId}/cancel`, headers: bearer(token) });
const setCapacity = (token: string, sessionId: string, maxCapacity: unknown) =>
  context.app.inject({ method: 'PUT', url: `/v1/sessions/${sessionId}/capacity`, headers: bearer(token), payload: { max_capacity: maxCapacity } });

async function student(): Promise<{ id: string; token: string }> {
  const [id] = await createStudents(context.db, 1);
  return { id: id!, token: await studentToken(id!) };
}

describe('POST /v1/sessions/:id/enrollments', () => {
  it('self-enrolls into a seat, then waitlists in order once the session is full', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 1 });
    const [first, second, third] = [await student(), await student(), await student()];
    const seated = await enroll(first.token, sessionId);
    expect(seated.statusCode).toBe(201);
    expect(seated.json()).toMatchObject({ session_id: sessionId, student_id: first.id, status: 'ENROLLED', waitlist_position: null, enrolled_by: first.id });
    expect((await enroll(second.token, sessionId)).json()).toMatchObject({ status: 'WAITLISTED', waitlist_position: 1 });
    expect((await enroll(third.token, sessionId)).json()).toMatchObject({ status: 'WAITLISTED', waitlist_position: 2 });
    expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 1, enrolled: [first.id], waitlist: [second.id, third.id], positions: [1, 2] });
    const { rows } = await context.db.query<{ event_type: string }>(
      `select event_type from domain_events where payload->>'session_id' = $1 order by seq`, [sessionId],
    );
    expect(rows.map((row) => row.event_type)).toEqual(['enrollment.enrolled', 'enrollment.waitlisted', 'enrollment.waitlisted']);
  });

  it('reads the new enrollment back as its caller sees it: another student sees nothing of it', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 5 });
    const [first, second] = [await student(), await student()];
    const seated = (await enroll(first.token, sessionId)).json();
    const seenBy = (userId: string) =>
      context.db.withActor({ userId, role: 'IN', providerId: null }, async (tx) =>
        (await tx.query<{ id: string }>('select id from session_enrollment_as_seen($1)', [seated.id])).rows.map((row) => row.id));
    expect(await seenBy(first.id)).toEqual([seated.id]);
    expect(await seenBy(second.id)).toEqual([]);
  });

  it('answers 409 ALREADY_ENROLLED for a student enrolled or waitlisted, and reuses a cancelled row', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 1 });
    const [first, second] = [await student(), await student()];
    const firstEnrollment = (await enroll(first.token, sessionId)).json();
    const again = await enroll(first.token, sessionId);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'ALREADY_ENROLLED', details: { enrollment_id: firstEnrollment.id } });
    await enroll(second.token, sessionId);
    expect((await enroll(second.token, sessionId)).json().error.code).toBe('ALREADY_ENROLLED');
    expect((await cancel(first.token, firstEnrollment.id)).statusCode).toBe(200);
    const back = await enroll(first.token, sessionId);
    expect(back.json()).toMatchObject({ id: firstEnrollment.id, status: 'WAITLISTED', waitlist_position: 1 });
    expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 1, enrolled: [second.id], waitlist: [first.id], duplicates: 0 });
  });

  it('lets staff of the session enroll anyone, students with or without accounts', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 5, selfEnrollment: false });
    const students = await createStudents(context.db, 3);
    for (const [token, studentId] of [[world.tokens.sa, students[0]], [world.tokens.ap, students[1]], [world.tokens.instructor, students[2]]] as const) {
      const response = await enroll(token, sessionId, { student_id: studentId });
      expect(response.statusCode, response.body).toBe(201);
      expect(response.json()).toMatchObject({ student_id: studentId, status: 'ENROLLED' });
    }
    const { rows: [profile] } = await context.db.query<{ id: string }>(
      "insert into student_enrollment_profiles (first_name, last_name, provider_id) values ('Walk', 'In', $1) returning id", [world.providerId],
    );
    const walkIn = await enroll(world.tokens.ap, sessionId, { student_profile_id: profile!.id });
    expect(walkIn.statusCode).toBe(201);
    expect(walkIn.json()).toMatchObject({ student_id: null, student_profile_id: profile!.id, status: 'ENROLLED' });
    expect((await sessionState(context.db, sessionId)).counter).toBe(4);
  });

  it('refuses a student enrolling someone else, and self-enrollment where the session does not allow it', async () => {
    const open = await createSession(context.db, world, { capacity: 5 });
    const closed = await createSession(context.db, world, { capacity: 5, selfEnrollment: false });
    const [me, other] = [await student(), await student()];
    const forOther = await enroll(me.token, open, { student_id: other.id });
    expect(forOther.statusCode).toBe(403);
    expect(forOther.json().error.code).toBe('FORBIDDEN');
    const intoClosed = await enroll(me.token, closed);
    expect(intoClosed.statusCode).toBe(404);
    expect(intoClosed.json().error.code).toBe('NOT_FOUND');
    // An instructor who does not teach the session enrolls only themselves.
    expect((await enroll(world.tokens.otherInstructor, open, { student_id: other.id })).statusCode).toBe(403);
    expect((await enroll(world.tokens.otherInstructor, open)).statusCode).toBe(201);
    expect(await sessionState(context.db, closed)).toMatchObject({ counter: 0, enrolled: [] });
    expect(await sessionState(context.db, open)).toMatchObject({ counter: 1, enrolled: [world.otherInstructor.id] });
  });

  it('refuses enrollment in a session that is not scheduled, and an AP enrolling at another provider’s location', async () => {
    const completed = await createSession(context.db, world, { capacity: 5, status: 'COMPLETED' });
    const [studentId] = await createStudents(context.db, 1);
    const late = await enroll(world.tokens.sa, completed, { student_id: studentId });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('CONFLICT');
    const elsewhere = await createSession(context.db, world, { capacity: 5, selfEnrollment: false, locationId: world.otherLocationId });
    expect((await enroll(world.tokens.ap, elsewhere, { student_id: studentId })).statusCode).toBe(404);
  });

  it('answers 4xx with the field for bad input, and 401 signed out', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 5 });
    const [a, b] = await createStudents(context.db, 2);
    const both = await enroll(world.tokens.sa, sessionId, { student_id: a, student_profile_id: b });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.details.field).toBe('body.student_profile_id');
    expect((await enroll(world.tokens.sa, sessionId, { student_id: 'nope' })).statusCode).toBe(400);
    expect((await enroll(world.tokens.sa, 'not-a-uuid')).statusCode).toBe(400);
    expect((await enroll(world.tokens.sa, '00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    const unknownStudent = await enroll(world.tokens.sa, sessionId, { student_id: '00000000-0000-4000-8000-000000000000' });
    expect(unknownStudent.statusCode).toBe(422);
    expect((await context.app.inject({ method: 'POST', url: `/v1/sessions/${sessionId}/enrollments`, payload: {} })).statusCode).toBe(401);
    expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 0, enrolled: [] });
  });

  it('answers 404 to an administrator for a session that does not exist, also for a student with a seat elsewhere who wants no overlap', async () => {
    // An administrator's call learns that the session is missing from the session lock, after the overlap check (decision 0095).
    const sessionId = await createSession(context.db, world, { capacity: 5 });
    const [held] = await createStudents(context.db, 1);
    expect((await enroll(world.tokens.sa, sessionId, { student_id: held })).statusCode).toBe(201);
    const missing = '00000000-0000-4000-8000-000000000001';
    for (const payload of [{ student_id: held, allow_overlap: false }, { student_id: held }]) {
      const response = await enroll(world.tokens.sa, missing, payload);
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('NOT_FOUND');
    }
    const { rows } = await context.db.query<{ n: number }>('select count(*)::integer as n from session_enrollments where student_id = $1', [held]);
    expect(rows[0]?.n).toBe(1);
  });
});

describe('POST /v1/enrollments/:id/cancel', () => {
  it('frees the seat for the first waitlisted student and closes up the waitlist', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 2 });
    const students = [await student(), await student(), await student(), await student(), await student()];
    const enrollments = [];
    for (const each of students) enrollments.push((await enroll(each.token, sessionId)).json());
    expect(enrollments.map((each) => each.waitlist_position)).toEqual([null, null, 1, 2, 3]);

    const cancelled = await cancel(students[0]!.token, enrollments[0].id);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'CANCELLED', waitlist_position: null });
    expect(await sessionState(context.db, sessionId)).toMatchObject({
      counter: 2, enrolled: [students[1]!.id, students[2]!.id].sort(), waitlist: [students[3]!.id, students[4]!.id], positions: [1, 2],
    });
    // Leaving the middle of the waitlist leaves no gap.
    await cancel(world.tokens.instructor, enrollments[3].id);
    expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 2, waitlist: [students[4]!.id], positions: [1] });
    // Cancelling twice changes nothing.
    expect((await cancel(students[0]!.token, enrollments[0].id)).json()).toMatchObject({ status: 'CANCELLED' });
    expect((await sessionState(context.db, sessionId)).counter).toBe(2);
  });

  it('lets a student cancel only their own enrollment', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 2 });
    const [mine, theirs] = [await student(), await student()];
    await enroll(mine.token, sessionId);
    const theirEnrollment = (await enroll(theirs.token, sessionId)).json();
    const response = await cancel(mine.token, theirEnrollment.id);
    expect(response.statusCode).toBe(404);
    expect((await cancel(world.tokens.otherInstructor, theirEnrollment.id)).statusCode).toBe(404);
    expect((await sessionState(context.db, sessionId)).counter).toBe(2);
  });
});

describe('versions of a cancellation and a capacity change', () => {
  const post = (token: string, url: string, payload?: object, headers: Record<string, string> = {}) =>
    context.app.inject({ method: 'POST', url, headers: { ...bearer(token), ...headers }, ...(payload ? { payload } : {}) });

  it('cancels at the version read (body or If-Match); a stale one is 409 with the current enrollment, nothing changed', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 1 });
    const [seated, waiting] = [await student(), await student()];
    const mine = (await enroll(seated.token, sessionId)).json();
    const theirs = (await enroll(waiting.token, sessionId)).json();
    // The waitlisted row moves up when the seat frees: its version changes under the client.
    expect((await post(seated.token, `/v1/enrollments/${mine.id}/cancel`, { version: mine.version })).json()).toMatchObject({ status: 'CANCELLED' });
    const stale = await post(waiting.token, `/v1/enrollments/${theirs.id}/cancel`, { version: theirs.version });
    expect(stale.statusCode, stale.body).toBe(409);
    expect(stale.json().error).toMatchObject({
      code: 'VERSION_CONFLICT', details: { field: 'body.version', current: { id: theirs.id, status: 'ENROLLED', version: theirs.version + 1 } },
    });
    expect((await sessionState(context.db, sessionId)).enrolled).toEqual([waiting.id]);
    const byHeader = await post(world.tokens.instructor, `/v1/enrollments/${theirs.id}/cancel`, undefined, { 'if-match': `"${theirs.version + 1}"` });
    expect(byHeader.statusCode, byHeader.body).toBe(200);
    expect(byHeader.json()).toMatchObject({ status: 'CANCELLED' });
    // Someone who may not cancel it hears 404 as before, whatever version they send.
    expect((await post(world.tokens.otherInstructor, `/v1/enrollments/${theirs.id}/cancel`, { version: 1 })).statusCode).toBe(404);
    expect((await post(waiting.token, `/v1/enrollments/${theirs.id}/cancel`, { version: 0 })).statusCode).toBe(400);
    expect((await post(waiting.token, `/v1/enrollments/${theirs.id}/cancel`, undefined, { 'if-match': 'soon' })).statusCode).toBe(400);
  });

  it('changes capacity at the version read; a stale one is 409 with the current capacity, nothing changed', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 2 });
    const { rows: [read] } = await context.db.query<{ version: number }>('select version from training_sessions where id = $1', [sessionId]);
    const put = (token: string, payload: object, headers: Record<string, string> = {}) =>
      context.app.inject({ method: 'PUT', url: `/v1/sessions/${sessionId}/capacity`, headers: { ...bearer(token), ...headers }, payload });
    const first = await put(world.tokens.ap, { max_capacity: 4, version: read!.version });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ max_capacity: 4, version: read!.version + 1 });
    const stale = await put(world.tokens.sa, { max_capacity: 9, version: read!.version });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'VERSION_CONFLICT', details: { current: { id: sessionId, max_capacity: 4, version: read!.version + 1 } } });
    expect((await sessionState(context.db, sessionId)).capacity).toBe(4);
    expect((await put(world.tokens.sa, { max_capacity: 9 }, { 'if-match': `"${read!.version + 1}"` })).json()).toMatchObject({ max_capacity: 9 });
    expect((await put(world.tokens.trainee, { max_capacity: 9, version: 1 })).statusCode).toBe(403);
    expect((await put(world.tokens.sa, { max_capacity: 9, version: 'two' })).statusCode).toBe(400);
  });
});

describe('PUT /v1/sessions/:id/capacity', () => {
  it('promotes from the waitlist when raised, and refuses 409 below the enrolled count', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 1 });
    const students = [await student(), await student(), await student(), await student()];
    for (const each of students) await enroll(each.token, sessionId);

    const raised = await setCapacity(world.tokens.ap, sessionId, 3);
    expect(raised.statusCode).toBe(200);
    expect(raised.json()).toMatchObject({ id: sessionId, max_capacity: 3, current_enrollment: 3, waitlisted: 1, promoted: 2 });
    expect(await sessionState(context.db, sessionId)).toMatchObject({
      counter: 3, enrolled: students.slice(0, 3).map((each) => each.id).sort(), waitlist: [students[3]!.id], positions: [1],
    });

    const lowered = await setCapacity(world.tokens.instructor, sessionId, 2);
    expect(lowered.statusCode).toBe(409);
    expect(lowered.json().error).toMatchObject({ code: 'CAPACITY_CONFLICT', details: { field: 'body.max_capacity' } });
    expect((await setCapacity(world.tokens.sa, sessionId, 3)).json()).toMatchObject({ max_capacity: 3, promoted: 0 });
    expect((await sessionState(context.db, sessionId)).capacity).toBe(3);
  });

  it('is for the staff of the session only, and validates the capacity', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 2 });
    const me = await student();
    expect((await setCapacity(me.token, sessionId, 10)).statusCode).toBe(403);
    expect((await setCapacity(world.tokens.otherInstructor, sessionId, 10)).statusCode).toBe(403);
    const closed = await createSession(context.db, world, { capacity: 2, selfEnrollment: false });
    expect((await setCapacity(me.token, closed, 10)).statusCode).toBe(404);
    for (const bad of [0, -1, 1.5, 'ten', null]) {
      const response = await setCapacity(world.tokens.sa, sessionId, bad);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.details.field).toMatch(/max_capacity/);
    }
    expect((await sessionState(context.db, sessionId)).capacity).toBe(2);
  });
});
