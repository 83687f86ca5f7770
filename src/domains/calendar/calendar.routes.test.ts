import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildTestApp, createUser, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { buildFixtureWorld, fixtureActor, fixtureActors, fixtureId, type FixtureActor, type FixtureUser } from '../../../test/fixture-world.js';
import { useTestApp } from '../../../test/test-app.js';
import type { Role } from '../../platform/db/actor.js';
import { asTx, type Db, type Tx } from '../../platform/db/database.js';

// The real application through inject, on a real database holding the fixture world (every role, sessions
// at every location); what the calendar answers is compared with what the database holds and with what
// row-level security lets each actor select.

const context = useTestApp();
const tokens = new Map<string, string>();

beforeAll(async () => {
  await buildFixtureWorld(context.db);
  // An address, so that every location field has something to carry.
  await context.db.query(
    `update locations set address_line1 = '1 Park Row', address_line2 = 'Floor 2', region = 'West Yorkshire', postal_code = 'LS1 5AB'
      where id = $1`,
    [fixtureId('l1')],
  );
  const teacher = await createUser(context.db, testKeyring, { role: 'IC', firstName: 'Priya', lastName: 'Personal' });
  await context.db.query(`update profiles set display_name = 'Priya P.' where user_id = $1`, [teacher.id]);
  await context.db.query(
    `insert into training_sessions (title, course_id, instructor_id, location_id, session_date, start_time, end_time, max_capacity, self_enrollment_allowed)
     values ('Open evening', $1, $2, $3, '2032-05-03', '18:00', '20:00', 12, true)`,
    [fixtureId('c-safety'), teacher.id, fixtureId('l3')],
  );
  for (const actor of fixtureActors.filter((candidate) => candidate.userId !== null)) {
    tokens.set(actor.name, await mintAccessToken(testKeyring, { userId: actor.userId as string, role: actor.role as Role }));
  }
});

const tokenOf = (actor: FixtureActor) => tokens.get(actor.name) as string;
const calendar = (query: string, token?: string) =>
  context.app.inject({ method: 'GET', url: `/v1/calendar?${query}`, ...(token ? { headers: bearer(token) } : {}) });

/**
 * Every session as the owner reads it, with its course as last published, its instructor's professional
 * display name and its location: the calendar's source.
 */
async function sessionsInDatabase(db: Db) {
  const { rows } = await db.query<Record<string, unknown> & { id: string; session_date: string; start_time: string; instructor_id: string }>(
    `select s.id, s.title, s.status, s.session_date, s.start_time::text as start_time, s.end_time::text as end_time,
            s.max_capacity, s.current_enrollment, s.version, s.course_id,
            coalesce(v.snapshot ->> 'code', c.code) as course_code, coalesce(v.snapshot ->> 'title', c.title) as course_title,
            s.instructor_id, ip.display_name as instructor_name,
            l.id as location_id, l.name as location_name, l.address_line1, l.address_line2, l.city, l.region, l.postal_code,
            l.country, l.timezone,
            (s.session_date + s.start_time) at time zone l.timezone as starts_at,
            (s.session_date + s.end_time) at time zone l.timezone as ends_at,
            (select count(*)::integer from session_enrollments e where e.session_id = s.id and e.status = 'WAITLISTED') as waitlisted
       from training_sessions s
       join courses c on c.id = s.course_id
       left join course_versions v on v.course_id = c.id and v.version_number = c.published_version
       join locations l on l.id = s.location_id
       left join instructor_profiles ip on ip.user_id = s.instructor_id`,
  );
  const { rows: enrollments } = await db.query<{ session_id: string; student_id: string | null; status: string }>(
    'select session_id, student_id, status from session_enrollments',
  );
  return { sessions: rows, enrollments };
}

type DatabaseView = Awaited<ReturnType<typeof sessionsInDatabase>>;

