import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { buildFixtureWorld, fixtureActor, fixtureId as id, type FixtureUser } from '../../../test/fixture-world.js';
import { useTestApp } from '../../../test/test-app.js';
import type { Role } from '../db/actor.js';

/**
 * Issue 11, items 1–3, as the issue tells them, through the API on the fixture world (decision 0023):
 * a session or roster moves only where its editor may create one, an AP assigns only instructors
 * affiliated with its own providers, and nobody but an SA points a row at an SA account or sees one.
 * Each test leaves the world as it found it, or changes only what no other test reads.
 */
const context = useTestApp();

beforeAll(async () => {
  await buildFixtureWorld(context.db);
});

async function as(user: FixtureUser, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) {
  const actor = fixtureActor(user);
  const token = await mintAccessToken(testKeyring, { userId: actor.userId as string, role: actor.role as Role, providerId: actor.providerId });
  return context.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
}

const versionOf = async (table: string, row: string) =>
  (await context.db.query<{ version: number }>(`select version from ${table} where id = $1`, [id(row)])).rows[0]!.version;
const rowOf = async (table: string, row: string) => (await context.db.query(`select * from ${table} where id = $1`, [id(row)])).rows[0]!;

describe('item 1: a session or roster moves only where its editor may create one', () => {
  it('refuses the IC moving a session it teaches to another provider’s location (403), and the session stays', async () => {
    // ic1 teaches s1 at l1 (North); l3 is South's only.
    const response = await as('ic1', 'PATCH', `/v1/sessions/${id('s1')}`, { location_id: id('l3'), version: await versionOf('training_sessions', 's1') });
    expect(response.statusCode, response.body).toBe(403);
    expect(response.json().error).toMatchObject({ code: 'FORBIDDEN', details: { table: 'training_sessions' } });
    expect(await rowOf('training_sessions', 's1')).toMatchObject({ location_id: id('l1'), provider_id: id('p1') });
    // South's AP still reads none of its enrollments, North's AP still reads them.
    const enrollments = async (user: FixtureUser) =>
      ((await as(user, 'GET', `/v1/enrollments?session_id=${id('s1')}`)).json().items as { id: string }[]).map((item) => item.id).sort();
    expect(await enrollments('ap2')).toEqual([]);
    expect(await enrollments('ap1')).toEqual([id('e1'), id('e2'), id('e3')].sort());
  });

  it('refuses the IC moving it to a location no provider serves too: an instructor creates no sessions', async () => {
    const response = await as('ic1', 'PATCH', `/v1/sessions/${id('s1')}`, { location_id: id('l4'), version: await versionOf('training_sessions', 's1') });
    expect(response.statusCode, response.body).toBe(403);
  });

  it('still lets the IC change what it may on its session (the title)', async () => {
    const response = await as('ic1', 'PATCH', `/v1/sessions/${id('s7')}`, { title: 'Site safety, renamed', version: await versionOf('training_sessions', 's7') });
    expect(response.statusCode, response.body).toBe(200);
  });

  it('refuses the instructor of a roster moving it to another provider’s location (403), provider or none', async () => {
    // ic2 (affiliated with South) instructs r3 at the shared l2 for South; l1 is North's only.
    for (const change of [{ location_id: id('l1'), provider_id: null }, { location_id: id('l1'), provider_id: id('p1') }]) {
      const response = await as('ic2', 'PATCH', `/v1/rosters/${id('r3')}`, { ...change, version: await versionOf('rosters', 'r3') });
      expect(response.statusCode, response.body).toBe(403);
    }
    expect(await rowOf('rosters', 'r3')).toMatchObject({ location_id: id('l2'), provider_id: id('p2') });
  });

  it('lets the roster’s instructor move it within its own provider’s locations', async () => {
    const response = await as('ic2', 'PATCH', `/v1/rosters/${id('r3')}`, { location_id: id('l3'), version: await versionOf('rosters', 'r3') });
    expect(response.statusCode, response.body).toBe(200);
    const back = await as('ic2', 'PATCH', `/v1/rosters/${id('r3')}`, { location_id: id('l2'), version: await versionOf('rosters', 'r3') });
    expect(back.statusCode, back.body).toBe(200);
  });

  it('refuses an IC creating a roster at another provider’s location (403)', async () => {
    const body = { name: 'Elsewhere', course_id: id('c-first-aid'), instructor_id: id('ic2') };
    expect((await as('ic2', 'POST', '/v1/rosters', { ...body, location_id: id('l1') })).statusCode).toBe(403);
  });

  it('refuses the AP moving a session to a location it does not have, and giving it another provider (403)', async () => {
    const version = await versionOf('training_sessions', 's1');
    expect((await as('ap1', 'PATCH', `/v1/sessions/${id('s1')}`, { location_id: id('l3'), version })).statusCode).toBe(403);
  });
});

