import { describe, expect, it } from 'vitest';
import { createEnrollmentWorld, createSession, createStudents } from '../../../test/world.js';
import { useListeningApp } from '../../../test/listening-app.js';
import { readMetric } from '../../../test/metrics.js';
import { openStream, type SseConnection } from '../../../test/sse-client.js';
import { until } from '../../../test/until.js';

// The hub keeps each stream's scope between batches (subscriber-scopes.ts). These streams stay open while
// the writes change who may see a session: enrolling and unenrolling, reassigning the instructor, a
// provider gaining a location, an AP leaving the provider, an account deactivated. After each step the
// session changes, and so does the account of a classmate enrolled in it (whom the session's instructor
// and the location's APs may see). Every stream must get each change exactly when its account, still
// active, can select the row then under row-level security, never on the strength of a scope kept from
// before.
const context = useListeningApp(true);

type Viewer = 'trainee' | 'instructor' | 'otherInstructor' | 'ap' | 'otherAp';
const viewers: Viewer[] = ['trainee', 'instructor', 'otherInstructor', 'ap', 'otherAp'];

describe('stream scopes kept between batches', () => {
  it('follow every write that changes who may select a session or one of its students', async () => {
    const world = await createEnrollmentWorld(context.db);
    const session = await createSession(context.db, world, { capacity: 5, selfEnrollment: false });
    const [classmate] = await createStudents(context.db, 1);
    await context.db.query("insert into session_enrollments (session_id, student_id, status) values ($1, $2, 'ENROLLED')", [session, classmate]);
    const streams = new Map<Viewer, SseConnection>();
    for (const viewer of viewers) streams.set(viewer, await openStream(context.baseUrl, { token: world.tokens[viewer], topics: 'sessions,users,locations' }));

    /** Who may select the row now: an active account whose actor row-level security lets through. */
    const selectingNow = async (table: 'training_sessions' | 'users', id: string): Promise<Viewer[]> => {
      const may: Viewer[] = [];
      for (const viewer of viewers) {
        const user = world[viewer];
        const { rows } = await context.db.withActor({ userId: user.id, role: user.role, providerId: null }, (tx) =>
          // The table name is one of two literals above.
          tx.query(`select 1 from ${table} t, users u where t.id = $1 and u.id = $2 and u.status = 'ACTIVE'`, [id, user.id]));
        if (rows.length === 1) may.push(viewer);
      }
      return may;
    };
    const streamsWith = (seq: string) => viewers.filter((viewer) => streams.get(viewer)!.changes().some((event) => String(event.data['seq']) === seq));
    /** Changes the session and the classmate's account; returns who got the session's change, after checking both against RLS. */
    const changeAndSee = async (title: string): Promise<Viewer[]> => {
      const lastChange = async (table: string, id: string) =>
        (await context.db.query<{ seq: string }>('select max(seq)::text as seq from change_log where table_name = $1 and row_id = $2', [table, id])).rows[0]!;
      await context.db.query('update training_sessions set title = $2 where id = $1', [session, title]);
      const sessionChange = await lastChange('training_sessions', session);
      await context.db.query('update users set last_login_at = now() where id = $1', [classmate]);
      const userChange = await lastChange('users', classmate!);
      const { rows: [marker] } = await context.db.query<{ id: string }>("insert into locations (name, country) values ('Marker', 'GB') returning id");
      // An inactive account sees nothing, the marker neither; the hub writes one batch to every stream at once.
      const { rows: active } = await context.db.query<{ id: string }>("select id from users where status = 'ACTIVE' and id = any ($1::uuid[])", [viewers.map((viewer) => world[viewer].id)]);
      const watched = viewers.filter((viewer) => active.some((row) => row.id === world[viewer].id)).map((viewer) => streams.get(viewer)!);
      await Promise.all(watched.map((stream) => stream.waitUntil(() => stream.changes().some((event) => event.data['id'] === marker!.id), 15_000, 'the marker')));
      expect(streamsWith(userChange.seq), `who got the classmate's change (${title})`).toEqual(await selectingNow('users', classmate!));
      const got = streamsWith(sessionChange.seq);
      expect(got, `who got the session's change (${title})`).toEqual(await selectingNow('training_sessions', session));
      return got;
    };

    // One kind of write per step, so that each rule that picks the scopes to rebuild is seen alone.
    const write = (sql: string, params: unknown[]) => context.db.query(sql, params);
    const scopesBuilt = () => readMetric(context.baseUrl, 'unitrain_stream_scopes_built_total');
    // A stream that opens while the feed hands on a batch catches up by itself first, and gets its scope
    // kept once it takes live batches, which may be a step or two later: the counts below start once
    // every stream's is kept.
    await until(async () => {
      const { rows: [marker] } = await context.db.query<{ id: string }>("insert into locations (name, country) values ('Warm-up', 'GB') returning id");
      await Promise.all([...streams.values()].map((stream) => stream.waitUntil(() => stream.changes().some((event) => event.data['id'] === marker!.id), 15_000, 'the warm-up marker')));
      return (await scopesBuilt()) >= viewers.length;
    }, 'every stream taking live batches');
    expect(await changeAndSee('Before')).toEqual(['instructor', 'ap']);
    // Changes that touch no stream's scope rebuild none: a session update that keeps its instructor, the
    // account of someone without a stream, the enrollment of a student profile without an account.
    const builtBefore = await scopesBuilt();
    expect(await changeAndSee('Again')).toEqual(['instructor', 'ap']);
    const { rows: [walkIn] } = await context.db.query<{ id: string }>("insert into student_enrollment_profiles (first_name, last_name) values ('Walk', 'In') returning id");
    await write("insert into session_enrollments (session_id, student_profile_id, status) values ($1, $2, 'ENROLLED')", [session, walkIn!.id]);
    expect(await changeAndSee('Walk-in')).toEqual(['instructor', 'ap']);
    expect(await scopesBuilt()).toBe(builtBefore);
    await write("insert into session_enrollments (session_id, student_id, status) values ($1, $2, 'ENROLLED')", [session, world.trainee.id]);
    expect(await changeAndSee('Enrolled')).toEqual(['trainee', 'instructor', 'ap']);
    expect(await scopesBuilt()).toBeGreaterThan(builtBefore);
    await write('update training_sessions set instructor_id = $2 where id = $1', [session, world.otherInstructor.id]);
    expect(await changeAndSee('Reassigned')).toEqual(['trainee', 'otherInstructor', 'ap']);
    await write('delete from session_enrollments where student_id = $1', [world.trainee.id]);
    expect(await changeAndSee('Unenrolled')).toEqual(['otherInstructor', 'ap']);
    await write('insert into provider_locations (provider_id, location_id) select provider_id, $2 from provider_members where user_id = $1', [world.otherAp.id, world.locationId]);
    expect(await changeAndSee('Shared')).toEqual(['otherInstructor', 'ap', 'otherAp']);
    await write("update users set status = 'INACTIVE' where id = $1", [world.otherInstructor.id]);
    expect(await changeAndSee('Deactivated')).toEqual(['ap', 'otherAp']);
    await write('delete from provider_members where user_id = $1', [world.ap.id]);
    expect(await changeAndSee('Left')).toEqual(['otherAp']);
    await write('update training_sessions set instructor_id = $2 where id = $1', [session, world.instructor.id]);
    expect(await changeAndSee('Back')).toEqual(['instructor', 'otherAp']);
    for (const stream of streams.values()) stream.close();
  });

  it("tells the instructor of a roster's session that a line left the roster, as well as that it came", async () => {
    const world = await createEnrollmentWorld(context.db);
    const session = await createSession(context.db, world, { capacity: 5, selfEnrollment: false });
    // The roster names another instructor: the session's instructor sees its lines through the session.
    const { rows: [roster] } = await context.db.query<{ id: string }>(
      `insert into rosters (name, session_id, course_id, location_id, provider_id, instructor_id, roster_type, issue_date)
       values ('Evening class', $1, $2, $3, $4, $5, 'CERTIFICATE', '2031-05-05') returning id`,
      [session, world.courseId, world.locationId, world.providerId, world.otherInstructor.id]);
    const { rows: [profile] } = await context.db.query<{ id: string }>("insert into student_enrollment_profiles (first_name, last_name) values ('Rita', 'Roster') returning id");
    const streams = new Map<Viewer, SseConnection>();
    for (const viewer of viewers) streams.set(viewer, await openStream(context.baseUrl, { token: world.tokens[viewer], topics: 'rosters,locations' }));

    const { rows: [line] } = await context.db.query<{ id: string }>(
      'insert into student_roster_members (roster_id, student_profile_id, student_id) values ($1, $2, $3) returning id', [roster!.id, profile!.id, world.trainee.id]);
    await context.db.query('delete from student_roster_members where id = $1', [line!.id]);
    const { rows: [marker] } = await context.db.query<{ id: string }>("insert into locations (name, country) values ('Marker', 'GB') returning id");
    await Promise.all([...streams.values()].map((stream) => stream.waitUntil(() => stream.changes().some((event) => event.data['id'] === marker!.id), 15_000, 'the marker')));
    const lineChanges = (viewer: Viewer) => streams.get(viewer)!.changes().filter((event) => event.data['id'] === line!.id).map((event) => event.data['op']);
    expect(Object.fromEntries(viewers.map((viewer) => [viewer, lineChanges(viewer)]))).toEqual({
      trainee: ['INSERT', 'DELETE'],
      instructor: ['INSERT', 'DELETE'],
      otherInstructor: ['INSERT', 'DELETE'],
      ap: ['INSERT', 'DELETE'],
      otherAp: [],
    });
    for (const stream of streams.values()) stream.close();
  });
});