/** What the calendar of 2030 must say of each session for `actor`, computed from the rows, ordered as the calendar orders. */
function expectedEntries(view: DatabaseView, ids: ReadonlySet<string>, actor: FixtureActor) {
  return view.sessions
    .filter((row) => ids.has(row.id) && row.session_date <= '2030-12-31')
    .sort((a, b) => a.session_date.localeCompare(b.session_date) || a.start_time.localeCompare(b.start_time) || a.id.localeCompare(b.id))
    .map((row) => {
      const own = view.enrollments.find((enrollment) => enrollment.session_id === row.id && enrollment.student_id === actor.userId);
      return {
        id: row.id,
        title: row['title'],
        status: row['status'],
        session_date: row.session_date,
        start_time: row.start_time,
        end_time: row['end_time'],
        starts_at: (row['starts_at'] as Date).toISOString(),
        ends_at: (row['ends_at'] as Date).toISOString(),
        max_capacity: row['max_capacity'],
        current_enrollment: row['current_enrollment'],
        waitlisted: row['waitlisted'],
        enrollment_percentage: Math.round((1000 * (row['current_enrollment'] as number)) / (row['max_capacity'] as number)) / 10,
        participation: row.instructor_id === actor.userId ? 'TEACHING' : (own?.status ?? null),
        version: row['version'],
        course: { id: row['course_id'], code: row['course_code'], title: row['course_title'] },
        instructor: { id: row.instructor_id, display_name: row['instructor_name'] },
        location: {
          id: row['location_id'], name: row['location_name'], address_line1: row['address_line1'], address_line2: row['address_line2'],
          city: row['city'], region: row['region'], postal_code: row['postal_code'], country: row['country'], timezone: row['timezone'],
        },
      };
    });
}

async function rlsSessionIds(actor: FixtureActor): Promise<Set<string>> {
  const { rows } = await context.db.withActor(actor, (tx) => tx.query<{ id: string }>('select id from training_sessions'));
  return new Set(rows.map((row) => row.id));
}

const signedInActors = () => fixtureActors.filter((actor) => actor.userId !== null && actor.name !== 'in2');

