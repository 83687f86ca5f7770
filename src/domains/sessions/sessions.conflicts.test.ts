import { beforeAll, describe, expect, it } from 'vitest';
import { plusDays, type TrainingWorld, useTrainingWorld } from '../../../test/world.js';

// Real HTTP (app.inject) on a real database (PGlite or PostgreSQL): the exclusion constraints of
// migration 0039 refuse double-booked instructors and rooms, and the API names the other session.
const context = useTrainingWorld();
let world: TrainingWorld;
beforeAll(() => {
  world = context.world;
});

let nextDay = 0;
/** A day of its own for each test, so no test's sessions overlap another's. */
function freshDay(): string {
  nextDay += 1;
  return new Date(Date.UTC(2033, 0, 1 + nextDay)).toISOString().slice(0, 10);
}

const sessionBody = (fields: Record<string, unknown>) => ({
  course_id: world.courseId, instructor_id: world.users.IC.id, location_id: world.locationId,
  start_time: '09:00', end_time: '12:00', max_capacity: 10, self_enrollment_allowed: true, ...fields,
});

async function createSession(fields: Record<string, unknown>): Promise<{ id: string; version: number }> {
  const response = await world.call('SA', 'POST', '/v1/sessions', sessionBody(fields));
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

async function createRoom(name: string, capacity: number, locationId = world.locationId): Promise<string> {
  const response = await world.call('AP', 'POST', '/v1/rooms', { location_id: locationId, name, capacity });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string }>().id;
}

describe('double-booking refused by the database', () => {
  it('refuses an instructor two overlapping sessions, naming the other one, and takes back-to-back ones', async () => {
    const day = freshDay();
    const first = await createSession({ session_date: day });
    const overlapping = await world.call('SA', 'POST', '/v1/sessions', sessionBody({ session_date: day, start_time: '11:00', end_time: '13:00' }));
    expect(overlapping.statusCode, overlapping.body).toBe(409);
    expect(overlapping.json().error).toMatchObject({
      code: 'SCHEDULE_CONFLICT',
      details: { field: 'body.instructor_id', resource: 'instructor', conflicting_session_id: first.id },
    });
    const afterwards = await world.call('SA', 'POST', '/v1/sessions', sessionBody({ session_date: day, start_time: '12:00', end_time: '15:00' }));
    expect(afterwards.statusCode, afterwards.body).toBe(201);
    const otherInstructor = await world.call('SA', 'POST', '/v1/sessions', sessionBody({ session_date: day, instructor_id: world.users.IP.id }));
    expect(otherInstructor.statusCode, otherInstructor.body).toBe(201);
  });

  it('frees the instructor of a cancelled session', async () => {
    const day = freshDay();
    const first = await createSession({ session_date: day });
    const cancelled = await world.call('SA', 'POST', `/v1/sessions/${first.id}/cancel`, { reason: 'the venue flooded', version: first.version });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    await createSession({ session_date: day });
  });

  it('refuses moving a session onto another of its instructor, and leaves the session as it was', async () => {
    const day = freshDay();
    const morning = await createSession({ session_date: day });
    const afternoon = await createSession({ session_date: day, start_time: '13:00', end_time: '16:00' });
    const moved = await world.call('SA', 'PATCH', `/v1/sessions/${afternoon.id}`, { start_time: '10:00', end_time: '13:00', version: afternoon.version });
    expect(moved.statusCode, moved.body).toBe(409);
    expect(moved.json().error.details).toMatchObject({ conflicting_session_id: morning.id, resource: 'instructor' });
    const now = await world.call('SA', 'GET', `/v1/sessions/${afternoon.id}`);
    expect(now.json()).toMatchObject({ start_time: '13:00:00', version: afternoon.version });
  });

  it('compares the instants in each location’s zone, not the wall-clock times', async () => {
    const day = freshDay();
    const { rows: [london] } = await context.db.query<{ id: string }>("insert into locations (name, country, timezone) values ('London rooms', 'GB', 'Europe/London') returning id");
    await createSession({ session_date: day, start_time: '09:00', end_time: '10:00' });
    // 09:00 in London is 10:00 in Paris: right after the Paris session.
    const later = await world.call('SA', 'POST', '/v1/sessions', sessionBody({ session_date: day, location_id: london!.id, start_time: '09:00', end_time: '10:00' }));
    expect(later.statusCode, later.body).toBe(201);
    // 08:30 in London is 09:30 in Paris: during it.
    const during = await world.call('SA', 'POST', '/v1/sessions', sessionBody({ session_date: day, location_id: london!.id, start_time: '08:30', end_time: '08:45' }));
    expect(during.statusCode, during.body).toBe(409);
    expect(during.json().error.code).toBe('SCHEDULE_CONFLICT');
  });

  it('refuses a room two overlapping sessions whoever teaches them', async () => {
    const day = freshDay();
    const room = await createRoom(`Room ${day}`, 12);
    const first = await createSession({ session_date: day, room_id: room });
    expect((await world.call('SA', 'GET', `/v1/sessions/${first.id}`)).json().room_id).toBe(room);
    const second = await world.call('SA', 'POST', '/v1/sessions', sessionBody({ session_date: day, room_id: room, instructor_id: world.users.IP.id, start_time: '10:00' }));
    expect(second.statusCode, second.body).toBe(409);
    expect(second.json().error.details).toMatchObject({ field: 'body.room_id', resource: 'room', conflicting_session_id: first.id });
    const elsewhere = await world.call('SA', 'POST', '/v1/sessions', sessionBody({ session_date: day, instructor_id: world.users.IP.id, start_time: '10:00' }));
    expect(elsewhere.statusCode, elsewhere.body).toBe(201);
  });

  it('seats no more than the room holds, and keeps a room at least as large as its sessions', async () => {
    const day = freshDay();
    const room = await createRoom(`Small room ${day}`, 6);
    const tooMany = await world.call('SA', 'POST', '/v1/sessions', sessionBody({ session_date: day, room_id: room, max_capacity: 7 }));
    expect(tooMany.statusCode, tooMany.body).toBe(422);
    expect(tooMany.json().error).toMatchObject({ code: 'CONSTRAINT_VIOLATION', details: { field: 'body.max_capacity' } });
    await createSession({ session_date: day, room_id: room, max_capacity: 6 });
    const shrink = await world.call('SA', 'PATCH', `/v1/rooms/${room}`, { capacity: 5, version: 1 });
    expect(shrink.statusCode, shrink.body).toBe(422);
    expect(shrink.json().error).toMatchObject({ code: 'CONSTRAINT_VIOLATION', details: { field: 'body.capacity' } });
  });

  it('refuses a room of another location', async () => {
    const day = freshDay();
    const { rows: [lyonRoom] } = await context.db.query<{ id: string }>("insert into rooms (location_id, name, capacity) values ($1, 'Lyon 1', 20) returning id", [world.otherLocationId]);
    const response = await world.call('SA', 'POST', '/v1/sessions', sessionBody({ session_date: day, room_id: lyonRoom!.id }));
    expect(response.statusCode, response.body).toBe(422);
    expect(response.json().error.code).toBe('INVALID_REFERENCE');
  });

  it('lets an AP manage the rooms of its own locations only', async () => {
    const own = await world.call('AP', 'POST', '/v1/rooms', { location_id: world.locationId, name: 'AP room', capacity: 10 });
    expect(own.statusCode, own.body).toBe(201);
    const foreign = await world.call('AP', 'POST', '/v1/rooms', { location_id: world.otherLocationId, name: 'Not mine', capacity: 10 });
    expect(foreign.statusCode, foreign.body).toBe(403);
    const listed = await world.call('IT', 'GET', `/v1/rooms?location_id=${world.locationId}`);
    expect(listed.json<{ items: { name: string }[] }>().items.map((room) => room.name)).toContain('AP room');
  });

  it('reports each occurrence a schedule cannot have because its instructor teaches elsewhere then', async () => {
    const start = plusDays(world.today, 40);
    const blocker = await createSession({ session_date: plusDays(start, 2), start_time: '09:30', end_time: '10:30' });
    const response = await world.call('SA', 'POST', '/v1/schedules', {
      course_id: world.courseId, instructor_id: world.users.IC.id, location_id: world.locationId, rrule: 'FREQ=DAILY;COUNT=4', start_date: start,
      start_time: '09:00', duration_minutes: 60, max_capacity: 10, generate_until: plusDays(start, 10),
    });
    expect(response.statusCode, response.body).toBe(201);
    const { sessions } = response.json<{ sessions: { created: { session_date: string }[]; conflicts: unknown[] } }>();
    expect(sessions.created.map((session) => session.session_date)).toEqual([start, plusDays(start, 1), plusDays(start, 3)]);
    expect(sessions.conflicts).toEqual([{ session_date: plusDays(start, 2), start_time: '09:00:00', conflicting_session_id: blocker.id, resource: 'instructor' }]);
  });
});

