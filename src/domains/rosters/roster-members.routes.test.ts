import { describe, expect, it } from 'vitest';
import { testKeyring } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { createFieldCipher, normaliseEmail } from '../../platform/security/field-cipher.js';
import { type WorldCaller, createRosterWorld, everyCaller, type MemberJson, type RosterJson, type RosterWorld } from '../../../test/world.js';

// The real application through inject, on a real database with its row-level security and the
// functions and guards of migration 0017.
const context = useTestApp();
let world: RosterWorld;
const setUp = async () => {
  world ??= await createRosterWorld(context.db, () => context.app);
  return world;
};

async function statusesOf(callers: readonly WorldCaller[], send: (caller: WorldCaller) => Promise<{ statusCode: number }>): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  for (const caller of callers) statuses[caller] = (await send(caller)).statusCode;
  return statuses;
}

const add = (w: RosterWorld, caller: WorldCaller, rosterId: string, person: object) => w.call(caller, 'POST', `/v1/rosters/${rosterId}/members`, person);

async function membersOf(rosterId: string): Promise<MemberJson[]> {
  const response = await world.call('SA', 'GET', `/v1/rosters/${rosterId}/members?limit=500`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ items: MemberJson[] }>().items;
}

const importCsv = (w: RosterWorld, caller: WorldCaller, rosterId: string, csv: string | Buffer) =>
  w.call(caller, 'POST', `/v1/rosters/${rosterId}/members/import`, csv, { 'content-type': 'text/csv' });

