import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, testKeyring } from '../../../test/auth.js';
import {
  createEnrollmentWorld,
  createSession,
  createStudents,
  createStudentsWithEmails,
  type EnrollmentWorld,
  profilesWithEmail,
  sessionState,
  studentToken,
} from '../../../test/world.js';
import { testEngine } from '../../../test/engine.js';
import { useTestApp } from '../../../test/test-app.js';
import { createFieldCipher, normaliseEmail } from '../../platform/security/field-cipher.js';

// Batch enrollment through the real API (JSON and CSV) on a real database with its row-level security.
const context = useTestApp();
let world: EnrollmentWorld;

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
});

const cipher = createFieldCipher(testKeyring);
const unknownId = '00000000-0000-4000-8000-000000000000';
const email = (name: string) => `${name}-${randomUUID()}@example.test`;
const range = (n: number) => Array.from({ length: n }, (_, index) => index + 1);

const batch = (token: string | null, sessionId: string, payload: object) =>
  context.app.inject({ method: 'POST', url: `/v1/sessions/${sessionId}/enrollments/batch`, headers: token ? bearer(token) : {}, payload });
const importCsv = (token: string | null, sessionId: string, csv: string | Uint8Array, query = '') =>
  context.app.inject({
    method: 'POST',
    url: `/v1/sessions/${sessionId}/enrollments/import${query}`,
    headers: { ...(token ? bearer(token) : {}), 'content-type': 'text/csv' },
    payload: typeof csv === 'string' ? Buffer.from(csv, 'utf8') : Buffer.from(csv),
  });

async function eventsOf(sessionId: string): Promise<string[]> {
  const { rows } = await context.db.query<{ event_type: string }>(
    "select event_type from domain_events where aggregate_type = 'enrollment' and payload->>'session_id' = $1 order by seq", [sessionId],
  );
  return rows.map((row) => row.event_type);
}

/** Counter = seated rows, within capacity, waitlist 1..n, nobody twice. */
async function expectInvariants(sessionId: string): Promise<Awaited<ReturnType<typeof sessionState>>> {
  const state = await sessionState(context.db, sessionId);
  expect(state.counter).toBe(state.enrolled.length);
  expect(state.counter).toBeLessThanOrEqual(state.capacity);
  expect(state.positions).toEqual(range(state.waitlist.length));
  expect(state.duplicates).toBe(0);
  return state;
}