describe('a trainee enrolling in overlapping sessions', () => {
  it('is refused with 422 unless the overlap is wanted', async () => {
    const day = freshDay();
    const fullDay = await createSession({ session_date: day, start_time: '09:00', end_time: '17:00' });
    const module = await createSession({ session_date: day, instructor_id: world.users.IP.id, start_time: '14:00', end_time: '15:00' });
    expect((await world.call('IT', 'POST', `/v1/sessions/${fullDay.id}/enrollments`, {})).statusCode).toBe(201);
    const refused = await world.call('IT', 'POST', `/v1/sessions/${module.id}/enrollments`, {});
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().error).toMatchObject({ code: 'OVERLAPPING_ENROLLMENT', details: { field: 'body.allow_overlap', overlapping_session_ids: [fullDay.id] } });
    const wanted = await world.call('IT', 'POST', `/v1/sessions/${module.id}/enrollments`, { allow_overlap: true });
    expect(wanted.statusCode, wanted.body).toBe(201);
  });

  it('refuses a student profile enrolled by staff the same way: a waitlist place counts, a cancelled enrollment does not', async () => {
    const day = freshDay();
    const full = await createSession({ session_date: day, start_time: '09:00', end_time: '12:00', max_capacity: 1 });
    const module = await createSession({ session_date: day, instructor_id: world.users.IP.id, start_time: '10:00', end_time: '11:00' });
    const { rows: [profile, seated] } = await context.db.query<{ id: string }>(
      "insert into student_enrollment_profiles (first_name, last_name) values ('Overlap', 'Profile'), ('Seated', 'Profile') returning id",
    );
    const enroll = (sessionId: string, studentProfileId: string) => world.call('SA', 'POST', `/v1/sessions/${sessionId}/enrollments`, { student_profile_id: studentProfileId });
    expect((await enroll(full.id, seated!.id)).statusCode).toBe(201);
    const waitlisted = await enroll(full.id, profile!.id);
    expect(waitlisted.json()).toMatchObject({ status: 'WAITLISTED' });
    const refused = await enroll(module.id, profile!.id);
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().error).toMatchObject({ code: 'OVERLAPPING_ENROLLMENT', details: { overlapping_session_ids: [full.id] } });
    expect((await world.call('SA', 'POST', `/v1/enrollments/${waitlisted.json<{ id: string }>().id}/cancel`, {})).statusCode).toBe(200);
    expect((await enroll(module.id, profile!.id)).statusCode).toBe(201);
  });
});
