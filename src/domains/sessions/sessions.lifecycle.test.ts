import { beforeAll, describe, expect, it } from 'vitest';
import { type WorldCaller, enrollmentState, enrollStudents, type TrainingWorld, useTrainingWorld } from '../../../test/world.js';

// Real HTTP on a real database: the status transitions of a session, their events, and the cancel cascade.
const context = useTrainingWorld();
let world: TrainingWorld;
beforeAll(() => {
  world = context.world;
});

type Status = 'SCHEDULED' | 'IN_PROGRESS' | 'COMPLETED' | 'CANCELLED';

let sessionsMade = 0;

/** A session in the given status, on a day of its own (IC teaches one session at a time: migration 0039). */
async function sessionIn(status: Status, fields: { capacity?: number; selfEnrollment?: boolean } = {}): Promise<string> {
  sessionsMade += 1;
  const { rows } = await context.db.query<{ id: string }>(
    `insert into training_sessions (title, course_id, instructor_id, location_id, provider_id, session_date, start_time, end_time,
                                    max_capacity, self_enrollment_allowed, status, cancelled_reason)
     values ('Lifecycle', $1, $2, $3, $4, date '2031-09-01' + $9::integer, '09:00', '12:00', $5, $6, $7, $8) returning id`,
    [world.courseId, world.users.IC.id, world.locationId, world.providerId, fields.capacity ?? 10, fields.selfEnrollment ?? false, status,
      status === 'CANCELLED' ? 'set up cancelled' : null, sessionsMade],
  );
  return rows[0]!.id;
}

/** A transition at version 1 (a fresh session's) unless the body or an If-Match header names another. */
const move = (caller: WorldCaller, id: string, action: 'start' | 'complete' | 'cancel', body?: object, headers?: Record<string, string>) => {
  const version = headers?.['if-match'] === undefined ? { version: 1 } : {};
  return world.call(caller, 'POST', `/v1/sessions/${id}/${action}`, { ...version, ...(action === 'cancel' ? { reason: 'Instructor unwell' } : {}), ...body }, headers);
};

async function eventsOf(aggregateId: string): Promise<{ event_type: string; aggregate_version: number | null; actor_id: string | null; payload: Record<string, unknown> }[]> {
  const { rows } = await context.db.query<{ event_type: string; aggregate_version: number | null; actor_id: string | null; payload: Record<string, unknown> }>(
    'select event_type, aggregate_version, actor_id, payload from domain_events where aggregate_id = $1 order by seq',
    [aggregateId],
  );
  return rows;
}