describe('POST /v1/sessions/:id/enrollments/batch', () => {
  it('answers every row: seats in order, then the waitlist, repeats, unknown students and bad rows', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 3, selfEnrollment: false });
    const [already, first, second] = await createStudents(context.db, 3);
    const byEmail = email('account');
    const [accountByEmail] = await createStudentsWithEmails(context.db, [byEmail]);
    await context.app.inject({ method: 'POST', url: `/v1/sessions/${sessionId}/enrollments`, headers: bearer(world.tokens.sa), payload: { student_id: already } });
    const newcomer = email('newcomer');

    const response = await batch(world.tokens.ap, sessionId, {
      students: [
        { student_id: first },
        { student_id: already },
        { email: ` ${byEmail.toUpperCase()} ` },
        { email: newcomer, first_name: 'Nia', last_name: 'New', company: 'Harbour Ltd' },
        { student_id: second },
        { student_id: first },
        { email: newcomer },
        { email: email('nameless') },
        { student_id: unknownId },
        { student_id: 'not-a-uuid' },
        { student_id: second, email: byEmail },
        {},
        { email: 'no-at-sign' },
        { email: email('control'), first_name: 'Tab\there', last_name: 'X' },
      ],
    });
    expect(response.statusCode, response.body).toBe(200);
    const { results, counts } = response.json();
    const [profile] = await profilesWithEmail(context.db, newcomer);
    expect(profile).toMatchObject({ provider_id: world.providerId, first_name: 'Nia', last_name: 'New', company: 'Harbour Ltd' });
    expect(results.map((result: { row: number }) => result.row)).toEqual(range(14));
    expect(results.slice(0, 7)).toMatchObject([
      { outcome: 'ENROLLED', student_id: first, waitlist_position: null, reason: null, profile_created: false },
      { outcome: 'ALREADY_ENROLLED', student_id: already, reason: null },
      { outcome: 'ENROLLED', student_id: accountByEmail, student_profile_id: null },
      { outcome: 'WAITLISTED', waitlist_position: 1, student_id: null, student_profile_id: profile!.id, profile_created: true },
      { outcome: 'WAITLISTED', waitlist_position: 2, student_id: second },
      { outcome: 'ALREADY_ENROLLED', student_id: first, enrollment_id: results[0].enrollment_id, reason: 'duplicate of row 1' },
      { outcome: 'ALREADY_ENROLLED', student_profile_id: profile!.id, enrollment_id: results[3].enrollment_id, reason: 'duplicate of row 4', profile_created: false },
    ]);
    expect(results.slice(7).map((result: { outcome: string; reason: string }) => [result.outcome, result.reason])).toEqual([
      ['INVALID', 'no account or student profile has this e-mail: first_name and last_name are needed to create one'],
      ['INVALID', 'no account has this student_id'],
      ['INVALID', 'student_id is not a UUID'],
      ['INVALID', 'give student_id or email, not both'],
      ['INVALID', 'give student_id or email'],
      ['INVALID', 'email "no-at-sign" is not an e-mail address'],
      ['INVALID', 'first_name contains a control character'],
    ]);
    expect(counts).toEqual({ total: 14, enrolled: 2, waitlisted: 2, already_enrolled: 3, invalid: 7, profiles_created: 1 });

    const state = await expectInvariants(sessionId);
    expect(state).toMatchObject({ counter: 3, enrolled: [already, first, accountByEmail].sort(), waitlist: [profile!.id, second] });
    expect(await eventsOf(sessionId)).toEqual(['enrollment.enrolled', 'enrollment.enrolled', 'enrollment.enrolled', 'enrollment.waitlisted', 'enrollment.waitlisted']);
  });

  it('all or nothing: one invalid row refuses the batch with every row answered and nothing written', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 1, selfEnrollment: false });
    const [first, second] = await createStudents(context.db, 2);
    const newcomer = email('refused');
    const refused = await batch(world.tokens.sa, sessionId, {
      all_or_nothing: true,
      students: [{ student_id: first }, { email: newcomer, first_name: 'Re', last_name: 'Fused' }, { student_id: unknownId }, { student_id: second }],
    });
    expect(refused.statusCode, refused.body).toBe(422);
    const { error } = refused.json();
    expect(error).toMatchObject({ code: 'INVALID_ROWS', details: { field: 'body.students', counts: { total: 4, enrolled: 1, waitlisted: 2, invalid: 1, profiles_created: 0 } } });
    expect(error.details.results).toMatchObject([
      { row: 1, outcome: 'ENROLLED', enrollment_id: null },
      { row: 2, outcome: 'WAITLISTED', enrollment_id: null, waitlist_position: null, student_profile_id: null },
      { row: 3, outcome: 'INVALID', reason: 'no account has this student_id' },
      { row: 4, outcome: 'WAITLISTED', enrollment_id: null },
    ]);
    expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 0, enrolled: [], waitlist: [] });
    expect(await profilesWithEmail(context.db, newcomer)).toEqual([]);
    expect(await eventsOf(sessionId)).toEqual([]);

    const accepted = await batch(world.tokens.sa, sessionId, { all_or_nothing: true, students: [{ student_id: first }, { student_id: second }] });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json().counts).toMatchObject({ enrolled: 1, waitlisted: 1, invalid: 0 });
    expect(await expectInvariants(sessionId)).toMatchObject({ counter: 1, enrolled: [first], waitlist: [second] });
  });

  it('reuses a cancelled enrollment, and refuses a session that is not scheduled', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 2, selfEnrollment: false });
    const [studentId] = await createStudents(context.db, 1);
    const first = (await batch(world.tokens.sa, sessionId, { students: [{ student_id: studentId }] })).json().results[0];
    await context.app.inject({ method: 'POST', url: `/v1/enrollments/${first.enrollment_id}/cancel`, headers: bearer(world.tokens.sa) });
    const again = (await batch(world.tokens.sa, sessionId, { students: [{ student_id: studentId }] })).json().results[0];
    expect(again).toMatchObject({ outcome: 'ENROLLED', enrollment_id: first.enrollment_id });
    expect(await expectInvariants(sessionId)).toMatchObject({ counter: 1, enrolled: [studentId] });

    const completed = await createSession(context.db, world, { capacity: 2, status: 'COMPLETED' });
    const late = await batch(world.tokens.sa, completed, { students: [{ student_id: studentId }] });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('CONFLICT');
  });

  it('answers 400 with the field for a malformed request', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 2 });
    for (const [payload, field] of [
      [{}, 'body.students'],
      [{ students: [] }, 'body.students'],
      [{ students: [{ shoe_size: 9 }] }, 'body.students.0.shoe_size'],
      [{ students: [{ email: { address: 'a@example.test' } }] }, 'body.students.0.email'],
      [{ students: [{ student_id: unknownId }], all_or_nothing: 'perhaps' }, 'body.all_or_nothing'],
      [{ students: Array.from({ length: 10_001 }, () => ({ student_id: unknownId })) }, 'body.students'],
    ] as const) {
      const response = await batch(world.tokens.sa, sessionId, payload);
      expect(response.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(response.json().error.details.field).toBe(field);
    }
    expect((await batch(world.tokens.sa, 'not-a-uuid', { students: [{ student_id: unknownId }] })).statusCode).toBe(400);
    expect((await batch(world.tokens.sa, unknownId, { students: [{ student_id: unknownId }] })).statusCode).toBe(404);
  });
});

