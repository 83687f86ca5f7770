import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { buildFixtureWorld, fixtureActors, type FixtureActor, fixtureId } from '../../../test/fixture-world.js';
import { useTestApp } from '../../../test/test-app.js';
import type { Role } from '../../platform/db/actor.js';
import type { Row, Tx } from '../../platform/db/database.js';
import type { Dashboard } from './dashboard.repository.js';

// Real: the database (the fixture world: every role, providers, sessions, enrollments in every state,
// certificates, compliance, notifications) and HTTP. The clock is fixed two days before the fixture's
// March 2030 sessions, so "the next 14 days" and "48 hours before start" have something to find.
const now = new Date('2030-03-03T12:00:00Z');
const day = 86_400_000;

const context = useTestApp({ now: () => now });

beforeAll(async () => {
  await buildFixtureWorld(context.db);
  // This month against last needs figures in both: dates moved into February and March 2030 as the owner.
  await context.db.transaction(async (tx) => {
    await tx.query(`update session_enrollments set enrollment_date = case when right(id::text, 1) < '8' then '2030-02-10T10:00Z' else '2030-03-02T10:00Z' end::timestamptz`);
    await tx.query(`update session_enrollments set completion_status = 'FAILED', completed_at = '2030-03-02T15:00Z' where id = $1`, [fixtureId('e4')]);
    await tx.query(`update session_enrollments set completion_status = 'COMPLETED', completed_at = '2030-02-20T15:00Z' where id = $1`, [fixtureId('e5')]);
    await tx.query(`update session_enrollments set completion_status = 'COMPLETED', completed_at = '2030-03-01T15:00Z' where id = $1`, [fixtureId('e6')]);
    await tx.query(`update session_enrollments set attendance_status = 'ABSENT' where id in ($1, $2)`, [fixtureId('e1'), fixtureId('e9')]);
    await tx.query(`update certificates set issue_date = '2030-02-20', expiry_date = '2030-03-25' where status = 'ACTIVE' and right(id::text, 1) < '8'`);
    await tx.query(`update certificates set issue_date = '2030-03-01', expiry_date = '2030-05-20' where status = 'ACTIVE' and right(id::text, 1) >= '8'`);
    await tx.query(`update compliance_records set expires_at = '2030-03-20T00:00Z' where status = 'MET' and right(id::text, 1) < '8'`);
    await tx.query(`update instructor_profiles set certification_status = 'SUSPENDED' where user_id = $1`, [fixtureId('ic2')]);
  });
});

// in2's account is INACTIVE in the fixture: it cannot sign in at all (the last test's kind of answer).
const signedIn = fixtureActors.filter((actor): actor is FixtureActor & { role: Role; userId: string } => actor.role !== 'ANON' && actor.name !== 'in2');

const utcDay = (date: string) => new Date(`${date}T00:00:00Z`).getTime();
const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

/**
 * The dashboard as the role's plain SELECTs see the world (row-level security applies to each), and the
 * role's slice applied here in TypeScript: computed independently of the dashboard's one statement.
 */