describe('POST /v1/rosters/:id/members', () => {
  it('puts a person on the roster with a student profile at the roster’s provider; the same person again is 409', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const added = await add(w, 'IC', roster.id, { first_name: 'Ada', last_name: 'Lovelace', email: 'Ada@Example.test', company: 'Engines', practical_score: 92.25 });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.headers['etag']).toBe('"1"');
    const member = added.json<MemberJson>();
    // Only administrators see a student profile's e-mail.
    expect(member).toMatchObject({
      roster_id: roster.id, student_id: null, first_name: 'Ada', last_name: 'Lovelace', email: null, company: 'Engines',
      enrollment_status: 'ENROLLED', attendance_status: 'PENDING', completion_status: 'NOT_STARTED', practical_score: 92.25, written_score: null,
    });
    expect((await membersOf(roster.id))[0]).toMatchObject({ id: member.id, email: 'Ada@Example.test' });
    const { rows: [profile] } = await context.db.query<{ provider_id: string; created_by: string }>(
      'select provider_id, created_by from student_enrollment_profiles where id = $1', [member.student_profile_id],
    );
    expect(profile).toEqual({ provider_id: w.providerId, created_by: w.instructor.id });

    const again = await add(w, 'AP', roster.id, { first_name: 'Augusta', last_name: 'King', email: 'ada@example.test' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'CONFLICT', details: { member_id: member.id } });
    expect((await add(w, 'AP', roster.id, { first_name: 'Grace', last_name: 'Hopper' })).statusCode).toBe(201);
    expect((await add(w, 'AP', roster.id, { first_name: ' grace', last_name: 'HOPPER ' })).statusCode).toBe(409);
    // Another roster of the same provider reuses the person's profile.
    const other = await w.roster();
    const there = (await add(w, 'SA', other.id, { first_name: 'Ada', last_name: 'L.', email: 'ada@example.test' })).json<MemberJson>();
    expect(there.student_profile_id).toBe(member.student_profile_id);
    const { rows: events } = await context.db.query<{ event_type: string }>(
      "select event_type from domain_events where aggregate_type = 'roster_member' and payload->>'roster_id' = $1", [roster.id],
    );
    expect(events.map((event) => event.event_type)).toEqual(['roster_member.added', 'roster_member.added']);
  });

  it('never links a profile the caller may not see: a new one without the e-mail, with the names given', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const address = `hidden-${roster.id}@example.test`;
    const cipher = createFieldCipher(testKeyring);
    const { rows: [hidden] } = await context.db.query<{ id: string }>(
      'insert into student_enrollment_profiles (first_name, last_name, email_ciphertext, email_hmac, provider_id) values ($1, $2, $3, $4, $5) returning id',
      ['Private', 'Person', cipher.encrypt(address), cipher.blindIndex(normaliseEmail(address)), w.providerId],
    );
    const added = await add(w, 'IC', roster.id, { first_name: 'Guess', last_name: 'Work', email: address });
    expect(added.statusCode, added.body).toBe(201);
    const member = added.json<MemberJson>();
    expect(member).toMatchObject({ first_name: 'Guess', last_name: 'Work' });
    expect(member.student_profile_id).not.toBe(hidden!.id);
    const { rows: [made] } = await context.db.query<{ email_hmac: string | null; provider_id: string }>(
      'select email_hmac, provider_id from student_enrollment_profiles where id = $1', [member.student_profile_id],
    );
    expect(made).toEqual({ email_hmac: null, provider_id: w.providerId });
    // The provider's AP sees its provider's profiles and gets the existing one.
    const other = await w.roster();
    expect((await add(w, 'AP', other.id, { first_name: 'Guess', last_name: 'Work', email: address })).json<MemberJson>())
      .toMatchObject({ student_profile_id: hidden!.id, first_name: 'Private', last_name: 'Person' });
  });

  it('takes the addresses batch enrollment takes (one shared cell check): a@b, in JSON and in a file', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const added = await add(w, 'IC', roster.id, { first_name: 'Pat', last_name: 'Local', email: `pat-${roster.id}@localhost` });
    expect(added.statusCode, added.body).toBe(201);
    const imported = await importCsv(w, 'IC', roster.id, `first_name,last_name,email\nSam,Intra,sam-${roster.id}@intranet\nNo,Address,nobody\n`);
    expect(imported.json<{ results: { outcome: string; reason: string | null }[] }>().results.map((result) => [result.outcome, result.reason])).toEqual([
      ['ADDED', null], ['INVALID', 'email "nobody" is not an e-mail address'],
    ]);
    expect((await add(w, 'IC', roster.id, { first_name: 'No', last_name: 'Address', email: 'nobody' })).statusCode).toBe(400);
  });

  it('is for those who may change the roster’s members', async () => {
    const w = await setUp();
    const ownLocation = await w.roster();
    const elsewhere = await w.roster({ location_id: w.otherLocationId, provider_id: w.otherProviderId, instructor_id: w.otherInstructor.id });
    const person = (caller: WorldCaller) => ({ first_name: caller, last_name: 'Student' });
    expect(await statusesOf(everyCaller, (caller) => add(w, caller, ownLocation.id, person(caller)))).toEqual({
      SA: 201, AD: 201, AP: 201, otherAP: 404, IC: 201, IP: 404, IT: 404, IN: 404, anon: 401,
    });
    expect(await statusesOf(everyCaller, (caller) => add(w, caller, elsewhere.id, person(caller)))).toEqual({
      SA: 201, AD: 201, AP: 404, otherAP: 201, IC: 404, IP: 201, IT: 404, IN: 404, anon: 401,
    });
    // The IC sees the roster of a session they teach but may not change it when it is someone else's.
    const session = await w.session();
    const taught = (await w.call('SA', 'POST', '/v1/rosters/from-session', { session_id: session })).json<RosterJson>();
    await context.db.query('update rosters set instructor_id = $2 where id = $1', [taught.id, w.otherInstructor.id]);
    expect((await add(w, 'IC', taught.id, person('IC'))).statusCode).toBe(403);
    expect((await add(w, 'IP', taught.id, person('IP'))).statusCode).toBe(201);
  });

  it('refuses bad input with the field', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const fieldOf = async (body: object) => {
      const response = await add(w, 'SA', roster.id, body);
      return [response.statusCode, response.json().error?.details?.field];
    };
    expect(await fieldOf({ last_name: 'Nobody' })).toEqual([400, 'body.first_name']);
    expect(await fieldOf({ first_name: 'A', last_name: 'B', email: 'not-an-address' })).toEqual([400, 'body.email']);
    expect(await fieldOf({ first_name: 'A', last_name: 'B', email: 'a b@example.test' })).toEqual([400, 'body.email']);
    expect(await fieldOf({ first_name: 'A', last_name: 'B', practical_score: 101 })).toEqual([400, 'body.practical_score']);
    expect(await fieldOf({ first_name: 'A', last_name: 'B', practical_score: 50.125 })).toEqual([400, 'body.practical_score']);
    expect(await fieldOf({ first_name: 'A', last_name: 'B', attendance_status: 'attended' })).toEqual([400, 'body.attendance_status']);
    expect(await fieldOf({ first_name: 'A\u0000', last_name: 'B' })).toEqual([400, 'body.first_name']);
    expect(await fieldOf({ first_name: '   ', last_name: 'B' })).toEqual([400, 'body.first_name']);
    expect(await fieldOf({ first_name: 'A', last_name: 'B', shoe_size: 9 })).toEqual([400, 'body.shoe_size']);
    expect((await add(w, 'SA', '00000000-0000-4000-8000-000000000000', { first_name: 'A', last_name: 'B' })).statusCode).toBe(404);
    expect(await membersOf(roster.id)).toEqual([]);
  });
});