describe('POST /v1/sessions/:id/enrollments/import', () => {
  it('answers per line: a broken line, a duplicate, an unknown e-mail, and profiles only where the caller may make them', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 10, selfEnrollment: false });
    const known = email('known');
    const [knownId] = await createStudentsWithEmails(context.db, [known]);
    const [byIdStudent] = await createStudents(context.db, 1);
    const stranger = email('stranger');
    const csv = [
      'email,student_id,first_name,last_name,company',
      `${known},,,,`,
      'broken,line',
      `,${byIdStudent},,,`,
      `${known.toUpperCase()},,,,`,
      `${stranger},,Sam,Stranger,"Quay, Ltd"`,
      '',
      `${stranger},,Sam,Stranger,`,
    ].join('\r\n');

    // The instructor teaches the session but may not create student profiles.
    const asInstructor = await importCsv(world.tokens.instructor, sessionId, csv);
    expect(asInstructor.statusCode, asInstructor.body).toBe(200);
    expect(asInstructor.json().results.map((result: { line: number; outcome: string; reason: string | null }) => [result.line, result.outcome, result.reason])).toEqual([
      [2, 'ENROLLED', null],
      [3, 'INVALID', 'line 3 has 2 fields; the header has 5'],
      [4, 'ENROLLED', null],
      [5, 'ALREADY_ENROLLED', 'duplicate of line 2'],
      [6, 'INVALID', 'no account or student profile has this e-mail, and only administrators and providers may create student profiles'],
      [8, 'INVALID', 'no account or student profile has this e-mail, and only administrators and providers may create student profiles'],
    ]);
    expect(await profilesWithEmail(context.db, stranger)).toEqual([]);

    // The provider's AP may: one profile for the two lines of the same person, at its provider.
    const asProvider = await importCsv(world.tokens.ap, sessionId, csv);
    expect(asProvider.json().results.map((result: { line: number; outcome: string; reason: string | null }) => [result.line, result.outcome, result.reason])).toEqual([
      [2, 'ALREADY_ENROLLED', null],
      [3, 'INVALID', 'line 3 has 2 fields; the header has 5'],
      [4, 'ALREADY_ENROLLED', null],
      [5, 'ALREADY_ENROLLED', 'duplicate of line 2'],
      [6, 'ENROLLED', null],
      [8, 'ALREADY_ENROLLED', 'duplicate of line 6'],
    ]);
    const profiles = await profilesWithEmail(context.db, stranger);
    expect(profiles).toMatchObject([{ provider_id: world.providerId, first_name: 'Sam', last_name: 'Stranger', company: 'Quay, Ltd' }]);
    expect(asProvider.json().counts).toEqual({ total: 6, enrolled: 1, waitlisted: 0, already_enrolled: 4, invalid: 1, profiles_created: 1 });
    expect(await expectInvariants(sessionId)).toMatchObject({ counter: 3, enrolled: [knownId, byIdStudent, profiles[0]!.id].sort() });
  });

  it('takes a multipart file and all_or_nothing in the query string', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 10, selfEnrollment: false });
    const [a, b] = await createStudents(context.db, 2);
    const boundary = 'unitrain-boundary';
    const form = (csv: string) =>
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="students.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`);
    const upload = (csv: string, query: string) =>
      context.app.inject({
        method: 'POST',
        url: `/v1/sessions/${sessionId}/enrollments/import${query}`,
        headers: { ...bearer(world.tokens.sa), 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: form(csv),
      });
    const refused = await upload(`student_id\n${a}\nnot-an-id\n`, '?all_or_nothing=true');
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().error).toMatchObject({ code: 'INVALID_ROWS', details: { field: 'file', counts: { invalid: 1, enrolled: 1 } } });
    expect((await sessionState(context.db, sessionId)).counter).toBe(0);
    const accepted = await upload(`student_id\n${a}\n${b}\n`, '?all_or_nothing=true');
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json().counts).toMatchObject({ enrolled: 2 });
  });

  it('refuses a whole file that is not UTF-8, lacks both id columns, is too long or is not CSV', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 10, selfEnrollment: false });
    const latin1 = Uint8Array.from([...Buffer.from('email,first_name,last_name\nrene@example.test,Ren'), 0xe9, ...Buffer.from(',Dupont\n')]);
    const wrongEncoding = await importCsv(world.tokens.sa, sessionId, latin1);
    expect(wrongEncoding.statusCode).toBe(415);
    expect(wrongEncoding.json().error).toMatchObject({ code: 'UNSUPPORTED_ENCODING', details: { field: 'file' } });
    const noIdColumn = await importCsv(world.tokens.sa, sessionId, 'first_name,last_name\nAnn,Lee\n');
    expect(noIdColumn.statusCode).toBe(422);
    expect(noIdColumn.json().error.code).toBe('INVALID_CSV');
    expect((await importCsv(world.tokens.sa, sessionId, 'email,shoe_size\na@example.test,9\n')).json().error.code).toBe('INVALID_CSV');
    expect((await importCsv(world.tokens.sa, sessionId, 'email\n"unclosed@example.test\n')).json().error.code).toBe('INVALID_CSV');
    const tooLong = await importCsv(world.tokens.sa, sessionId, `student_id\n${`${unknownId}\n`.repeat(10_001)}`);
    expect(tooLong.statusCode).toBe(413);
    const json = await context.app.inject({
      method: 'POST', url: `/v1/sessions/${sessionId}/enrollments/import`, headers: bearer(world.tokens.sa), payload: { students: [] },
    });
    expect(json.statusCode).toBe(415);
    expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 0, enrolled: [], waitlist: [] });
  });

  it('enrolls 10,000 rows in one request: accounts by e-mail and new students, seats then waitlist 1..n', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 500, selfEnrollment: false });
    const accountEmails = Array.from({ length: 5_000 }, (_, index) => `bulk-${index}-${randomUUID()}@example.test`);
    await createStudentsWithEmails(context.db, accountEmails);
    const lines = accountEmails.map((address) => `${address},,,`);
    for (let index = 0; index < 5_000; index++) lines.push(`new-${index}-${randomUUID()}@example.test,New,Student ${index},Bulk Co`);
    const csv = `email,first_name,last_name,company\n${lines.join('\n')}\n`;

    const started = performance.now();
    const response = await importCsv(world.tokens.ap, sessionId, csv);
    const seconds = (performance.now() - started) / 1000;
    expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
    console.info(`[measure] 10,000-row CSV enrollment on ${testEngine}: ${seconds.toFixed(2)} s`);

    const { counts, results } = response.json();
    expect(counts).toEqual({ total: 10_000, enrolled: 500, waitlisted: 9_500, already_enrolled: 0, invalid: 0, profiles_created: 5_000 });
    expect(results[0]).toMatchObject({ line: 2, outcome: 'ENROLLED' });
    expect(results[9_999]).toMatchObject({ line: 10_001, outcome: 'WAITLISTED', waitlist_position: 9_500, profile_created: true });
    const state = await expectInvariants(sessionId);
    expect(state).toMatchObject({ counter: 500, capacity: 500 });
    expect(state.waitlist).toHaveLength(9_500);
    expect((await eventsOf(sessionId)).length).toBe(10_000);
  }, 300_000);
});

