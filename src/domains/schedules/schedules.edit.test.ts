import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enrollmentState, enrollStudents, freeEveryBooking, plusDays, type TrainingWorld, useTrainingWorld } from '../../../test/world.js';

// Real HTTP on a real database: editing a schedule changes its upcoming, untouched sessions only.
const context = useTrainingWorld();
let world: TrainingWorld;
beforeAll(() => {
  world = context.world;
});
// These tests are about recurrence, not double-booking: each starts with the instructors free.
beforeEach(() => freeEveryBooking(context.db));

const isWeekend = (day: string) => [0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay());

interface StoredSession {
  id: string;
  session_date: string;
  start_time: string;
  instructor_id: string;
  max_capacity: number;
  status: string;
  occurrence_date: string | null;
  detached_from_schedule: boolean;
  version: number;
}
interface Ref {
  id: string;
  session_date: string;
  start_time: string;
  reason?: string;
}
interface ChangeJson {
  schedule: { id: string; version: number };
  sessions: { created: Ref[]; updated: Ref[]; cancelled: Ref[]; left_alone: Ref[]; capacity_kept: (Ref & { max_capacity: number; current_enrollment: number })[] };
}

async function createSchedule(fields: Record<string, unknown>): Promise<ChangeJson> {
  const response = await world.call('AD', 'POST', '/v1/schedules', {
    course_id: world.courseId, instructor_id: world.users.IC.id, location_id: world.locationId, start_time: '09:00', duration_minutes: 90,
    max_capacity: 12, start_date: plusDays(world.today, 1), ...fields,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<ChangeJson>();
}

async function sessionsOf(scheduleId: string): Promise<StoredSession[]> {
  const { rows } = await context.db.query<StoredSession>(
    `select id, session_date, start_time, instructor_id, max_capacity, status, occurrence_date, detached_from_schedule, version
       from training_sessions where schedule_id = $1 order by session_date`,
    [scheduleId],
  );
  return rows;
}

async function editSchedule(scheduleId: string, changes: Record<string, unknown>, caller: 'AD' | 'AP' = 'AD'): Promise<ChangeJson> {
  const { rows } = await context.db.query<{ version: number }>('select version from course_schedules where id = $1', [scheduleId]);
  const response = await world.call(caller, 'PATCH', `/v1/schedules/${scheduleId}`, { ...changes, version: rows[0]!.version });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<ChangeJson>();
}

const ids = (refs: { id: string }[]) => refs.map((ref) => ref.id).sort();

describe('editing a schedule', () => {
  it('moves upcoming untouched sessions, cancels the occurrences the rule dropped, and leaves hand-edited, started, cancelled and past ones alone', async () => {
    const { schedule } = await createSchedule({ rrule: 'FREQ=DAILY', generate_until: plusDays(world.today, 14) });
    const sessions = await sessionsOf(schedule.id);
    const weekdays = sessions.filter((session) => !isWeekend(session.session_date));
    const weekends = sessions.filter((session) => isWeekend(session.session_date));
    const [handEdited, cancelledWeekend] = weekends as [StoredSession, StoredSession, ...StoredSession[]];
    const [renamed, started, cancelledByHand, full, capacitySetByHand] = weekdays as [StoredSession, StoredSession, StoredSession, StoredSession, StoredSession, ...StoredSession[]];

    const patchSession = (id: string, version: number, change: object) => world.call('AD', 'PATCH', `/v1/sessions/${id}`, { ...change, version });
    expect((await patchSession(handEdited.id, 1, { start_time: '10:00' })).json()).toMatchObject({ detached_from_schedule: true, occurrence_date: handEdited.session_date });
    expect((await patchSession(renamed.id, 1, { title: 'Renamed, still the schedule’s' })).json()).toMatchObject({ detached_from_schedule: false });
    expect((await world.call('IC', 'POST', `/v1/sessions/${started.id}/start`, { version: 1 })).statusCode).toBe(200);
    expect((await world.call('IC', 'POST', `/v1/sessions/${cancelledByHand.id}/cancel`, { reason: 'Room unavailable', version: 1 })).statusCode).toBe(200);
    await enrollStudents(context.db, world, full.id, 5);
    expect((await world.call('AD', 'PUT', `/v1/sessions/${capacitySetByHand.id}/capacity`, { max_capacity: 20 })).statusCode).toBe(200);
    const weekendStudents = await enrollStudents(context.db, world, cancelledWeekend.id, 2);
    // A session of the schedule in the past.
    const { rows: [past] } = await context.db.query<{ id: string }>(
      `insert into training_sessions (title, course_id, schedule_id, instructor_id, location_id, session_date, start_time, end_time, max_capacity, occurrence_date)
       values ('Past', $1, $2, $3, $4, $5, '09:00', '10:30', 12, $5) returning id`,
      [world.courseId, schedule.id, world.users.IC.id, world.locationId, plusDays(world.today, -1)],
    );
    const before = new Map((await sessionsOf(schedule.id)).map((session) => [session.id, session]));

    const { sessions: changes } = await editSchedule(schedule.id, {
      rrule: 'FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR', start_time: '14:00', instructor_id: world.users.IP.id, max_capacity: 3,
    });

    const after = new Map((await sessionsOf(schedule.id)).map((session) => [session.id, session]));
    const unchanged = [handEdited, started, cancelledByHand, { id: past!.id }];
    for (const { id } of unchanged) expect(after.get(id), `left alone: ${id}`).toEqual(before.get(id));
    const following = weekdays.filter((session) => ![started.id, cancelledByHand.id].includes(session.id));
    for (const session of following) {
      expect(after.get(session.id)).toMatchObject({ start_time: '14:00:00', instructor_id: world.users.IP.id, status: 'SCHEDULED', session_date: session.session_date });
      const expectedCapacity = session.id === full.id ? 12 : session.id === capacitySetByHand.id ? 20 : 3;
      expect(after.get(session.id)!.max_capacity, session.session_date).toBe(expectedCapacity);
    }
    const droppedWeekends = weekends.filter((session) => session.id !== handEdited.id);
    for (const session of droppedWeekends) expect(after.get(session.id)).toMatchObject({ status: 'CANCELLED', start_time: '09:00:00' });
    expect(await enrollmentState(context.db, cancelledWeekend.id)).toEqual({ counter: 0, status: 'CANCELLED', statuses: { CANCELLED: weekendStudents.length } });

    expect(ids(changes.updated)).toEqual(ids(following));
    expect(ids(changes.cancelled)).toEqual(ids(droppedWeekends));
    expect(changes.created).toEqual([]);
    expect(changes.left_alone.map((ref) => [ref.id, ref.reason]).sort()).toEqual(
      [[handEdited.id, 'EDITED_BY_HAND'], [started.id, 'IN_PROGRESS'], [cancelledByHand.id, 'CANCELLED']].sort(),
    );
    expect(changes.capacity_kept.map((ref) => [ref.id, ref.reason, ref.max_capacity, ref.current_enrollment]).sort()).toEqual(
      [[full.id, 'BELOW_ENROLLED', 12, 5], [capacitySetByHand.id, 'CHANGED_BY_HAND', 20, 0]].sort(),
    );
    const { rows: events } = await context.db.query<{ event_type: string; payload: { cancelled: string[] } }>(
      "select event_type, payload from domain_events where aggregate_id = $1 and event_type = 'schedule.updated'",
      [schedule.id],
    );
    expect(events.map((event) => ids(event.payload.cancelled.map((id) => ({ id }))))).toEqual([ids(droppedWeekends)]);
  });

  it('generates the occurrences a rule adds, never again one whose session was moved by hand', async () => {
    const { schedule } = await createSchedule({ rrule: 'FREQ=WEEKLY;BYDAY=MO', generate_until: plusDays(world.today, 28) });
    const mondays = await sessionsOf(schedule.id);
    expect(mondays).toHaveLength(4);
    const moved = mondays[0]!;
    const response = await world.call('AP', 'PATCH', `/v1/sessions/${moved.id}`, { session_date: plusDays(moved.session_date, 1), version: 1 });
    expect(response.json()).toMatchObject({ session_date: plusDays(moved.session_date, 1), occurrence_date: moved.session_date, detached_from_schedule: true });

    const { sessions: changes } = await editSchedule(schedule.id, { rrule: 'FREQ=WEEKLY;BYDAY=MO,TH' }, 'AP');
    const thursdays = changes.created.map((ref) => ref.session_date);
    expect(thursdays.length).toBeGreaterThanOrEqual(3);
    expect(thursdays.every((day) => new Date(`${day}T00:00:00Z`).getUTCDay() === 4)).toBe(true);
    expect(changes.updated).toEqual([]);

    await world.call('AP', 'POST', `/v1/schedules/${schedule.id}/generate`, { until: plusDays(world.today, 40) });
    const stored = await sessionsOf(schedule.id);
    const occurrences = stored.map((session) => session.occurrence_date);
    expect(new Set(occurrences).size).toBe(occurrences.length);
    expect(stored.filter((session) => session.session_date === moved.session_date)).toEqual([]);
  });

  it('promotes waitlisted students when it raises the capacity', async () => {
    const { schedule, sessions } = await createSchedule({ rrule: 'FREQ=DAILY;COUNT=1', max_capacity: 2, start_date: plusDays(world.today, 3) });
    const sessionId = sessions.created[0]!.id;
    await enrollStudents(context.db, world, sessionId, 4);
    const { sessions: changes } = await editSchedule(schedule.id, { max_capacity: 3 });
    expect(ids(changes.updated)).toEqual([sessionId]);
    expect(await enrollmentState(context.db, sessionId)).toEqual({ counter: 3, status: 'SCHEDULED', statuses: { ENROLLED: 3, WAITLISTED: 1 } });
  });

  it('cancels the sessions after a new last day, and makes none while PAUSED', async () => {
    const { schedule } = await createSchedule({ rrule: 'FREQ=DAILY', generate_until: plusDays(world.today, 10) });
    const { sessions: shortened } = await editSchedule(schedule.id, { until: plusDays(world.today, 4) });
    expect(shortened.cancelled.map((ref) => ref.session_date)).toEqual([5, 6, 7, 8, 9, 10].map((offset) => plusDays(world.today, offset)));
    const { sessions: paused } = await editSchedule(schedule.id, { until: null, status: 'PAUSED' });
    expect(paused.created).toEqual([]);
    const { sessions: resumed } = await editSchedule(schedule.id, { status: 'ACTIVE' });
    // The cancelled occurrences stay cancelled: students were told; a new session would be a one-off.
    expect(resumed.created).toEqual([]);
    const statuses = (await sessionsOf(schedule.id)).map((session) => session.status);
    expect(statuses.filter((status) => status === 'SCHEDULED')).toHaveLength(4);
  });

  it('changes no session for an edit that changes nothing', async () => {
    const { schedule } = await createSchedule({ rrule: 'FREQ=DAILY', generate_until: plusDays(world.today, 5) });
    const before = await sessionsOf(schedule.id);
    const { sessions: changes } = await editSchedule(schedule.id, {});
    expect(changes).toEqual({ created: [], updated: [], cancelled: [], left_alone: [], capacity_kept: [], conflicts: [] });
    const { sessions: same } = await editSchedule(schedule.id, { start_time: '09:00', max_capacity: 12 });
    expect(same).toMatchObject({ created: [], updated: [], cancelled: [] });
    expect(await sessionsOf(schedule.id)).toEqual(before);
  });
});