describe('reading members', () => {
  it('lists a roster’s members to those who see the roster, and a student their own lines only', async () => {
    const w = await setUp();
    const session = await w.session();
    await w.call('SA', 'POST', `/v1/sessions/${session}/enrollments`, { student_id: w.users.IT.id });
    await w.call('SA', 'POST', `/v1/sessions/${session}/enrollments`, { student_id: w.users.IN.id });
    const roster = (await w.call('AP', 'POST', '/v1/rosters/from-session', { session_id: session })).json<RosterJson>();
    const listed = async (caller: WorldCaller) => {
      const response = await w.call(caller, 'GET', `/v1/rosters/${roster.id}/members`);
      return response.statusCode === 200 ? response.json<{ items: MemberJson[]; total: number }>().total : response.statusCode;
    };
    const counts: Record<string, number> = {};
    for (const caller of everyCaller) counts[caller] = await listed(caller);
    expect(counts).toEqual({ SA: 2, AD: 2, AP: 2, otherAP: 404, IC: 2, IP: 404, IT: 404, IN: 404, anon: 401 });

    const own = await w.call('IT', 'GET', `/v1/roster-members?roster_id=${roster.id}`);
    expect(own.statusCode).toBe(200);
    const lines = own.json<{ items: MemberJson[]; total: number }>();
    expect(lines.total).toBe(1);
    // The student may not read student profiles, so their names come back null; the results are theirs to see.
    expect(lines.items[0]).toMatchObject({ student_id: w.users.IT.id, first_name: null, email: null, enrollment_status: 'ENROLLED' });
    expect((await w.call('IT', 'GET', `/v1/roster-members/${lines.items[0]!.id}`)).statusCode).toBe(200);
    const others = (await membersOf(roster.id)).find((member) => member.student_id === w.users.IN.id)!;
    expect((await w.call('IT', 'GET', `/v1/roster-members/${others.id}`)).statusCode).toBe(404);
    expect((await w.call('anon', 'GET', '/v1/roster-members')).statusCode).toBe(401);
  });

  it('sorts a roster’s members by last name or by when they were added, and pages with cursors', async () => {
    const w = await setUp();
    const roster = await w.roster();
    for (const last of ['Young', 'Abbott', 'Moss', 'Evans', 'Kerr']) await add(w, 'SA', roster.id, { first_name: 'P', last_name: last });
    const walk = async (query: string) => {
      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: MemberJson[]; next_cursor: string | null; total: number } =
          (await w.call('IC', 'GET', `/v1/rosters/${roster.id}/members?limit=2&${query}${cursor ? `&cursor=${cursor}` : ''}`)).json();
        expect(page.total).toBe(5);
        names.push(...page.items.map((member) => member.last_name as string));
        cursor = page.next_cursor;
      } while (cursor);
      return names;
    };
    expect(await walk('sort=last_name')).toEqual(['Abbott', 'Evans', 'Kerr', 'Moss', 'Young']);
    expect(await walk('sort=created_at&direction=desc')).toEqual(['Kerr', 'Evans', 'Moss', 'Abbott', 'Young']);
    expect((await w.call('IC', 'GET', `/v1/rosters/${roster.id}/members?sort=email`)).statusCode).toBe(400);
  });
});