describe('the lifecycle of a session', () => {
  const table: [Status, 'start' | 'complete' | 'cancel', Status | null][] = [
    ['SCHEDULED', 'start', 'IN_PROGRESS'],
    ['SCHEDULED', 'complete', null],
    ['SCHEDULED', 'cancel', 'CANCELLED'],
    ['IN_PROGRESS', 'start', null],
    ['IN_PROGRESS', 'complete', 'COMPLETED'],
    ['IN_PROGRESS', 'cancel', 'CANCELLED'],
    ['COMPLETED', 'start', null],
    ['COMPLETED', 'complete', null],
    ['COMPLETED', 'cancel', null],
    ['CANCELLED', 'start', null],
    ['CANCELLED', 'complete', null],
    ['CANCELLED', 'cancel', null],
  ];

  it.each(table)('%s, %s → %s', async (from, action, to) => {
    const id = await sessionIn(from);
    const response = await move('IC', id, action);
    const { rows } = await context.db.query<{ status: string; version: number }>('select status, version from training_sessions where id = $1', [id]);
    if (to === null) {
      expect(response.statusCode).toBe(409);
      expect(response.json().error).toMatchObject({ code: 'INVALID_TRANSITION', details: { current_status: from, current: { id, status: from } } });
      expect(response.json().error.message).toContain(`the session is ${from}`);
      expect(rows[0]).toEqual({ status: from, version: 1 });
      expect(await eventsOf(id)).toEqual([]);
    } else {
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ id, status: to, version: 2 });
      expect(response.headers['etag']).toBe('"2"');
      expect(rows[0]).toEqual({ status: to, version: 2 });
      const events = await eventsOf(id);
      expect(events.map((event) => event.event_type)).toEqual([`session.${{ start: 'started', complete: 'completed', cancel: 'cancelled' }[action]}`]);
      expect(events[0]).toMatchObject({ aggregate_version: 2, actor_id: world.users.IC.id, payload: { previous_status: from } });
    }
  });

  it('runs SCHEDULED → IN_PROGRESS → COMPLETED through the API, each step at the version read', async () => {
    const id = await sessionIn('SCHEDULED');
    expect((await move('AP', id, 'start', { version: 1 })).json()).toMatchObject({ status: 'IN_PROGRESS', version: 2 });
    const completed = await world.call('AD', 'POST', `/v1/sessions/${id}/complete`, undefined, { 'if-match': '"2"' });
    expect(completed.json()).toMatchObject({ status: 'COMPLETED', version: 3 });
    expect((await eventsOf(id)).map((event) => event.event_type)).toEqual(['session.started', 'session.completed']);
  });

  it('refuses a stale version with 409 and the current row, and a malformed If-Match with 400', async () => {
    const id = await sessionIn('SCHEDULED');
    await context.db.query("update training_sessions set title = 'Changed meanwhile' where id = $1", [id]);
    const stale = await move('IC', id, 'start', { version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'VERSION_CONFLICT', details: { field: 'body.version', current: { title: 'Changed meanwhile', version: 2 } } });
    expect((await move('IC', id, 'cancel', { version: 1 })).json().error.code).toBe('VERSION_CONFLICT');
    expect((await move('IC', id, 'start', undefined, { 'if-match': 'W/"x"' })).statusCode).toBe(400);
    expect((await move('IC', id, 'start', { version: 0 })).statusCode).toBe(400);
    expect((await move('IC', id, 'start', undefined, { 'if-match': '"1"' })).json().error.code).toBe('VERSION_CONFLICT');
    const { rows } = await context.db.query('select status, version from training_sessions where id = $1', [id]);
    expect(rows[0]).toEqual({ status: 'SCHEDULED', version: 2 });
  });

  it('needs the version read: without one (body or If-Match) each transition is 400 and changes nothing', async () => {
    const id = await sessionIn('SCHEDULED');
    for (const [action, body] of [['start', undefined], ['start', {}], ['complete', undefined], ['cancel', { reason: 'No version' }]] as const) {
      const response = await world.call('IC', 'POST', `/v1/sessions/${id}/${action}`, body);
      expect(response.statusCode, `${action}: ${response.body}`).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.version' } });
    }
    expect((await enrollmentState(context.db, id)).status).toBe('SCHEDULED');
    expect(await eventsOf(id)).toEqual([]);
  });

  it('is for the staff of the session: 404 for who cannot see it, 403 for who can but may not, 401 signed out', async () => {
    const expected: Record<WorldCaller, number> = { SA: 200, AD: 200, AP: 200, otherAP: 404, IC: 200, IP: 404, IT: 403, IN: 403, anon: 401 };
    for (const [caller, status] of Object.entries(expected) as [WorldCaller, number][]) {
      for (const [action, from] of [['start', 'SCHEDULED'], ['complete', 'IN_PROGRESS'], ['cancel', 'SCHEDULED']] as const) {
        const id = await sessionIn(from);
        const response = await move(caller, id, action);
        expect(response.statusCode, `${caller} ${action}: ${response.body}`).toBe(status);
      }
    }
    // A session the caller sees (open for self-enrollment) but does not run.
    const open = await sessionIn('SCHEDULED', { selfEnrollment: true });
    for (const caller of ['otherAP', 'IP'] as const) {
      const response = await move(caller, open, 'start');
      expect(response.statusCode, caller).toBe(403);
      expect(response.json().error.code).toBe('FORBIDDEN');
    }
    expect((await move('SA', '00000000-0000-4000-8000-000000000000', 'complete')).statusCode).toBe(404);
    expect((await move('SA', 'not-a-uuid', 'complete')).statusCode).toBe(400);
  });

  it('needs a reason to cancel', async () => {
    const id = await sessionIn('SCHEDULED');
    for (const body of [{}, { reason: '' }, { reason: 'x'.repeat(501) }, { reason: 'ok', status: 'CANCELLED' }]) {
      const response = await world.call('SA', 'POST', `/v1/sessions/${id}/cancel`, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error.details.field).toMatch(/^body/);
    }
    expect((await world.call('SA', 'POST', `/v1/sessions/${id}/cancel`)).statusCode).toBe(400);
    expect((await enrollmentState(context.db, id)).status).toBe('SCHEDULED');
  });
});