async function expectedDashboard(tx: Tx, actor: FixtureActor & { role: Role; userId: string }): Promise<Dashboard> {
  const all = async (sql: string, params: unknown[] = []) => (await tx.query<Row>(sql, params)).rows;
  const sessions = await all('select * from training_sessions');
  const enrollments = await all('select * from session_enrollments');
  const certificates = await all('select * from certificates');
  const compliance = await all('select * from compliance_records');
  const notifications = await all('select * from notifications');
  const eligible = new Set((await all(`select user_id from instructor_profiles where certification_status = 'ACTIVE'`)).map((row) => row['user_id']));
  const providers = (await all('select provider_id from provider_members where user_id = $1', [actor.userId])).map((row) => row['provider_id']);
  const locations = new Set((await all('select location_id from provider_locations where provider_id = any($1::uuid[])', [providers])).map((row) => row['location_id']));
  const { role, userId: me } = actor;
  const student = role === 'IT' || role === 'IN';
  const inSlice = (session: Row | undefined) => session !== undefined && (
    role === 'SA' || role === 'AD' || (role === 'AP' && locations.has(session['location_id']))
    || ((role === 'IC' || role === 'IP') && session['instructor_id'] === me));
  const sessionById = new Map(sessions.map((session) => [session['id'], session]));
  const mySessions = sessions.filter((session) => inSlice(session) || (student && enrollments.some(
    (e) => e['session_id'] === session['id'] && e['student_id'] === me && e['status'] !== 'CANCELLED')));
  const myEnrollments = enrollments.filter((e) => sessionById.has(e['session_id']) && (student ? e['student_id'] === me : inSlice(sessionById.get(e['session_id']))));
  const myCertificates = certificates.filter((c) =>
    role === 'SA' || role === 'AD' || (role === 'AP' ? locations.has(c['location_id']) : role === 'IC' || role === 'IP' ? c['issued_by'] === me : c['user_id'] === me));

  const today = utcDay(now.toISOString().slice(0, 10));
  const listed = mySessions
    .filter((s) => ['SCHEDULED', 'IN_PROGRESS'].includes(s['status'] as string))
    .filter((s) => utcDay(s['session_date'] as string) >= today && utcDay(s['session_date'] as string) <= today + 14 * day)
    .map((s) => {
      const startsAt = new Date(`${s['session_date']}T${s['start_time']}Z`).getTime();
      const current = s['current_enrollment'] as number;
      const capacity = s['max_capacity'] as number;
      const reasons: Array<'UNDER_FILLED' | 'INSTRUCTOR_NOT_ELIGIBLE'> = [];
      if (s['status'] === 'SCHEDULED' && startsAt <= now.getTime() + 48 * 3_600_000 && current < capacity * 0.5) reasons.push('UNDER_FILLED');
      if (!eligible.has(s['instructor_id'])) reasons.push('INSTRUCTOR_NOT_ELIGIBLE');
      return {
        id: s['id'] as string, title: s['title'] as string, session_date: s['session_date'] as string, start_time: s['start_time'] as string,
        status: s['status'] as string, location_id: s['location_id'] as string, instructor_id: s['instructor_id'] as string,
        max_capacity: capacity, current_enrollment: current, fill_percent: round((100 * current) / capacity, 1),
        waitlisted: enrollments.filter((e) => e['session_id'] === s['id'] && e['status'] === 'WAITLISTED').length,
        reasons,
      };
    })
    .sort((a, b) => a.session_date.localeCompare(b.session_date) || a.start_time.localeCompare(b.start_time) || a.id.localeCompare(b.id));

  const month = (first: string, next: string) => {
    const within = (value: unknown) => value instanceof Date && value >= new Date(`${first}T00:00:00Z`) && value < new Date(`${next}T00:00:00Z`);
    const completions = myEnrollments.filter((e) => e['completion_status'] === 'COMPLETED' && within(e['completed_at'])).length;
    const failures = myEnrollments.filter((e) => e['completion_status'] === 'FAILED' && within(e['completed_at'])).length;
    return {
      month: first.slice(0, 7),
      enrollments: myEnrollments.filter((e) => within(e['enrollment_date'])).length,
      completions,
      failures,
      no_shows: myEnrollments.filter((e) => e['status'] === 'ENROLLED' && e['attendance_status'] === 'ABSENT'
        && within(new Date(`${sessionById.get(e['session_id'])?.['session_date']}T00:00:00Z`))).length,
      pass_rate: completions + failures === 0 ? null : round(completions / (completions + failures), 4),
    };
  };
  const activeExpiringWithin = (days: number) => myCertificates.filter((c) => c['status'] === 'ACTIVE' && c['expiry_date'] !== null
    && utcDay(c['expiry_date'] as string) >= today && utcDay(c['expiry_date'] as string) <= today + days * day).length;
  const expiresAt = (r: Row) => (r['expires_at'] as Date | null)?.getTime() ?? null;
  const in30Days = now.getTime() + 30 * day;
  return {
    role,
    generated_at: now.toISOString(),
    upcoming: { total: listed.length, sessions: listed.slice(0, 50).map(({ reasons: _reasons, ...session }) => session) },
    attention: { total: listed.filter((s) => s.reasons.length > 0).length, sessions: listed.filter((s) => s.reasons.length > 0).slice(0, 50) },
    activity: { this_month: month('2030-03-01', '2030-04-01'), last_month: month('2030-02-01', '2030-03-01') },
    certificates: {
      issued_this_month: myCertificates.filter((c) => (c['issue_date'] as string) >= '2030-03-01').length,
      issued_last_month: myCertificates.filter((c) => (c['issue_date'] as string) >= '2030-02-01' && (c['issue_date'] as string) < '2030-03-01').length,
      expiring_30_days: activeExpiringWithin(30),
      expiring_60_days: activeExpiringWithin(60),
      expiring_90_days: activeExpiringWithin(90),
    },
    compliance: {
      compliant: compliance.filter((r) => r['status'] === 'WAIVED' || (r['status'] === 'MET' && (expiresAt(r) === null || (expiresAt(r) as number) > in30Days))).length,
      expiring: compliance.filter((r) => r['status'] === 'MET' && expiresAt(r) !== null && (expiresAt(r) as number) > now.getTime() && (expiresAt(r) as number) <= in30Days).length,
      overdue: compliance.filter((r) => r['status'] === 'EXPIRED' || (r['status'] === 'MET' && expiresAt(r) !== null && (expiresAt(r) as number) <= now.getTime())).length,
      pending: compliance.filter((r) => r['status'] === 'PENDING').length,
    },
    notifications: { unread: notifications.filter((n) => n['read_at'] === null).length },
  };
}