describe('PATCH and DELETE /v1/roster-members/:id', () => {
  it('records results at the version read; a stale version gets 409 with the current line', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const member = (await add(w, 'SA', roster.id, { first_name: 'Rita', last_name: 'Results', email: 'rita@example.test' })).json<MemberJson>();
    const recorded = await w.call('IC', 'PATCH', `/v1/roster-members/${member.id}`, { attendance_status: 'ATTENDED', practical_score: 77.5, completion_status: 'COMPLETED', version: 1 });
    expect(recorded.statusCode, recorded.body).toBe(200);
    expect(recorded.headers['etag']).toBe('"2"');
    expect(recorded.json()).toMatchObject({ attendance_status: 'ATTENDED', practical_score: 77.5, completion_status: 'COMPLETED', version: 2, first_name: 'Rita' });
    const stale = await w.call('SA', 'PATCH', `/v1/roster-members/${member.id}`, { written_score: 10, version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'VERSION_CONFLICT', details: { current: { practical_score: 77.5, version: 2, email: 'rita@example.test' } } });
    expect((await w.call('AP', 'PATCH', `/v1/roster-members/${member.id}`, { practical_score: null }, { 'if-match': '"2"' })).json()).toMatchObject({ practical_score: null, version: 3 });
    for (const [body, field] of [
      [{ practical_score: 100.5, version: 3 }, 'body.practical_score'], [{ attendance_status: 'late', version: 3 }, 'body.attendance_status'],
      [{ first_name: 'Renamed', version: 3 }, 'body.first_name'], [{ completion_status: 'COMPLETED' }, 'body.version'],
    ] as const) {
      const response = await w.call('SA', 'PATCH', `/v1/roster-members/${member.id}`, body);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.details.field).toBe(field);
    }
    const { rows } = await context.db.query<{ event_type: string }>('select event_type from domain_events where aggregate_id = $1 order by seq', [member.id]);
    expect(rows.map((row) => row.event_type)).toEqual(['roster_member.added', 'roster_member.updated', 'roster_member.updated']);
  });

  it('lets each role change and remove exactly the lines the matrix allows', async () => {
    const w = await setUp();
    const session = await w.session();
    await w.call('SA', 'POST', `/v1/sessions/${session}/enrollments`, { student_id: w.users.IT.id });
    const roster = (await w.call('SA', 'POST', '/v1/rosters/from-session', { session_id: session })).json<RosterJson>();
    const [line] = await membersOf(roster.id);
    const patch = async (caller: WorldCaller) => {
      const { rows: [row] } = await context.db.query<{ version: number }>('select version from student_roster_members where id = $1', [line!.id]);
      return w.call(caller, 'PATCH', `/v1/roster-members/${line!.id}`, { attendance_status: 'ATTENDED', version: row!.version });
    };
    // The student sees their own line, but may not change it.
    expect(await statusesOf(everyCaller, patch)).toEqual({ SA: 200, AD: 200, AP: 200, otherAP: 404, IC: 200, IP: 404, IT: 403, IN: 404, anon: 401 });
    const removable = async () => (await add(w, 'SA', roster.id, { first_name: 'Temp', last_name: String(Math.random()) })).json<MemberJson>().id;
    const removals: Record<string, number> = {};
    for (const caller of everyCaller) removals[caller] = (await w.call(caller, 'DELETE', `/v1/roster-members/${await removable()}`)).statusCode;
    expect(removals).toEqual({ SA: 204, AD: 204, AP: 204, otherAP: 404, IC: 204, IP: 404, IT: 404, IN: 404, anon: 401 });
    expect((await w.call('IT', 'DELETE', `/v1/roster-members/${line!.id}`)).statusCode).toBe(403);
    expect((await w.call('SA', 'DELETE', '/v1/roster-members/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  });

  it('keeps a line a certificate was issued for: removing it is 409', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const member = (await add(w, 'SA', roster.id, { first_name: 'Cert', last_name: 'Holder' })).json<MemberJson>();
    await context.db.query(
      `insert into certificates (student_profile_id, roster_member_id, roster_id, course_id, location_id, course_name, recipient_name, issue_date, verification_code)
       values ($1, $2, $3, $4, $5, 'First aid', 'Cert Holder', '2031-05-06', $6)`,
      [member.student_profile_id, member.id, roster.id, w.courseId, w.locationId, `RM-${member.id.slice(0, 8).toUpperCase()}`],
    );
    const refused = await w.call('SA', 'DELETE', `/v1/roster-members/${member.id}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('CONFLICT');
  });
});

describe('an archived roster', () => {
  it('keeps its members read-only until it is unarchived', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const member = (await add(w, 'IC', roster.id, { first_name: 'Frozen', last_name: 'Line' })).json<MemberJson>();
    expect((await w.call('IC', 'POST', `/v1/rosters/${roster.id}/archive`, { version: roster.version })).statusCode).toBe(200);
    const refusals = [
      await add(w, 'IC', roster.id, { first_name: 'Late', last_name: 'Comer' }),
      await w.call('IC', 'PATCH', `/v1/roster-members/${member.id}`, { attendance_status: 'ABSENT', version: 1 }),
      await w.call('SA', 'PATCH', `/v1/roster-members/${member.id}`, { attendance_status: 'ABSENT', version: 1 }),
      await w.call('AP', 'DELETE', `/v1/roster-members/${member.id}`),
      await importCsv(w, 'IC', roster.id, 'first_name,last_name\nLate,Comer\n'),
    ];
    expect(refusals.map((response) => [response.statusCode, response.json().error?.code])).toEqual(refusals.map(() => [409, 'INVALID_TRANSITION']));
    // Reading still works.
    expect((await membersOf(roster.id)).map((line) => [line.id, line.attendance_status, line.version])).toEqual([[member.id, 'PENDING', 1]]);
    // Underneath the API, the database refuses the application role too, whatever its rights.
    await expect(context.db.withActor({ userId: w.sa.id, role: 'SA', providerId: null }, (tx) =>
      tx.query("update student_roster_members set attendance_status = 'ABSENT' where id = $1", [member.id]))).rejects.toMatchObject({ code: 'UTTRN' });
    expect((await w.call('IC', 'POST', `/v1/rosters/${roster.id}/unarchive`, { version: roster.version + 1 })).statusCode).toBe(200);
    expect((await w.call('IC', 'PATCH', `/v1/roster-members/${member.id}`, { attendance_status: 'ABSENT', version: 1 })).statusCode).toBe(200);
  });
});

describe('POST /v1/rosters/:id/members/import', () => {
  it('adds, updates and reports every line: a broken line, a duplicate, an invalid e-mail and bad values are INVALID', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const present = (await add(w, 'SA', roster.id, { first_name: 'Petra', last_name: 'Present', email: 'petra@example.test', practical_score: 60 })).json<MemberJson>();
    const unchanged = (await add(w, 'SA', roster.id, { first_name: 'Uma', last_name: 'Unchanged' })).json<MemberJson>();
    const csv = [
      'First_Name,Last_Name,Email,Company,Practical_Score,Attendance_Status',
      'Nina,New,nina@example.test,Harbour Ltd,88.5,attended', // 2: added
      'Noah,Nomail,,,,', // 3: added, no e-mail
      'Petra,Present,PETRA@example.test,,71,', // 4: updated (score)
      'uma,UNCHANGED,,,,', // 5: already present (by name)
      'Nina,Again,Nina@Example.test,,,', // 6: the same person as line 2
      'Bad,Email,not-an-address,,,', // 7
      'Too,Many,fields@example.test,,,,extra', // 8: broken line
      'High,Score,,,101,', // 9
      'Wrong,Status,,,,present', // 10
      ',Nameless,,,,', // 11
    ].join('\n');
    const response = await importCsv(w, 'IC', roster.id, csv);
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json<{ counts: Record<string, number>; results: { line: number; outcome: string; member_id: string | null; reason: string | null }[] }>();
    expect(report.counts).toEqual({ total: 10, added: 2, updated: 1, already_present: 1, invalid: 6 });
    expect(report.results.map((result) => [result.line, result.outcome])).toEqual([
      [2, 'ADDED'], [3, 'ADDED'], [4, 'UPDATED'], [5, 'ALREADY_PRESENT'], [6, 'INVALID'], [7, 'INVALID'], [8, 'INVALID'], [9, 'INVALID'], [10, 'INVALID'], [11, 'INVALID'],
    ]);
    const reasons = Object.fromEntries(report.results.filter((result) => result.reason).map((result) => [result.line, result.reason]));
    expect(reasons).toEqual({
      6: 'the same person as line 2',
      7: 'email "not-an-address" is not an e-mail address',
      8: 'line 8 has 7 fields; the header has 6',
      9: 'practical_score must be a number from 0 to 100 with at most two decimals',
      10: 'attendance_status must be one of PENDING, ATTENDED, ABSENT',
      11: 'first_name is required',
    });
    expect(report.results.find((result) => result.line === 4)?.member_id).toBe(present.id);
    expect(report.results.find((result) => result.line === 5)?.member_id).toBe(unchanged.id);

    const members = await membersOf(roster.id);
    const byName = Object.fromEntries(members.map((member) => [member.last_name, member]));
    expect(Object.keys(byName).sort()).toEqual(['New', 'Nomail', 'Present', 'Unchanged']);
    expect(byName['New']).toMatchObject({ email: 'nina@example.test', company: 'Harbour Ltd', practical_score: 88.5, attendance_status: 'ATTENDED', id: report.results[0]!.member_id });
    expect(byName['Present']).toMatchObject({ practical_score: 71, version: 2 });
    expect(byName['Unchanged']).toMatchObject({ version: 1 });
    const { rows: [event] } = await context.db.query<{ payload: Record<string, number> }>(
      "select payload from domain_events where aggregate_id = $1 and event_type = 'roster.members_imported'", [roster.id],
    );
    expect(event!.payload).toEqual(report.counts);

    // The same file again changes nothing.
    const again = (await importCsv(w, 'IC', roster.id, csv)).json<{ counts: Record<string, number> }>();
    expect(again.counts).toEqual({ total: 10, added: 0, updated: 0, already_present: 4, invalid: 6 });
    expect(await membersOf(roster.id)).toHaveLength(4);
  });

  it('refuses a whole file that is not UTF-8, not CSV, lacks a column or is sent as JSON, and writes nothing', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const latin1 = Buffer.concat([Buffer.from('first_name,last_name\nRen'), Buffer.from([0xe9]), Buffer.from(',Dupont\n')]);
    const refusals = [
      await importCsv(w, 'SA', roster.id, latin1),
      await importCsv(w, 'SA', roster.id, 'first_name,last_name\n"Unclosed,Quote\n'),
      await importCsv(w, 'SA', roster.id, 'first_name,email\nAnn,ann@example.test\n'),
      await importCsv(w, 'SA', roster.id, 'first_name,last_name,shoe_size\nAnn,Lee,9\n'),
      await importCsv(w, 'SA', roster.id, ''),
      await w.call('SA', 'POST', `/v1/rosters/${roster.id}/members/import`, { first_name: 'Json', last_name: 'Body' }),
    ];
    expect(refusals.map((response) => [response.statusCode, response.json().error.code])).toEqual([
      [415, 'UNSUPPORTED_ENCODING'], [422, 'INVALID_CSV'], [422, 'INVALID_CSV'], [422, 'INVALID_CSV'], [422, 'INVALID_CSV'], [415, 'UNSUPPORTED_MEDIA_TYPE'],
    ]);
    expect(await membersOf(roster.id)).toEqual([]);
  });

  it('takes a multipart upload, and is for those who may change the roster’s members', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const boundary = 'rosterboundary';
    const form = [`--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="class.csv"', 'Content-Type: text/csv', '',
      'first_name,last_name,email', 'Mia,Multipart,mia@example.test', `--${boundary}--`, ''].join('\r\n');
    const uploaded = await w.call('AP', 'POST', `/v1/rosters/${roster.id}/members/import`, form, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(uploaded.statusCode, uploaded.body).toBe(200);
    expect(uploaded.json().counts).toMatchObject({ added: 1 });
    const statuses = await statusesOf(everyCaller, (caller) => importCsv(w, caller, roster.id, `first_name,last_name\n${caller},Importer\n`));
    expect(statuses).toEqual({ SA: 200, AD: 200, AP: 200, otherAP: 404, IC: 200, IP: 404, IT: 404, IN: 404, anon: 401 });
    expect(await membersOf(roster.id)).toHaveLength(5);
  });

  it('imports a class of 2,000 in one request', async () => {
    const w = await setUp();
    const roster = await w.roster();
    const lines = Array.from({ length: 2000 }, (_, index) => `Student,Number${index},student${index}@bulk.example.test,,${index % 101},`);
    const response = await importCsv(w, 'IC', roster.id, ['first_name,last_name,email,company,written_score,completion_status', ...lines].join('\n'));
    expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
    expect(response.json().counts).toMatchObject({ total: 2000, added: 2000, invalid: 0 });
    expect((await w.call('IC', 'GET', `/v1/rosters/${roster.id}`)).json()).toMatchObject({ member_count: 2000 });
  }, 120_000);
});