describe('cancelling a session', () => {
  it('cancels every enrolled and waitlisted student with it, empties the counter and tells who was affected', async () => {
    const id = await sessionIn('SCHEDULED', { capacity: 2 });
    const students = await enrollStudents(context.db, world, id, 4);
    expect(await enrollmentState(context.db, id)).toMatchObject({ counter: 2, statuses: { ENROLLED: 2, WAITLISTED: 2 } });
    const before = (await context.db.query<{ seq: number }>('select coalesce(max(seq), 0)::bigint as seq from domain_events')).rows[0]!.seq;

    // Each enrollment moved the session's version on: the cancellation is at the version read now.
    const { version } = (await world.call('IC', 'GET', `/v1/sessions/${id}`)).json<{ version: number }>();
    const response = await move('IC', id, 'cancel', { reason: 'Flooded classroom', version });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ status: 'CANCELLED', cancelled_reason: 'Flooded classroom', current_enrollment: 0 });
    expect(await enrollmentState(context.db, id)).toEqual({ counter: 0, status: 'CANCELLED', statuses: { CANCELLED: 4 } });
    const { rows: positions } = await context.db.query('select waitlist_position from session_enrollments where session_id = $1 and waitlist_position is not null', [id]);
    expect(positions).toEqual([]);

    const { rows: events } = await context.db.query<{ aggregate_type: string; event_type: string; actor_id: string; payload: Record<string, unknown> }>(
      'select aggregate_type, event_type, actor_id, payload from domain_events where seq > $1 order by seq',
      [before],
    );
    expect(events.map((event) => event.event_type)).toEqual([...students.map(() => 'enrollment.cancelled'), 'session.cancelled']);
    expect(events.every((event) => event.actor_id === world.users.IC.id)).toBe(true);
    const cancelled = events.at(-1)!;
    expect(cancelled.payload).toMatchObject({ reason: 'Flooded classroom', previous_status: 'SCHEDULED' });
    const affected = cancelled.payload['affected'] as { student_id: string; previous_status: string }[];
    expect(affected.map((each) => each.student_id).sort()).toEqual([...students].sort());
    expect(affected.map((each) => each.previous_status).sort()).toEqual(['ENROLLED', 'ENROLLED', 'WAITLISTED', 'WAITLISTED']);
  });

  it('takes no enrollments afterwards, and cancelling again is an invalid transition', async () => {
    const id = await sessionIn('IN_PROGRESS', { selfEnrollment: true });
    expect((await move('AP', id, 'cancel')).statusCode).toBe(200);
    const late = await world.call('SA', 'POST', `/v1/sessions/${id}/enrollments`, { student_id: world.users.IN.id });
    expect(late.statusCode).toBe(409);
    const again = await move('AP', id, 'cancel', { version: 2 });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'INVALID_TRANSITION', details: { current_status: 'CANCELLED' } });
    expect(await enrollmentState(context.db, id)).toEqual({ counter: 0, status: 'CANCELLED', statuses: {} });
  });

  it('refuses the cancel function to anyone but the session’s staff, in SQL too', async () => {
    const id = await sessionIn('SCHEDULED', { selfEnrollment: true });
    const asStudent = { userId: world.users.IT.id, role: 'IT' as const, providerId: null };
    await expect(context.db.withActor(asStudent, (tx) => tx.query('select cancel_session($1, $2)', [id, 'no']))).rejects.toMatchObject({ code: '42501' });
    const asOtherInstructor = { userId: world.users.IP.id, role: 'IP' as const, providerId: null };
    const closed = await sessionIn('SCHEDULED');
    await expect(context.db.withActor(asOtherInstructor, (tx) => tx.query('select cancel_session($1, $2)', [closed, 'no']))).rejects.toMatchObject({ code: 'UT404' });
    const completed = await sessionIn('COMPLETED');
    const asAdministrator = { userId: world.users.SA.id, role: 'SA' as const, providerId: null };
    await expect(context.db.withActor(asAdministrator, (tx) => tx.query('select cancel_session($1, $2)', [completed, 'no']))).rejects.toMatchObject({ code: 'UTTRN' });
    expect((await enrollmentState(context.db, id)).status).toBe('SCHEDULED');
    expect((await enrollmentState(context.db, completed)).status).toBe('COMPLETED');
  });
});
