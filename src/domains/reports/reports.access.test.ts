import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { buildFixtureWorld, fixtureActor, fixtureActors, type FixtureActor } from '../../../test/fixture-world.js';
import { useTestApp } from '../../../test/test-app.js';
import type { Role } from '../../platform/db/actor.js';
import type { Row } from '../../platform/db/database.js';
import { refreshAnalyticsViews } from './reports.repository.js';

// Real: the database (the fixture world, its views refreshed), HTTP. Materialised views bypass row-level
// security, so each report is compared with what the role's own SELECTs on the base tables return,
// where the policies (the access matrix) apply.
const context = useTestApp();

beforeAll(async () => {
  await buildFixtureWorld(context.db);
  await context.db.transaction((tx) => refreshAnalyticsViews(tx));
});

type SignedIn = FixtureActor & { role: Role; userId: string };
const signedIn = fixtureActors.filter((actor): actor is SignedIn => actor.role !== 'ANON' && actor.name !== 'in2');
const tokenOf = (actor: SignedIn) => mintAccessToken(testKeyring, { userId: actor.userId, role: actor.role, providerId: actor.providerId });

async function report(actor: SignedIn, path: string, accept = 'application/json') {
  return context.app.inject({ method: 'GET', url: `/v1/reports/${path}`, headers: { ...bearer(await tokenOf(actor)), accept } });
}

/** A role's own view of the base tables: the key sets its report may hold, and their sums. */
async function selectable(actor: SignedIn, sql: string): Promise<Row[]> {
  return context.db.withActor(actor, async (tx) => (await tx.query<Row>(sql)).rows);
}

const sortRows = (rows: Row[]) => rows.map((row) => JSON.stringify(row)).sort();

describe('GET /v1/reports/:name', () => {
  it.each(signedIn.map((actor) => [actor.name, actor] as const))('scopes the enrollments report for %s to what the role may select', async (_name, actor) => {
    const response = await report(actor, 'enrollments');
    if (actor.role === 'IT' || actor.role === 'IN') {
      expect(response.statusCode).toBe(403);
      return;
    }
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<{ refreshed_at: string; rows: Row[] }>();
    expect(Date.parse(body.refreshed_at)).not.toBeNaN();
    // The role's slice by the policies: the enrollments it can read in sessions it can read, narrowed to
    // its own work (an AP: its providers' locations; an IC or IP: sessions it teaches).
    const narrowing = { SA: 'true', AD: 'true', AP: 'l.location_id is not null', IC: 's.instructor_id = app_user_id()', IP: 's.instructor_id = app_user_id()' }[actor.role as 'SA'];
    const expected = await selectable(actor, `
      select to_char(date_trunc('month', s.session_date), 'YYYY-MM') as month, s.provider_id, s.location_id, s.course_id, s.instructor_id,
             count(*) filter (where e.status = 'ENROLLED')::int as enrollments, count(*) filter (where e.status = 'WAITLISTED')::int as waitlisted,
             count(*) filter (where e.status = 'CANCELLED')::int as cancellations,
             count(*) filter (where e.completion_status = 'COMPLETED')::int as completions,
             count(*) filter (where e.completion_status = 'FAILED')::int as failures,
             count(*) filter (where e.status = 'ENROLLED' and e.attendance_status = 'ABSENT')::int as no_shows
        from session_enrollments e join training_sessions s on s.id = e.session_id
        left join (select distinct pl.location_id from provider_locations pl join provider_members pm on pm.provider_id = pl.provider_id
                    where pm.user_id = app_user_id()) l on l.location_id = s.location_id
       where ${narrowing}
       group by 1, 2, 3, 4, 5`);
    const actual = body.rows.map(({ pass_rate: _rate, ...row }) => row);
    expect(sortRows(actual)).toEqual(sortRows(expected));
  });

  it('gives the administrator more rows than a provider, and a provider more than nobody', async () => {
    const rows = async (name: FixtureActor['name']) => (await report(fixtureActor(name) as SignedIn, 'enrollments')).json<{ rows: Row[] }>().rows.length;
    const [sa, ap1] = [await rows('sa'), await rows('ap1')];
    expect(ap1).toBeGreaterThan(0);
    expect(sa).toBeGreaterThan(ap1);
  });

  it('scopes the certificates report of an instructor to what they issued', async () => {
    const ic1 = fixtureActor('ic1') as SignedIn;
    const body = (await report(ic1, 'certificates')).json<{ rows: Row[] }>();
    const issued = await selectable(ic1, 'select count(*)::int as n from certificates where issued_by = app_user_id()');
    expect(body.rows.every((row) => row['issued_by'] === ic1.userId)).toBe(true);
    expect(body.rows.reduce((sum, row) => sum + (row['issued'] as number), 0)).toBe(issued[0]!['n']);
  });

  it('refuses the session-fill report to instructors, whose rows it has no key for', async () => {
    expect((await report(fixtureActor('ic1') as SignedIn, 'session-fill')).statusCode).toBe(403);
    expect((await report(fixtureActor('ad') as SignedIn, 'session-fill')).statusCode).toBe(200);
  });

  it('answers CSV when asked, with the refresh time in a header', async () => {
    const response = await report(fixtureActor('sa') as SignedIn, 'instructors', 'text/csv');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    expect(Date.parse(response.headers['x-report-refreshed-at'] as string)).not.toBeNaN();
    const [header, ...lines] = response.body.trim().split('\r\n');
    expect(header).toBe('month,instructor_id,location_id,sessions_scheduled,sessions_taught,passed,failed,attendance_rate,pass_rate,average_score');
    const json = (await report(fixtureActor('sa') as SignedIn, 'instructors')).json<{ rows: Row[] }>();
    expect(lines).toHaveLength(json.rows.length);
  });

  it('filters by month and key, and refuses a filter the report has no key for', async () => {
    const sa = fixtureActor('sa') as SignedIn;
    const all = (await report(sa, 'enrollments')).json<{ rows: Row[] }>().rows;
    const march = (await report(sa, 'enrollments?from=2030-03&to=2030-03')).json<{ rows: Row[] }>().rows;
    expect(march).toEqual(all.filter((row) => row['month'] === '2030-03'));
    const location = all[0]!['location_id'] as string;
    const atLocation = (await report(sa, `enrollments?location_id=${location}`)).json<{ rows: Row[] }>().rows;
    expect(atLocation).toEqual(all.filter((row) => row['location_id'] === location));
    const refused = await report(sa, `session-fill?course_id=${location}`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ error: { details: { field: string } } }>().error.details.field).toBe('querystring.course_id');
    expect((await report(sa, 'enrollments?from=2030-13')).statusCode).toBe(400);
    expect((await report(sa, 'nonsense')).statusCode).toBe(400);
  });
});