describe('GET /v1/calendar', () => {
  it.each(signedInActors().map((actor) => [actor.name, actor] as const))(
    'as %s: exactly the sessions row-level security lets them select, each as the database holds it',
    async (_name, actor) => {
      const response = await calendar('from=2030-01-01&to=2030-12-31', tokenOf(actor));
      expect(response.statusCode, response.body).toBe(200);
      const visible = await rlsSessionIds(actor);
      const body = response.json();
      expect(body).toEqual({ from: '2030-01-01', to: '2030-12-31', items: expectedEntries(await sessionsInDatabase(context.db), visible, actor) });
    },
  );

  it('covers every role, and the roles see different sessions', async () => {
    const roles = new Set(signedInActors().map((actor) => actor.role));
    expect([...roles].sort()).toEqual(['AD', 'AP', 'IC', 'IN', 'IP', 'IT', 'SA']);
    const counts = await Promise.all((['sa', 'ap1', 'ic1', 'it1'] as const).map(async (name) => (await rlsSessionIds(fixtureActor(name))).size));
    expect(new Set(counts).size).toBeGreaterThan(2);
  });

  it('shows a student the instructor’s name and the waitlist although they may read neither themselves', async () => {
    const student = fixtureActor('it1');
    const own = await context.db.withActor(student, (tx) =>
      tx.query('select 1 from profiles where user_id = $1 union all select 1 from session_enrollments where status = $2', [fixtureId('ic1'), 'WAITLISTED']),
    );
    expect(own.rows).toEqual([]);
    const items = (await calendar('from=2030-03-04&to=2030-03-04', tokenOf(student))).json().items;
    expect(items).toMatchObject([{ id: fixtureId('s1'), instructor: { display_name: 'ic1 instructor' }, waitlisted: 1, participation: 'ENROLLED' }]);
  });

  it('names the course as last published, not the administrators’ working copy', async () => {
    const items = (await calendar('from=2030-03-04&to=2030-03-04', tokenOf(fixtureActor('it1')))).json().items;
    // The fixture's snapshots carry only a title (the course key); the code falls back to the row.
    expect(items).toMatchObject([{ id: fixtureId('s1'), course: { id: fixtureId('c-first-aid'), code: 'FA-1', title: 'c-first-aid' } }]);
  });

  it.each(signedInActors().map((actor) => [actor.name, actor] as const))(
    'as %s: names an instructor only by their instructor profile’s display name, never by their personal profile',
    async (_name, actor) => {
      // An IC without an instructor profile, teaching a session open for self-enrollment (so every signed-in role sees it).
      const { rows: [teacher] } = await context.db.query<{ id: string }>(
        `select p.user_id as id from profiles p where p.first_name = 'Priya' and p.last_name = 'Personal'`,
      );
      const items = (await calendar('from=2032-05-03&to=2032-05-03', tokenOf(actor))).json().items as { instructor: unknown }[];
      expect(items.map((item) => item.instructor)).toEqual([{ id: teacher!.id, display_name: null }]);
      expect(JSON.stringify(items)).not.toMatch(/Priya|Personal/);
    },
  );

  it('never shows more through calendar_entries than the sessions themselves, whatever ids it is given', async () => {
    const { rows: all } = await context.db.query<{ id: string }>('select id from training_sessions');
    for (const actor of fixtureActors.filter((candidate) => candidate.name !== 'in2')) {
      const { rows } = await context.db.withActor(actor, (tx) =>
        tx.query<{ id: string }>('select id from calendar_entries($1::uuid[])', [all.map((row) => row.id)]),
      );
      expect(new Set(rows.map((row) => row.id)), actor.name).toEqual(await rlsSessionIds(actor));
    }
  });

  it('computes the instants in the location’s zone', async () => {
    const { rows: [location] } = await context.db.query<{ id: string }>(
      `insert into locations (name, country, timezone) values ('Harbour annex', 'US', 'America/New_York') returning id`,
    );
    const { rows: [session] } = await context.db.query<{ id: string }>(
      `insert into training_sessions (title, course_id, instructor_id, location_id, session_date, start_time, end_time, max_capacity, current_enrollment)
       values ('Summer session', $1, $2, $3, '2031-07-01', '09:00', '17:30', 8, 3) returning id`,
      [fixtureId('c-safety'), fixtureId('ic1'), location!.id],
    );
    const items = (await calendar('from=2031-07-01&to=2031-07-01', tokenOf(fixtureActor('sa')))).json().items;
    expect(items).toMatchObject([
      { id: session!.id, start_time: '09:00:00', starts_at: '2031-07-01T13:00:00.000Z', ends_at: '2031-07-01T21:30:00.000Z', enrollment_percentage: 37.5 },
    ]);
    expect(items[0].location).toMatchObject({ timezone: 'America/New_York', name: 'Harbour annex' });
  });

  it('filters by location and by instructor, within the actor’s scope', async () => {
    const ids = async (query: string, actor: FixtureUser) =>
      ((await calendar(`from=2030-01-01&to=2030-12-31&${query}`, tokenOf(fixtureActor(actor)))).json().items as { id: string }[]).map((item) => item.id);
    expect(await ids(`location_id=${fixtureId('l1')}`, 'sa')).toEqual([fixtureId('s1'), fixtureId('s6')]);
    expect(await ids(`instructor_id=${fixtureId('ic1')}`, 'sa')).toEqual([fixtureId('s1'), fixtureId('s4'), fixtureId('s7')]);
    expect(await ids(`instructor_id=${fixtureId('ic1')}&location_id=${fixtureId('l3')}`, 'sa')).toEqual([fixtureId('s7')]);
    // ap1's provider has l1 and l2 but not l3; s7 at l3 is open for self-enrollment, so any signed-in person sees it.
    expect(await ids(`location_id=${fixtureId('l3')}`, 'ap1')).toEqual([fixtureId('s7')]);
    expect(await ids(`location_id=${fixtureId('l3')}`, 'sa')).toEqual([fixtureId('s3'), fixtureId('s7')]);
    expect(await ids(`location_id=${fixtureId('nowhere')}`, 'sa')).toEqual([]);
  });

  it('takes location and instructor as the issue names them, alone or with the same _id value', async () => {
    const ids = async (query: string) =>
      ((await calendar(`from=2030-01-01&to=2030-12-31&${query}`, tokenOf(fixtureActor('sa')))).json().items as { id: string }[]).map((item) => item.id);
    expect(await ids(`location=${fixtureId('l1')}`)).toEqual([fixtureId('s1'), fixtureId('s6')]);
    expect(await ids(`instructor=${fixtureId('ic1')}`)).toEqual([fixtureId('s1'), fixtureId('s4'), fixtureId('s7')]);
    expect(await ids(`instructor=${fixtureId('ic1')}&location=${fixtureId('l3')}`)).toEqual([fixtureId('s7')]);
    expect(await ids(`location=${fixtureId('l3')}&location_id=${fixtureId('l3')}&instructor_id=${fixtureId('ic1')}`)).toEqual([fixtureId('s7')]);
  });

  it('runs one SQL statement for the data, inside the actor’s read transaction', async () => {
    const statements: string[] = [];
    let transactions = 0;
    const db = context.db;
    // The calendar reads through the reader (the replica when there is one, decision 0046).
    const recording: Db = {
      ...db,
      reader: {
        ...db.reader,
        withActor: (actor, fn, after) => {
          transactions += 1;
          const recorded = (tx: Tx) => fn(asTx({
            query: (sql, params) => {
              statements.push(sql);
              return tx.query(sql, params);
            },
            exec: (sql) => {
              statements.push(sql);
              return tx.exec(sql);
            },
          }));
          return db.reader.withActor(actor, recorded, after);
        },
      },
    };
    const app = await buildTestApp(recording);
    try {
      const response = await app.inject({ method: 'GET', url: '/v1/calendar?from=2030-01-01&to=2030-12-31', headers: bearer(tokenOf(fixtureActor('ap1'))) });
      expect(response.statusCode).toBe(200);
      expect(response.json().items.length).toBeGreaterThan(1);
    } finally {
      await app.close();
    }
    expect(transactions).toBe(1);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/from calendar_entries\(array\(/);
  });

  it.each([
    ['from after to', 'from=2030-02-01&to=2030-01-31', 'querystring.to'],
    ['367 days', 'from=2027-01-01&to=2028-01-02', 'querystring.to'],
    ['no from', 'to=2030-01-31', 'querystring.from'],
    ['no to', 'from=2030-01-31', 'querystring.to'],
    ['a day that does not exist', 'from=2030-02-31&to=2030-03-31', 'querystring.from'],
    ['a date in words', 'from=today&to=2030-03-31', 'querystring.from'],
    ['a location that is not a uuid', 'from=2030-01-01&to=2030-01-31&location_id=l1', 'querystring.location_id'],
    ['an instructor that is not a uuid', 'from=2030-01-01&to=2030-01-31&instructor_id=42', 'querystring.instructor_id'],
    ['a location (issue name) that is not a uuid', 'from=2030-01-01&to=2030-01-31&location=l1', 'querystring.location'],
    ['an instructor (issue name) that is not a uuid', 'from=2030-01-01&to=2030-01-31&instructor=42', 'querystring.instructor'],
    ['location and location_id that differ', `from=2030-01-01&to=2030-01-31&location=${fixtureId('l1')}&location_id=${fixtureId('l3')}`, 'querystring.location'],
    ['instructor and instructor_id that differ', `from=2030-01-01&to=2030-01-31&instructor_id=${fixtureId('ic1')}&instructor=${fixtureId('ic2')}`, 'querystring.instructor'],
    ['an unknown parameter', 'from=2030-01-01&to=2030-01-31&provider_id=x', 'querystring.provider_id'],
  ])('answers 400 with the field for %s', async (_case, query, field) => {
    const response = await calendar(query, tokenOf(fixtureActor('sa')));
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field } });
  });

  it('takes 366 days, a leap year included', async () => {
    expect((await calendar('from=2028-01-01&to=2028-12-31', tokenOf(fixtureActor('sa')))).statusCode).toBe(200);
    expect((await calendar('from=2027-01-01&to=2028-01-01', tokenOf(fixtureActor('sa')))).statusCode).toBe(200);
    expect((await calendar('from=2030-03-04&to=2030-03-04', tokenOf(fixtureActor('sa')))).json().items).toHaveLength(1);
  });

  it('answers 401 signed out and for a deactivated account', async () => {
    const signedOut = await calendar('from=2030-01-01&to=2030-12-31');
    expect(signedOut.statusCode).toBe(401);
    expect(signedOut.json().error.code).toBe('UNAUTHENTICATED');
    expect((await calendar('from=2030-01-01&to=2030-12-31', tokenOf(fixtureActor('in2')))).statusCode).toBe(401);
  });
});