describe('item 3: an AP assigns only instructors affiliated with its own providers', () => {
  it('refuses North’s AP making South’s instructor teach its session (403), and lets it assign its own', async () => {
    // ic2 is affiliated with South; ip1 with North.
    const refused = await as('ap1', 'PATCH', `/v1/sessions/${id('s1')}`, { instructor_id: id('ic2'), version: await versionOf('training_sessions', 's1') });
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'FORBIDDEN', details: { table: 'training_sessions' } });
    expect((await rowOf('training_sessions', 's1'))['instructor_id']).toBe(id('ic1'));

    const created = { course_id: id('c-first-aid'), location_id: id('l1'), session_date: '2031-01-06', start_time: '09:00', end_time: '12:00', max_capacity: 5 };
    expect((await as('ap1', 'POST', '/v1/sessions', { ...created, instructor_id: id('ic2') })).statusCode).toBe(403);
    const own = await as('ap1', 'POST', '/v1/sessions', { ...created, instructor_id: id('ip1') });
    expect(own.statusCode, own.body).toBe(201);
  });

  it('lets AD assign any instructor', async () => {
    const session = await as('ad', 'POST', '/v1/sessions', {
      course_id: id('c-first-aid'), location_id: id('l1'), session_date: '2031-01-07', start_time: '09:00', end_time: '12:00', max_capacity: 5, instructor_id: id('ic2'),
    });
    expect(session.statusCode, session.body).toBe(201);
  });

  it('refuses North’s AP a roster or schedule taught by South’s instructor (403)', async () => {
    expect((await as('ap1', 'POST', '/v1/rosters', { name: 'R', course_id: id('c-first-aid'), location_id: id('l1'), instructor_id: id('ic2') })).statusCode).toBe(403);
    const schedule = await as('ap1', 'POST', '/v1/schedules', {
      course_id: id('c-first-aid'), instructor_id: id('ic2'), location_id: id('l1'), rrule: 'FREQ=WEEKLY;COUNT=2', start_date: '2031-02-03', start_time: '09:00',
      duration_minutes: 60, max_capacity: 5,
    });
    expect(schedule.statusCode, schedule.body).toBe(403);
  });
});

describe('item 2: AD never attaches a row to an SA account, and nobody but an SA sees one', () => {
  it.each([
    ['/v1/provider-members', { provider_id: id('p1'), user_id: id('sa') }],
    ['/v1/team-members', { team_id: id('team1'), user_id: id('sa') }],
    ['/v1/instructor-profiles', { user_id: id('sa'), display_name: 'System', provider_id: id('p1') }],
  ])('refuses AD POST %s naming the SA (403), and nothing is made', async (path, body) => {
    const response = await as('ad', 'POST', path, body);
    expect(response.statusCode, response.body).toBe(403);
    expect(response.json().error.code).toBe('FORBIDDEN');
    expect((await as('ap1', 'GET', `/v1/users/${id('sa')}`)).statusCode).toBe(404);
  });

  it('keeps an SA who enrolled themselves out of sight of the session’s AP and instructor', async () => {
    // s7 (South's l3, taught by ic1) is open for self-enrollment.
    const enrolled = await as('sa', 'POST', `/v1/sessions/${id('s7')}/enrollments`, {});
    expect(enrolled.statusCode, enrolled.body).toBe(201);
    for (const user of ['ap2', 'ap3', 'ic1'] as const) {
      expect((await as(user, 'GET', `/v1/users/${id('sa')}`)).statusCode, user).toBe(404);
    }
    // The student the same way, for comparison: ap2 sees it1 once it1 is enrolled there.
    expect((await as('it1', 'POST', `/v1/sessions/${id('s7')}/enrollments`, {})).statusCode).toBe(201);
    expect((await as('ap2', 'GET', `/v1/users/${id('it1')}`)).statusCode).toBe(200);
  });

  it('refuses AD enrolling the SA (403), through the SECURITY DEFINER enrollment function', async () => {
    const response = await as('ad', 'POST', `/v1/sessions/${id('s2')}/enrollments`, { student_id: id('sa') });
    expect(response.statusCode, response.body).toBe(403);
    expect((await context.db.query('select 1 from session_enrollments where student_id = $1 and session_id = $2', [id('sa'), id('s2')])).rowCount).toBe(0);
  });
});

describe('enrolling a student profile is for the session’s staff', () => {
  it('refuses a trainee enrolling a walk-in into a session open for self-enrollment (403), and lets the staff', async () => {
    // s4 (l4, taught by ic1) is SCHEDULED and open for self-enrollment; sp5 is a walk-in of South.
    const refused = await as('it1', 'POST', `/v1/sessions/${id('s4')}/enrollments`, { student_profile_id: id('sp5') });
    expect(refused.statusCode, refused.body).toBe(403);
    expect((await context.db.query('select 1 from session_enrollments where student_profile_id = $1', [id('sp5')])).rowCount).toBe(0);
    expect((await as('ic1', 'POST', `/v1/sessions/${id('s4')}/enrollments`, { student_profile_id: id('sp5') })).statusCode).toBe(201);
  });
});

