import { beforeAll, describe, expect, it } from 'vitest';
import { testKeyring } from '../../../test/auth.js';
import {
  createEnrollmentWorld,
  createSession,
  createStudents,
  type EnrollmentWorld,
  profilesWithEmail,
  sessionState,
  studentToken,
} from '../../../test/world.js';
import { testEngine } from '../../../test/engine.js';
import { createFieldCipher, normaliseEmail } from '../../platform/security/field-cipher.js';
import { useListeningApp } from '../../../test/listening-app.js';
import { expireWaitlistOffers } from './enrollments.repository.js';

// Real concurrency needs real PostgreSQL (PGlite has one connection): a listening server, real HTTP
// requests in flight together, a pool of connections contending for one session row.
const onPostgres = testEngine === 'postgres';
let world: EnrollmentWorld;
const server = useListeningApp(onPostgres);

beforeAll(async () => {
  if (!onPostgres) return;
  world = await createEnrollmentWorld(server.db);
});

const call = server.call;

/** Connections of this test's database waiting for a lock (other test databases share the server). */
async function lockWaiters(): Promise<number> {
  const { rows: [waiting] } = await server.db.query<{ n: number }>(
    "select count(*)::integer as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
  );
  return waiting!.n;
}

/** Sends a request while `tx` holds a lock, and comes back once it waits for that lock (or has already answered). */
async function sentWhileLocked(send: () => ReturnType<typeof call>): Promise<{ answer: () => ReturnType<typeof call>; waited: boolean }> {
  let answered = false;
  const pending = send().finally(() => (answered = true));
  while (!answered && (await lockWaiters()) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  return { answer: () => pending, waited: !answered };
}

const range = (n: number) => Array.from({ length: n }, (_, index) => index + 1);

/** Every invariant of issue 4: counter = seated rows, within capacity, waitlist 1..n, no free seat while someone waits, nobody twice. */
function expectInvariants(state: Awaited<ReturnType<typeof sessionState>>): void {
  expect(state.counter).toBe(state.enrolled.length);
  expect(state.counter).toBeLessThanOrEqual(state.capacity);
  expect(state.positions).toEqual(range(state.waitlist.length));
  if (state.waitlist.length > 0) expect(state.counter).toBe(state.capacity);
  expect(state.duplicates).toBe(0);
}

describe('enrollment under concurrency', () => {
  it.runIf(onPostgres)('seats exactly 20 of 200 concurrent self-enrollments and waitlists the rest at 1..180', async () => {
    const sessionId = await createSession(server.db, world, { capacity: 20 });
    const students = await createStudents(server.db, 200);
    const tokens = await Promise.all(students.map(studentToken));
    const responses = await Promise.all(tokens.map((token) => call('POST', `/v1/sessions/${sessionId}/enrollments`, token, {})));

    expect(responses.map((response) => response.status)).toEqual(students.map(() => 201));
    const seated = responses.filter((response) => response.json['status'] === 'ENROLLED');
    const waiting = responses.filter((response) => response.json['status'] === 'WAITLISTED');
    expect(seated).toHaveLength(20);
    expect(waiting).toHaveLength(180);
    expect(waiting.map((response) => response.json['waitlist_position']).sort((a, b) => Number(a) - Number(b))).toEqual(range(180));

    const state = await sessionState(server.db, sessionId);
    expect(state.counter).toBe(20);
    expect(state.enrolled).toHaveLength(20);
    expect(state.positions).toEqual(range(180));
    expectInvariants(state);
  }, 120_000);

  it.runIf(onPostgres)('keeps every invariant with cancellations, enrollments and capacity changes in flight together', async () => {
    const sessionId = await createSession(server.db, world, { capacity: 10 });
    const first = await createStudents(server.db, 30);
    const firstTokens = await Promise.all(first.map(studentToken));
    const enrollmentIds: string[] = [];
    for (const token of firstTokens) enrollmentIds.push((await call('POST', `/v1/sessions/${sessionId}/enrollments`, token, {})).json['id'] as string);

    const newcomers = await createStudents(server.db, 40);
    const newcomerTokens = await Promise.all(newcomers.map(studentToken));
    // Every other early student leaves (seated and waitlisted alike), by their own hand or the instructor's.
    const leaving = enrollmentIds.filter((_, index) => index % 2 === 0);
    const repeats = firstTokens.filter((_, index) => index % 2 === 1).slice(0, 5);
    const requests: { kind: 'cancel' | 'enroll' | 'repeat' | 'capacity'; send: () => ReturnType<typeof call> }[] = [
      ...leaving.map((id, index) => ({
        kind: 'cancel' as const,
        send: () => call('POST', `/v1/enrollments/${id}/cancel`, index % 3 === 0 ? world.tokens.instructor : firstTokens[index * 2]!),
      })),
      ...newcomerTokens.map((token) => ({ kind: 'enroll' as const, send: () => call('POST', `/v1/sessions/${sessionId}/enrollments`, token, {}) })),
      // Students already in ask again: each must be refused, never seated twice.
      ...repeats.map((token) => ({ kind: 'repeat' as const, send: () => call('POST', `/v1/sessions/${sessionId}/enrollments`, token, {}) })),
      // Whichever lands second may find more students seated than 14 allows: 200 or 409, never anything else.
      { kind: 'capacity' as const, send: () => call('PUT', `/v1/sessions/${sessionId}/capacity`, world.tokens.ap, { max_capacity: 14 }) },
      { kind: 'capacity' as const, send: () => call('PUT', `/v1/sessions/${sessionId}/capacity`, world.tokens.sa, { max_capacity: 18 }) },
    ];
    // Interleaved, so cancellations, enrollments and capacity changes overlap rather than arrive in blocks.
    const interleaved = requests.map((request, index) => ({ request, key: (index * 7919) % requests.length })).sort((a, b) => a.key - b.key);
    const answered = await Promise.all(interleaved.map(async ({ request }) => ({ kind: request.kind, ...(await request.send()) })));
    const statusesOf = (kind: string) => answered.filter((each) => each.kind === kind).map((each) => each.status);
    expect(statusesOf('cancel')).toEqual(leaving.map(() => 200));
    expect(statusesOf('enroll')).toEqual(newcomers.map(() => 201));
    expect(statusesOf('repeat')).toEqual(repeats.map(() => 409));
    for (const each of answered.filter((answer) => answer.kind === 'capacity')) {
      expect([200, 409]).toContain(each.status);
    }

    const state = await sessionState(server.db, sessionId);
    expect(state.capacity).toBe(18);
    expect(state.enrolled.length + state.waitlist.length).toBe(30 - leaving.length + 40);
    expect(state.counter).toBe(18);
    expectInvariants(state);
    const { rows: [cancelled] } = await server.db.query<{ n: number }>(
      "select count(*)::integer as n from session_enrollments where session_id = $1 and status = 'CANCELLED'", [sessionId],
    );
    expect(cancelled!.n).toBe(leaving.length);
  }, 120_000);

  it.runIf(onPostgres)('lets each of 20 trainees into one of two overlapping sessions when they enroll in both at once', async () => {
    const morning = await createSession(server.db, world, { capacity: 50 });
    // The same hours, taught by the other instructor: the two sessions overlap.
    const { rows: [overlapping] } = await server.db.query<{ id: string }>(
      `insert into training_sessions (title, course_id, instructor_id, location_id, provider_id, session_date, start_time, end_time, max_capacity, self_enrollment_allowed)
       select title, course_id, $2, location_id, provider_id, session_date, start_time, end_time, max_capacity, true from training_sessions where id = $1
       returning id`,
      [morning, world.otherInstructor.id],
    );
    const students = await createStudents(server.db, 20);
    const tokens = await Promise.all(students.map(studentToken));
    const pairs = await Promise.all(tokens.map((token) =>
      Promise.all([morning, overlapping!.id].map((sessionId) => call('POST', `/v1/sessions/${sessionId}/enrollments`, token, {})))));
    for (const pair of pairs) {
      expect(pair.map((answer) => answer.status).sort()).toEqual([201, 422]);
      expect(pair.find((answer) => answer.status === 422)!.json['error']).toMatchObject({ code: 'OVERLAPPING_ENROLLMENT' });
    }
    const { rows: [held] } = await server.db.query<{ n: number }>(
      "select count(*)::integer as n from session_enrollments where session_id = any($1::uuid[]) and status = 'ENROLLED'", [[morning, overlapping!.id]],
    );
    expect(held!.n).toBe(20);
  }, 120_000);

  /** Sessions of one seat offering freed seats for an hour, each with its seat just freed: the first in line holds the offer. */
  async function sessionsWithAnOffer(count: number) {
    const made = [];
    for (let n = 0; n < count; n++) {
      const sessionId = await createSession(server.db, world, { capacity: 1 });
      await call('PUT', `/v1/sessions/${sessionId}/waitlist-offers`, world.tokens.ap, { offer_hours: 1 });
      const students = await createStudents(server.db, 3);
      const tokens = await Promise.all(students.map(studentToken));
      const ids: string[] = [];
      for (const token of tokens) ids.push((await call('POST', `/v1/sessions/${sessionId}/enrollments`, token, {})).json['id'] as string);
      await call('POST', `/v1/enrollments/${ids[0]}/cancel`, world.tokens.sa);
      made.push({ sessionId, offered: { id: ids[1]!, token: tokens[1]!, student: students[1]! }, next: students[2]! });
    }
    return made;
  }

  const offerHolders = async (sessionId: string) => (await sessionState(server.db, sessionId)).offered;

  it.runIf(onPostgres)('settles each acceptance racing the expiry job one way: seated, or withdrawn with the seat offered on', async () => {
    const sessions = await sessionsWithAnOffer(10);
    // The job's clock is past every deadline; the server's clock (the acceptances') is before them.
    const [answers, expired] = await Promise.all([
      Promise.all(sessions.map(({ offered }) => call('POST', `/v1/enrollments/${offered.id}/offer/accept`, offered.token))),
      server.db.transaction((tx) => expireWaitlistOffers(tx, new Date(Date.now() + 2 * 3_600_000), 100)),
    ]);
    let seated = 0;
    for (const [index, { sessionId, offered, next }] of sessions.entries()) {
      const answer = answers[index]!;
      const state = await sessionState(server.db, sessionId);
      expect(state.counter).toBe(1);
      expect(state.positions).toEqual(range(state.waitlist.length));
      if (answer.status === 200) {
        seated += 1;
        expect(state).toMatchObject({ enrolled: [offered.student], offered: [], waitlist: [next] });
      } else {
        expect(answer.status).toBe(409);
        expect(answer.json['error']).toMatchObject({ code: 'NO_OPEN_OFFER' });
        expect(state).toMatchObject({ enrolled: [], offered: [next], waitlist: [next] });
      }
    }
    // Every offer the job did not find accepted, it withdrew (it may also meet offers of other tests' sessions: at least these).
    expect(expired).toBeGreaterThanOrEqual(sessions.length - seated);
  }, 120_000);

  it.runIf(onPostgres)('answers an acceptance and a decline of one offer sent together: one 200, one 409', async () => {
    const sessions = await sessionsWithAnOffer(5);
    for (const { sessionId, offered, next } of sessions) {
      const answers = await Promise.all(['accept', 'decline'].map((answer) => call('POST', `/v1/enrollments/${offered.id}/offer/${answer}`, offered.token)));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
      const accepted = answers[0]!.status === 200;
      expect(await offerHolders(sessionId)).toEqual(accepted ? [] : [next]);
      expect((await sessionState(server.db, sessionId)).counter).toBe(1);
    }
  }, 120_000);

  it.runIf(onPostgres)('keeps the invariants with two batches and single enrollments into one small session at once', async () => {
    const sessionId = await createSession(server.db, world, { capacity: 5 });
    const students = await createStudents(server.db, 40);
    // 5 students are in both batches, 5 more enroll themselves meanwhile.
    const firstBatch = students.slice(0, 20).map((id) => ({ student_id: id }));
    const secondBatch = students.slice(15, 35).map((id) => ({ student_id: id }));
    const selfEnrolling = await Promise.all(students.slice(35).map(studentToken));
    const [first, second, ...singles] = await Promise.all([
      call('POST', `/v1/sessions/${sessionId}/enrollments/batch`, world.tokens.ap, { students: firstBatch }),
      call('POST', `/v1/sessions/${sessionId}/enrollments/batch`, world.tokens.instructor, { students: secondBatch }),
      ...selfEnrolling.map((token) => call('POST', `/v1/sessions/${sessionId}/enrollments`, token, {})),
    ]);
    expect([first!.status, second!.status]).toEqual([200, 200]);
    expect(singles.map((single) => single.status)).toEqual(selfEnrolling.map(() => 201));
    const counts = [first!.json['counts'], second!.json['counts']] as { enrolled: number; waitlisted: number; already_enrolled: number }[];
    expect(counts.reduce((sum, each) => sum + each.already_enrolled, 0)).toBe(5);

    const state = await sessionState(server.db, sessionId);
    expectInvariants(state);
    expect(state.counter).toBe(5);
    expect(state.enrolled.length + state.waitlist.length).toBe(40);
    expect(state.positions).toEqual(range(35));
  }, 120_000);

  it.runIf(onPostgres)('makes one profile per new e-mail when batches into two sessions of one provider race', async () => {
    const [one, two] = [await createSession(server.db, world, { capacity: 50 }), await createSession(server.db, world, { capacity: 50 })];
    const emails = range(30).map((n) => `race-${n}-${Date.now()}@example.test`);
    const students = emails.map((email) => ({ email, first_name: 'Rae', last_name: 'Race' }));
    const responses = await Promise.all([one, two].map((sessionId) => call('POST', `/v1/sessions/${sessionId}/enrollments/batch`, world.tokens.ap, { students })));
    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    const created = responses.map((response) => (response.json['counts'] as { profiles_created: number; enrolled: number }));
    expect(created.map((each) => each.enrolled)).toEqual([30, 30]);
    expect(created[0]!.profiles_created + created[1]!.profiles_created).toBe(30);
    for (const email of emails) expect(await profilesWithEmail(server.db, email)).toHaveLength(1);
  }, 120_000);

  it.runIf(onPostgres)('makes one profile per e-mail without a provider: a batch waits for a writer holding the e-mail lock', async () => {
    const sessionId = await createSession(server.db, world, { capacity: 5 });
    await server.db.query('update training_sessions set provider_id = null where id = $1', [sessionId]);
    const address = `unaffiliated-${Date.now()}@example.test`;
    const cipher = createFieldCipher(testKeyring);
    const hmac = cipher.blindIndex(normaliseEmail(address));
    const madeFirst = await server.db.transaction(async (tx) => {
      // Another writer (a roster import, say) takes the lock of (no provider, e-mail) and makes the profile.
      await tx.query('select app_lock_student_email(null, $1)', [hmac]);
      // Without the lock the batch would not wait, and would make a second profile (the key's nulls are distinct).
      const { answer: pending } = await sentWhileLocked(() =>
        call('POST', `/v1/sessions/${sessionId}/enrollments/batch`, world.tokens.sa, { students: [{ email: address, first_name: 'Una', last_name: 'Free' }] }));
      const { rows: [profile] } = await tx.query<{ id: string }>(
        "insert into student_enrollment_profiles (first_name, last_name, email_ciphertext, email_hmac) values ('Una', 'Free', $1, $2) returning id",
        [cipher.encrypt(address), hmac],
      );
      return { id: profile!.id, pending };
    });
    const response = await madeFirst.pending();
    expect(response.status).toBe(200);
    expect((response.json['results'] as { outcome: string; student_profile_id: string; profile_created: boolean }[])[0])
      .toMatchObject({ outcome: 'ENROLLED', student_profile_id: madeFirst.id, profile_created: false });
    expect(await profilesWithEmail(server.db, address)).toHaveLength(1);
  }, 60_000);

  it.runIf(onPostgres)('records results only after the session lock: they wait for a cancellation and then find it cancelled', async () => {
    const sessionId = await createSession(server.db, world, { capacity: 5 });
    const [studentId] = await createStudents(server.db, 1);
    const { id, version } = (await call('POST', `/v1/sessions/${sessionId}/enrollments`, world.tokens.sa, { student_id: studentId })).json as { id: string; version: number };
    for (const send of [
      () => call('PATCH', `/v1/enrollments/${id}`, world.tokens.instructor, { attendance_status: 'ATTENDED', version }),
      () => call('PUT', `/v1/sessions/${sessionId}/results`, world.tokens.instructor, { results: [{ enrollment_id: id, version, attendance_status: 'ATTENDED' }] }),
    ]) {
      const sent = await server.db.transaction(async (tx) => {
        // The session is being cancelled (its row is locked); the enrollment row itself is free.
        await tx.query("update training_sessions set status = 'CANCELLED' where id = $1", [sessionId]);
        return sentWhileLocked(send);
      });
      expect(sent.waited).toBe(true);
      const answer = await sent.answer();
      expect(answer.status).toBe(409);
      expect(answer.json['error']).toMatchObject({ code: 'INVALID_TRANSITION' });
      await server.db.query("update training_sessions set status = 'SCHEDULED' where id = $1", [sessionId]);
    }
    const { rows: [row] } = await server.db.query<{ attendance_status: string }>('select attendance_status from session_enrollments where id = $1', [id]);
    expect(row!.attendance_status).toBe('REGISTERED');
  }, 60_000);

  it.runIf(onPostgres)('answers two concurrent changes of one enrollment with the same version: one 200, one 409', async () => {
    const sessionId = await createSession(server.db, world, { capacity: 5 });
    const [studentId] = await createStudents(server.db, 1);
    const enrolled = await call('POST', `/v1/sessions/${sessionId}/enrollments`, world.tokens.sa, { student_id: studentId });
    const { id, version } = enrolled.json as { id: string; version: number };
    for (let round = 0, current = version; round < 5; round++) {
      const answers = await Promise.all([
        call('PATCH', `/v1/enrollments/${id}`, world.tokens.instructor, { attendance_status: 'ATTENDED', version: current }),
        call('PATCH', `/v1/enrollments/${id}`, world.tokens.ap, { completion_status: 'COMPLETED', version: current }),
      ]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
      const loser = answers.find((answer) => answer.status === 409)!;
      const winner = answers.find((answer) => answer.status === 200)!;
      expect(loser.json['error']).toMatchObject({ code: 'VERSION_CONFLICT', details: { current: { version: current + 1 } } });
      expect(winner.json['version']).toBe(current + 1);
      current = winner.json['version'] as number;
      if (round < 4) {
        const reset = await call('PATCH', `/v1/enrollments/${id}`, world.tokens.sa, { attendance_status: 'REGISTERED', completion_status: 'IN_PROGRESS', version: current });
        current = reset.json['version'] as number;
      }
    }
  }, 120_000);
});
