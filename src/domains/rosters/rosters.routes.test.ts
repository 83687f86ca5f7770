import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';
import { type WorldCaller, createRosterWorld, everyCaller, type RosterJson, type RosterWorld } from '../../../test/world.js';

// The real application through inject, on a real database with its row-level security and the
// functions and guards of migration 0017.
const context = useTestApp();
let world: RosterWorld;
const setUp = async () => {
  world ??= await createRosterWorld(context.db, () => context.app);
  return world;
};

/** The status of each call, made one after the other. */
async function statusesOf(calls: Record<string, () => Promise<{ statusCode: number }>>): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  for (const [name, send] of Object.entries(calls)) statuses[name] = (await send()).statusCode;
  return statuses;
}

const each = (fn: (caller: WorldCaller) => Promise<{ statusCode: number }>) => Object.fromEntries(everyCaller.map((caller) => [caller, () => fn(caller)]));

describe('POST /v1/rosters', () => {
  it('creates a standalone roster with its counts at zero, an ETag and a roster.created event', async () => {
    const w = await setUp();
    const response = await w.call('AP', 'POST', '/v1/rosters', {
      name: 'Evening first aid', course_id: w.courseId, location_id: w.locationId, provider_id: w.providerId,
      instructor_name: 'Guest Trainer', roster_type: 'CERTIFICATE', issue_date: '2031-05-06',
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['etag']).toBe('"1"');
    const roster = response.json<RosterJson>();
    expect(roster).toMatchObject({
      name: 'Evening first aid', session_id: null, instructor_id: null, instructor_name: 'Guest Trainer', status: 'ACTIVE',
      roster_type: 'CERTIFICATE', certificate_count: 0, member_count: 0, issue_date: '2031-05-06', created_by: w.users.AP.id, version: 1,
    });
    const { rows } = await context.db.query<{ event_type: string; payload: Record<string, unknown> }>(
      'select event_type, payload from domain_events where aggregate_id = $1', [roster.id],
    );
    expect(rows).toEqual([{ event_type: 'roster.created', payload: expect.objectContaining({ source: 'standalone', member_count: 0 }) }]);
  });

  it('lets each role create exactly the rosters the matrix allows', async () => {
    const w = await setUp();
    const at = (locationId: string, fields: object = {}) => ({ name: 'R', course_id: w.courseId, location_id: locationId, instructor_id: w.instructor.id, ...fields });
    expect(await statusesOf({
      SA: () => w.call('SA', 'POST', '/v1/rosters', at(w.otherLocationId)),
      AD: () => w.call('AD', 'POST', '/v1/rosters', at(w.otherLocationId)),
      ownLocation: () => w.call('AP', 'POST', '/v1/rosters', at(w.locationId)),
      otherLocation: () => w.call('AP', 'POST', '/v1/rosters', at(w.otherLocationId)),
      ownRoster: () => w.call('IC', 'POST', '/v1/rosters', at(w.locationId)),
      // Only where the IC's provider is (decision 0023): the other location is another provider's.
      ownRosterElsewhere: () => w.call('IC', 'POST', '/v1/rosters', at(w.otherLocationId)),
      someoneElses: () => w.call('IP', 'POST', '/v1/rosters', at(w.locationId)),
      IT: () => w.call('IT', 'POST', '/v1/rosters', at(w.locationId)),
      IN: () => w.call('IN', 'POST', '/v1/rosters', at(w.locationId)),
      anon: () => w.call('anon', 'POST', '/v1/rosters', at(w.locationId)),
    })).toEqual({ SA: 201, AD: 201, ownLocation: 201, otherLocation: 403, ownRoster: 201, ownRosterElsewhere: 403, someoneElses: 403, IT: 403, IN: 403, anon: 401 });
  });

  it('refuses bad input with the field, and rules the database keeps', async () => {
    const w = await setUp();
    const valid = { name: 'R', course_id: w.courseId, location_id: w.locationId, instructor_id: w.instructor.id };
    const fieldOf = async (body: object) => {
      const response = await w.call('SA', 'POST', '/v1/rosters', body);
      return [response.statusCode, response.json().error?.code, response.json().error?.details?.field];
    };
    expect(await fieldOf({ ...valid, instructor_id: undefined })).toEqual([400, 'VALIDATION_FAILED', 'body.instructor_id']);
    expect(await fieldOf({ ...valid, name: '' })).toEqual([400, 'VALIDATION_FAILED', 'body.name']);
    expect(await fieldOf({ ...valid, roster_type: 'EXAM' })).toEqual([400, 'VALIDATION_FAILED', 'body.roster_type']);
    expect(await fieldOf({ ...valid, issue_date: '06/05/2031' })).toEqual([400, 'VALIDATION_FAILED', 'body.issue_date']);
    expect(await fieldOf({ ...valid, certificate_count: 3 })).toEqual([400, 'VALIDATION_FAILED', 'body.certificate_count']);
    expect(await fieldOf({ ...valid, status: 'ARCHIVED' })).toEqual([400, 'VALIDATION_FAILED', 'body.status']);
    expect((await fieldOf({ ...valid, course_id: '00000000-0000-4000-8000-000000000000' })).slice(0, 2)).toEqual([422, 'INVALID_REFERENCE']);
    // The instructor teaches (IC, IP) or administers; the provider serves the location.
    expect(await fieldOf({ ...valid, instructor_id: w.users.IT.id })).toEqual([422, 'CONSTRAINT_VIOLATION', 'body.instructor_id']);
    expect(await fieldOf({ ...valid, provider_id: w.otherProviderId })).toEqual([422, 'CONSTRAINT_VIOLATION', 'body.provider_id']);
    expect((await w.call('anon', 'POST', '/v1/rosters', { name: '' })).statusCode).toBe(401);
  });
});

describe('GET /v1/rosters', () => {
  it('lists exactly the rosters each role may see', async () => {
    const w = await setUp();
    const ownLocation = await w.roster({ instructor_id: w.otherInstructor.id });
    const taughtByIc = await w.roster({ location_id: w.otherLocationId, provider_id: null });
    const session = await w.session();
    const ofTaughtSession = (await w.call('SA', 'POST', '/v1/rosters/from-session', { session_id: session })).json<RosterJson>();
    await context.db.query('update rosters set instructor_id = $2 where id = $1', [ofTaughtSession.id, w.otherInstructor.id]);
    const mine = new Set([ownLocation.id, taughtByIc.id, ofTaughtSession.id]);
    const listed = async (caller: WorldCaller) => {
      const response = await w.call(caller, 'GET', `/v1/rosters?course_id=${w.courseId}&limit=500`);
      if (response.statusCode !== 200) return response.statusCode;
      return response.json<{ items: RosterJson[] }>().items.map((roster) => roster.id).filter((id) => mine.has(id)).sort();
    };
    const ids = (...rosters: { id: string }[]) => rosters.map((roster) => roster.id).sort();
    expect(Object.fromEntries(await Promise.all(everyCaller.map(async (caller) => [caller, await listed(caller)])))).toEqual({
      SA: ids(ownLocation, taughtByIc, ofTaughtSession),
      AD: ids(ownLocation, taughtByIc, ofTaughtSession),
      AP: ids(ownLocation, ofTaughtSession),
      // The other provider serves the other location.
      otherAP: ids(taughtByIc),
      // The IC instructs taughtByIc and teaches the session of the third; the IP instructs the first and third.
      IC: ids(taughtByIc, ofTaughtSession),
      IP: ids(ownLocation, ofTaughtSession),
      IT: [],
      IN: [],
      anon: 401,
    });
    expect(await statusesOf(each((caller) => w.call(caller, 'GET', `/v1/rosters/${taughtByIc.id}`)))).toEqual({
      SA: 200, AD: 200, AP: 404, otherAP: 200, IC: 200, IP: 404, IT: 404, IN: 404, anon: 401,
    });
  });

  it('filters, sorts by name, created_at and issue_date (undated last), pages with cursors and counts the matches', async () => {
    const w = await setUp();
    const { rows: [course] } = await context.db.query<{ id: string }>(
      "insert into courses (code, title, duration_minutes) values ('PAGING-' || gen_random_uuid(), 'Paging', 60) returning id",
    );
    const dates = ['2031-03-01', null, '2031-01-15', null, '2031-02-01', '2031-01-15'];
    const made: RosterJson[] = [];
    for (const [index, issueDate] of dates.entries()) {
      made.push(await w.roster({ course_id: course!.id, name: `Paging ${String.fromCharCode(70 - index)}`, issue_date: issueDate, roster_type: index % 2 ? 'TRAINING' : 'CERTIFICATE' }));
    }
    const walk = async (query: string) => {
      const seen: RosterJson[] = [];
      let cursor: string | null = null;
      do {
        const response = await w.call('AP', 'GET', `/v1/rosters?course_id=${course!.id}&limit=2&${query}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.statusCode, response.body).toBe(200);
        const page = response.json<{ items: RosterJson[]; next_cursor: string | null; total: number }>();
        expect(page.total).toBe(query.includes('roster_type') ? 3 : 6);
        seen.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      return seen;
    };
    const byDate = (a: RosterJson, b: RosterJson) => (a.issue_date ?? '9999').localeCompare(b.issue_date ?? '9999') || a.id.localeCompare(b.id);
    expect((await walk('sort=issue_date')).map((r) => r.id)).toEqual([...made].sort(byDate).map((r) => r.id));
    expect((await walk('sort=issue_date&direction=desc')).map((r) => r.id)).toEqual([...made].sort(byDate).reverse().map((r) => r.id));
    expect((await walk('sort=name')).map((r) => r.name)).toEqual(['Paging A', 'Paging B', 'Paging C', 'Paging D', 'Paging E', 'Paging F']);
    expect((await walk('sort=created_at&direction=desc')).map((r) => r.id)).toEqual([...made].reverse().map((r) => r.id));
    expect((await walk('roster_type=TRAINING&sort=name')).map((r) => r.name)).toEqual(['Paging A', 'Paging C', 'Paging E']);
    const bad = async (query: string) => (await w.call('AP', 'GET', `/v1/rosters?${query}`)).json().error?.details?.field;
    expect(await bad('sort=issue_date_key')).toBe('querystring.sort');
    expect(await bad('status=DONE')).toBe('querystring.status');
    expect(await bad('location_id=nope')).toBe('querystring.location_id');
    expect(await bad('sort=name&cursor=bm90LWEtY3Vyc29y')).toBe('querystring.cursor');
  });
});

describe('PATCH /v1/rosters/:id', () => {
  it('changes a roster at the version read; a stale version gets 409 with the current roster', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const changed = await w.call('AP', 'PATCH', `/v1/rosters/${roster.id}`, { name: 'Renamed', issue_date: '2031-06-01', version: 1 });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.headers['etag']).toBe('"2"');
    expect(changed.json()).toMatchObject({ name: 'Renamed', issue_date: '2031-06-01', version: 2, member_count: 0 });
    const stale = await w.call('IC', 'PATCH', `/v1/rosters/${roster.id}`, { name: 'Mine', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'VERSION_CONFLICT', details: { field: 'body.version', current: { name: 'Renamed', version: 2, member_count: 0 } } });
    const viaHeader = await w.call('IC', 'PATCH', `/v1/rosters/${roster.id}`, { name: 'Mine' }, { 'if-match': '"2"' });
    expect(viaHeader.json()).toMatchObject({ name: 'Mine', version: 3 });
    expect((await w.call('IC', 'PATCH', `/v1/rosters/${roster.id}`, { name: 'No version' })).json().error.details.field).toBe('body.version');
    expect((await w.call('IC', 'PATCH', `/v1/rosters/${roster.id}`, { name: 'x' }, { 'if-match': 'yesterday' })).json().error.details.field).toBe('headers.if-match');
    const { rows } = await context.db.query<{ event_type: string }>('select event_type from domain_events where aggregate_id = $1 order by seq', [roster.id]);
    expect(rows.map((row) => row.event_type)).toEqual(['roster.created', 'roster.updated', 'roster.updated']);
  });

  it('lets each role change exactly the rosters the matrix allows (404 unseen, 403 seen but not theirs)', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const session = await w.session();
    const ofTaughtSession = (await w.call('SA', 'POST', '/v1/rosters/from-session', { session_id: session })).json<RosterJson>();
    await context.db.query('update rosters set instructor_id = $2 where id = $1', [ofTaughtSession.id, w.otherInstructor.id]);
    const rename = (caller: WorldCaller, id: string) => async () => {
      const { rows: [row] } = await context.db.query<{ version: number }>('select version from rosters where id = $1', [id]);
      return w.call(caller, 'PATCH', `/v1/rosters/${id}`, { name: `By ${caller}`, version: row!.version });
    };
    expect(await statusesOf(Object.fromEntries(everyCaller.map((caller) => [caller, rename(caller, roster.id)])))).toEqual({
      SA: 200, AD: 200, AP: 200, otherAP: 404, IC: 200, IP: 404, IT: 404, IN: 404, anon: 401,
    });
    // The IC sees the roster of a session they teach, but it is the IP's to change.
    expect((await rename('IC', ofTaughtSession.id)()).statusCode).toBe(403);
    expect((await rename('IP', ofTaughtSession.id)()).statusCode).toBe(200);
  });

  it('keeps a roster of a session on its course and location, its instructor an instructor, and its count to the database', async () => {
    const w = await setUp();
    const session = await w.session();
    const roster = (await w.call('AP', 'POST', '/v1/rosters/from-session', { session_id: session })).json<RosterJson>();
    const patch = async (body: object) => (await w.call('SA', 'PATCH', `/v1/rosters/${roster.id}`, { ...body, version: roster.version })).json();
    expect(await patch({ location_id: w.otherLocationId, provider_id: null })).toMatchObject({ error: { code: 'CONSTRAINT_VIOLATION', details: { field: 'body.course_id' } } });
    expect(await patch({ instructor_id: w.users.IN.id })).toMatchObject({ error: { code: 'CONSTRAINT_VIOLATION', details: { field: 'body.instructor_id' } } });
    expect(await patch({ instructor_id: null, instructor_name: null })).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.instructor_name' } } });
    expect(await patch({ certificate_count: 9 })).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.certificate_count' } } });
    // Underneath the API, the database refuses the application role the counter.
    await expect(context.db.withActor({ userId: w.sa.id, role: 'SA', providerId: null }, (tx) =>
      tx.query('update rosters set certificate_count = 9 where id = $1', [roster.id]))).rejects.toMatchObject({ code: '42501' });
    expect((await w.call('SA', 'GET', `/v1/rosters/${roster.id}`)).json()).toMatchObject({ version: 1, certificate_count: 0 });
  });
});

describe('POST /v1/rosters/:id/archive and /unarchive', () => {
  it('archives an active roster and back; the same move twice is 409 INVALID_TRANSITION; a stale version 409', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const archived = await w.call('IC', 'POST', `/v1/rosters/${roster.id}/archive`, { version: 1 });
    expect(archived.statusCode, archived.body).toBe(200);
    expect(archived.json()).toMatchObject({ status: 'ARCHIVED', version: 2 });
    expect((await w.call('IC', 'POST', `/v1/rosters/${roster.id}/archive`, { version: 2 })).json().error).toMatchObject({ code: 'INVALID_TRANSITION', details: { status: 'ARCHIVED' } });
    // The version is required: the move is made against the roster the client read.
    const blind = await w.call('IC', 'POST', `/v1/rosters/${roster.id}/unarchive`);
    expect(blind.statusCode).toBe(400);
    expect(blind.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.version' } });
    // An archived roster changes only by being unarchived.
    const renamed = await w.call('SA', 'PATCH', `/v1/rosters/${roster.id}`, { name: 'Too late', version: 2 });
    expect(renamed.statusCode).toBe(409);
    expect(renamed.json().error.code).toBe('INVALID_TRANSITION');
    expect((await w.call('AP', 'POST', `/v1/rosters/${roster.id}/unarchive`, { version: 1 })).json().error).toMatchObject({ code: 'VERSION_CONFLICT', details: { current: { id: roster.id, status: 'ARCHIVED', version: 2 } } });
    const back = await w.call('AP', 'POST', `/v1/rosters/${roster.id}/unarchive`, {}, { 'if-match': '"2"' });
    expect(back.json()).toMatchObject({ status: 'ACTIVE', version: 3 });
    expect((await w.call('AP', 'POST', `/v1/rosters/${roster.id}/unarchive`, { version: 3 })).json().error.code).toBe('INVALID_TRANSITION');
    const { rows } = await context.db.query<{ event_type: string }>('select event_type from domain_events where aggregate_id = $1 order by seq', [roster.id]);
    expect(rows.map((row) => row.event_type)).toEqual(['roster.created', 'roster.archived', 'roster.unarchived']);
  });

  it('is for those who may change the roster', async () => {
    const w = await setUp();
    const archive = (caller: WorldCaller) => async () => {
      const roster = await w.roster();
      return w.call(caller, 'POST', `/v1/rosters/${roster.id}/archive`, { version: roster.version });
    };
    expect(await statusesOf(Object.fromEntries(everyCaller.map((caller) => [caller, archive(caller)])))).toEqual({
      SA: 200, AD: 200, AP: 200, otherAP: 404, IC: 200, IP: 404, IT: 404, IN: 404, anon: 401,
    });
    const unarchive = (caller: WorldCaller) => async () => {
      const roster = await w.roster();
      await w.call('SA', 'POST', `/v1/rosters/${roster.id}/archive`, { version: roster.version });
      return w.call(caller, 'POST', `/v1/rosters/${roster.id}/unarchive`, { version: roster.version + 1 });
    };
    expect(await statusesOf(Object.fromEntries(everyCaller.map((caller) => [caller, unarchive(caller)])))).toEqual({
      SA: 200, AD: 200, AP: 200, otherAP: 404, IC: 200, IP: 404, IT: 404, IN: 404, anon: 401,
    });
    expect((await w.call('SA', 'POST', '/v1/rosters/00000000-0000-4000-8000-000000000000/archive', { version: 1 })).statusCode).toBe(404);
    expect((await w.call('SA', 'POST', '/v1/rosters/not-a-uuid/archive')).statusCode).toBe(400);
  });
});

describe('POST /v1/rosters/from-session', () => {
  async function sessionWithStudents(w: RosterWorld) {
    const session = await w.session({ capacity: 5 });
    const { rows: [walkIn] } = await context.db.query<{ id: string }>(
      "insert into student_enrollment_profiles (first_name, last_name, company, provider_id) values ('Wanda', 'Walkin', 'Docks Ltd', $1) returning id",
      [w.providerId],
    );
    const enroll = async (payload: object) => {
      const response = await w.call('SA', 'POST', `/v1/sessions/${session}/enrollments`, payload);
      expect(response.statusCode, response.body).toBe(201);
      return response.json<{ id: string }>().id;
    };
    const it = await enroll({ student_id: w.users.IT.id });
    const inn = await enroll({ student_id: w.users.IN.id });
    const walkInEnrollment = await enroll({ student_profile_id: walkIn!.id });
    const ip = await enroll({ student_id: w.otherInstructor.id });
    const cancelled = await enroll({ student_id: w.users.AD.id });
    await w.call('SA', 'POST', `/v1/enrollments/${cancelled}/cancel`);
    await enroll({ student_id: w.users.otherAP.id });
    await enroll({ student_id: w.users.AP.id }); // the sixth: waitlisted
    const results = [
      [it, 'ATTENDED', 'COMPLETED', 91.5, 88],
      [inn, 'ABSENT', 'NOT_STARTED', null, null],
      [walkInEnrollment, 'PARTIAL', 'FAILED', 40, 35.25],
      [ip, 'REGISTERED', 'IN_PROGRESS', null, 70],
    ] as const;
    for (const [id, attendance, completion, practical, written] of results) {
      await context.db.query(
        `update session_enrollments set attendance_status = $2, completion_status = $3, practical_score = $4, written_score = $5,
                completed_at = case when $3 in ('COMPLETED', 'FAILED') then now() end where id = $1`,
        [id, attendance, completion, practical, written],
      );
    }
    return { session, walkInId: walkIn!.id };
  }

  /** Each test session has a day of its own (test/world.ts): the roster is named after it. */
  async function sessionDate(id: string): Promise<string> {
    const { rows } = await context.db.query<{ day: string }>("select to_char(session_date, 'YYYY-MM-DD') as day from training_sessions where id = $1", [id]);
    return rows[0]!.day;
  }

  it('makes a roster of the session with a member per ENROLLED student, results in the roster’s vocabulary', async () => {
    const w = await setUp();
    const { session, walkInId } = await sessionWithStudents(w);
    const response = await w.call('IC', 'POST', '/v1/rosters/from-session', { session_id: session });
    expect(response.statusCode, response.body).toBe(201);
    const roster = response.json<RosterJson>();
    expect(roster).toMatchObject({
      session_id: session, course_id: w.courseId, location_id: w.locationId, provider_id: w.providerId, instructor_id: w.instructor.id,
      instructor_name: 'Test IC', roster_type: 'TRAINING', name: `Session, ${await sessionDate(session)}`, member_count: 5, created_by: w.instructor.id,
    });
    const members = (await w.call('SA', 'GET', `/v1/rosters/${roster.id}/members?limit=50&sort=last_name`)).json<{ items: Record<string, unknown>[] }>().items;
    const view = (student: string | null, first: string, last: string, email: string | null, results: string[], scores: (number | null)[], company: string | null = null) => ({
      student_id: student, first_name: first, last_name: last, email, company, enrollment_status: results[0], attendance_status: results[1],
      completion_status: results[2], practical_score: scores[0], written_score: scores[1],
    });
    expect(members.map(({ id: _id, roster_id: _roster, student_profile_id: _profile, created_at: _c, updated_at: _u, version: _v, ...rest }) => rest)).toEqual([
      view(w.users.otherAP.id, 'Test', 'AP', w.users.otherAP.email, ['ENROLLED', 'PENDING', 'NOT_STARTED'], [null, null]),
      view(w.otherInstructor.id, 'Test', 'IP', w.otherInstructor.email, ['ENROLLED', 'PENDING', 'IN_PROGRESS'], [null, 70]),
      view(w.users.IN.id, 'Ian', 'Newcomer', w.users.IN.email, ['ENROLLED', 'ABSENT', 'NOT_STARTED'], [null, null]),
      view(w.users.IT.id, 'Tess', 'Trainee', w.users.IT.email, ['COMPLETED', 'ATTENDED', 'COMPLETED'], [91.5, 88]),
      view(null, 'Wanda', 'Walkin', null, ['ENROLLED', 'ATTENDED', 'IN_PROGRESS'], [40, 35.25], 'Docks Ltd'),
    ]);
    // Students with accounts got profiles at the session's provider; the walk-in kept theirs.
    const { rows: profiles } = await context.db.query<{ id: string; provider_id: string; created_by: string }>(
      'select p.id, p.provider_id, p.created_by from student_enrollment_profiles p join student_roster_members m on m.student_profile_id = p.id where m.roster_id = $1',
      [roster.id],
    );
    expect(profiles.map((profile) => profile.provider_id)).toEqual(profiles.map(() => w.providerId));
    expect(profiles.map((profile) => profile.id)).toContain(walkInId);
    const { rows: events } = await context.db.query<{ event_type: string; payload: Record<string, unknown> }>(
      'select event_type, payload from domain_events where aggregate_id = $1', [roster.id],
    );
    expect(events).toEqual([{ event_type: 'roster.created', payload: expect.objectContaining({ source: 'session', session_id: session, member_count: 5 }) }]);

    // A second roster of the session finds the same profiles instead of making new ones.
    const again = (await w.call('AP', 'POST', '/v1/rosters/from-session', { session_id: session, name: 'Resit list', roster_type: 'CERTIFICATE' })).json<RosterJson>();
    expect(again).toMatchObject({ name: 'Resit list', roster_type: 'CERTIFICATE', member_count: 5 });
    const { rows: [shared] } = await context.db.query<{ n: number }>(
      `select count(distinct student_profile_id)::integer as n from student_roster_members where roster_id = any ($1::uuid[])`, [[roster.id, again.id]],
    );
    expect(shared!.n).toBe(5);
  });

  it('is for the staff of the session: 404 where the caller does not see it, 403 where they see it but do not staff it', async () => {
    const w = await setUp();
    const open = await w.session();
    const closed = await w.session({ selfEnrollment: false });
    const make = (session: string) => (caller: WorldCaller) => w.call(caller, 'POST', '/v1/rosters/from-session', { session_id: session });
    expect(await statusesOf(each(make(closed)))).toEqual({ SA: 201, AD: 201, AP: 201, otherAP: 404, IC: 201, IP: 404, IT: 404, IN: 404, anon: 401 });
    expect(await statusesOf(each(make(open)))).toEqual({ SA: 201, AD: 201, AP: 201, otherAP: 403, IC: 201, IP: 403, IT: 403, IN: 403, anon: 401 });
  });

  it('refuses a cancelled session, an unknown one and bad input', async () => {
    const w = await setUp();
    const cancelled = await w.session({ status: 'CANCELLED' });
    const refused = await w.call('SA', 'POST', '/v1/rosters/from-session', { session_id: cancelled });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('INVALID_TRANSITION');
    expect((await w.call('SA', 'POST', '/v1/rosters/from-session', { session_id: '00000000-0000-4000-8000-000000000000' })).statusCode).toBe(404);
    const session = await w.session();
    for (const [body, field] of [[{}, 'body.session_id'], [{ session_id: session, roster_type: 'EXAM' }, 'body.roster_type'], [{ session_id: session, name: '' }, 'body.name'], [{ session_id: session, extra: 1 }, 'body.extra']] as const) {
      const response = await w.call('SA', 'POST', '/v1/rosters/from-session', body);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.details.field).toBe(field);
    }
    const { rows: [count] } = await context.db.query<{ n: number }>('select count(*)::integer as n from rosters where session_id = $1', [session]);
    expect(count!.n).toBe(0);
  });
});