describe('GET /v1/dashboard', () => {
  const answers = new Map<string, Dashboard>();

  it.each(signedIn.map((actor) => [actor.name, actor] as const))('answers %s with what that role can select', async (_name, actor) => {
    const token = await mintAccessToken(testKeyring, { userId: actor.userId, role: actor.role, providerId: actor.providerId });
    const response = await context.app.inject({ method: 'GET', url: '/v1/dashboard', headers: bearer(token) });
    expect(response.statusCode, response.body).toBe(200);
    const dashboard = response.json<Dashboard>();
    answers.set(actor.name, dashboard);
    const expected = await context.db.withActor(actor, (tx) => expectedDashboard(tx, actor));
    expect(dashboard).toEqual(expected);
  });

  it('gives the roles different slices of a world where each has something to see', () => {
    const sa = answers.get('sa') as Dashboard;
    // The world gives the administrator something in every section, so the comparisons above compared figures, not zeros.
    expect(sa.upcoming.total).toBeGreaterThan(3);
    expect(sa.attention.total).toBeGreaterThan(0);
    expect(sa.activity.this_month.enrollments + sa.activity.last_month.enrollments).toBeGreaterThan(3);
    expect(sa.activity.this_month.failures + sa.activity.last_month.completions).toBeGreaterThan(1);
    expect(sa.certificates.expiring_30_days).toBeGreaterThan(0);
    expect(sa.compliance.expiring + sa.compliance.overdue).toBeGreaterThan(0);
    const ap1 = answers.get('ap1') as Dashboard;
    const ic1 = answers.get('ic1') as Dashboard;
    const it1 = answers.get('it1') as Dashboard;
    expect(ap1.upcoming.total).toBeLessThan(sa.upcoming.total);
    expect(ic1.upcoming.sessions.every((session) => session.instructor_id === fixtureId('ic1'))).toBe(true);
    expect(it1.upcoming.sessions.map((session) => session.id)).toEqual([fixtureId('s1')]);
  });

  it('refuses a signed-out caller', async () => {
    const response = await context.app.inject({ method: 'GET', url: '/v1/dashboard' });
    expect(response.statusCode).toBe(401);
  });
});