describe('batch enrollment for each role', () => {
  it('is for the staff of the session: 200 for SA, AD, its AP and instructor; 404 or 403 for the others; 401 signed out', async () => {
    const closed = await createSession(context.db, world, { capacity: 50, selfEnrollment: false });
    const open = await createSession(context.db, world, { capacity: 50 });
    const [studentId, bystander] = await createStudents(context.db, 2);
    const { tokens } = world;
    const inToken = await studentToken(bystander!);
    const expected: [string, string | null, number, number][] = [
      // who, token, closed session, open session (visible to every signed-in user)
      ['SA', tokens.sa, 200, 200],
      ['AD', tokens.ad, 200, 200],
      ['AP of the location', tokens.ap, 200, 200],
      ['AP elsewhere', tokens.otherAp, 404, 403],
      ['IC teaching it', tokens.instructor, 200, 200],
      ['IP not teaching it', tokens.otherInstructor, 404, 403],
      ['IT', tokens.trainee, 404, 403],
      ['IN', inToken, 404, 403],
      ['signed out', null, 401, 401],
    ];
    for (const [who, token, closedStatus, openStatus] of expected) {
      for (const [sessionId, status] of [[closed, closedStatus], [open, openStatus]] as const) {
        const json = await batch(token, sessionId, { students: [{ student_id: studentId }] });
        expect(json.statusCode, `${who} JSON: ${json.body}`).toBe(status);
        const csv = await importCsv(token, sessionId, `student_id\n${studentId}\n`);
        expect(csv.statusCode, `${who} CSV: ${csv.body}`).toBe(status);
      }
    }
    for (const sessionId of [closed, open]) expect(await expectInvariants(sessionId)).toMatchObject({ counter: 1, enrolled: [studentId] });
  });

  it('makes new profiles at the session’s provider for administrators, and refuses them to instructors', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 50, selfEnrollment: false });
    for (const [token, creates] of [[world.tokens.sa, true], [world.tokens.ad, true], [world.tokens.instructor, false]] as const) {
      const person = email('person');
      const result = (await batch(token, sessionId, { students: [{ email: person, first_name: 'Pat', last_name: 'Person' }] })).json().results[0];
      expect(result.outcome).toBe(creates ? 'ENROLLED' : 'INVALID');
      expect(await profilesWithEmail(context.db, person)).toMatchObject(creates ? [{ provider_id: world.providerId }] : []);
    }
  });
});

describe('e-mail lookups for callers who are not administrators', () => {
  const unknownToInstructor = 'no account or student profile has this e-mail, and only administrators and providers may create student profiles';
  const outcomesOf = (response: { json(): { results: { outcome: string; student_id: string | null; student_profile_id: string | null; reason: string | null }[] } }) =>
    response.json().results.map((result) => ({ outcome: result.outcome, student_id: result.student_id, student_profile_id: result.student_profile_id, reason: result.reason }));

  it('match only active trainee accounts: staff and inactive accounts read as unknown', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 20, selfEnrollment: false });
    const [trainee, inactive] = [email('trainee'), email('inactive')];
    const [traineeId, inactiveId] = await createStudentsWithEmails(context.db, [trainee, inactive]);
    await context.db.query("update users set status = 'INACTIVE' where id = $1", [inactiveId]);
    const staff = [world.sa.email, world.ad.email, world.otherAp.email, world.otherInstructor.email, inactive];
    const students = [trainee, ...staff].map((address) => ({ email: address, first_name: 'Pro', last_name: 'Be' }));

    const asInstructor = await batch(world.tokens.instructor, sessionId, { students });
    expect(asInstructor.statusCode, asInstructor.body).toBe(200);
    expect(outcomesOf(asInstructor)).toEqual([
      { outcome: 'ENROLLED', student_id: traineeId, student_profile_id: null, reason: null },
      ...staff.map(() => ({ outcome: 'INVALID', student_id: null, student_profile_id: null, reason: unknownToInstructor })),
    ]);

    // The AP makes a student profile at its provider for each address, as for any unknown one.
    const asProvider = outcomesOf(await batch(world.tokens.ap, sessionId, { students: students.slice(1) }));
    expect(asProvider.map((result) => [result.outcome, result.student_id])).toEqual(staff.map(() => ['ENROLLED', null]));
    for (const address of staff) expect(await profilesWithEmail(context.db, address)).toMatchObject([{ provider_id: world.providerId }]);

    // Administrators still find every account.
    const asAdmin = outcomesOf(await batch(world.tokens.sa, sessionId, { students: [{ email: world.ad.email }, { email: inactive }] }));
    expect(asAdmin.map((result) => [result.outcome, result.student_id])).toEqual([['ENROLLED', world.ad.id], ['ENROLLED', inactiveId]]);
  });

  it('match only student profiles the caller may see', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 20, selfEnrollment: false });
    const hidden = email('hidden');
    await context.db.query(
      'insert into student_enrollment_profiles (first_name, last_name, email_ciphertext, email_hmac, provider_id) values ($1, $2, $3, $4, $5)',
      ['Hidden', 'Person', cipher.encrypt(hidden), cipher.blindIndex(normaliseEmail(hidden)), world.providerId],
    );
    const [profile] = await profilesWithEmail(context.db, hidden);
    // The instructor has never taught this person: the profile reads as unknown, and nothing is made.
    expect(outcomesOf(await batch(world.tokens.instructor, sessionId, { students: [{ email: hidden, first_name: 'Any', last_name: 'Name' }] })))
      .toEqual([{ outcome: 'INVALID', student_id: null, student_profile_id: null, reason: unknownToInstructor }]);
    expect(await profilesWithEmail(context.db, hidden)).toHaveLength(1);
    // The provider's AP sees its own profiles and enrolls that one; then the instructor, who now teaches it, finds it too.
    expect(outcomesOf(await batch(world.tokens.ap, sessionId, { students: [{ email: hidden }] })))
      .toEqual([{ outcome: 'ENROLLED', student_id: null, student_profile_id: profile!.id, reason: null }]);
    const later = await createSession(context.db, world, { capacity: 20, selfEnrollment: false });
    expect(outcomesOf(await batch(world.tokens.instructor, later, { students: [{ email: hidden }] })))
      .toEqual([{ outcome: 'ENROLLED', student_id: null, student_profile_id: profile!.id, reason: null }]);
  });
});
