import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, testKeyring } from '../../../test/auth.js';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { createEnrollmentWorld, createSession, createStudents, type EnrollmentWorld } from '../../../test/world.js';
import { testEngine } from '../../../test/engine.js';
import { useTestApp } from '../../../test/test-app.js';
import type { Db, Tx } from '../../platform/db/database.js';
import { createFieldCipher } from '../../platform/security/field-cipher.js';
import { createDispatcher, defaultDispatcherSettings, type Dispatcher } from '../../platform/jobs/index.js';
import { seedDatabase } from '../../seed/index.js';
import { complianceOnCompletion } from './compliance.handler.js';
import { recomputeComplianceScores } from './compliance.repository.js';
import { testLogger } from '../../../test/logger.js';

// Real database and application: enrollments are completed through the API, the real dispatcher runs
// the real handler. The requirements below are the only ones in this file's database, so each
// trainee's score can be worked out by hand (decision 0021: weight held / weight owed).
const context = useTestApp();
let world: EnrollmentWorld;
let dispatcher: Dispatcher;
const requirement: Record<string, string> = {};

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
  dispatcher = createDispatcher(context.db, [complianceOnCompletion], testLogger, {
    ...defaultDispatcherSettings, pollMs: 10,
  });
  const { rows } = await context.db.query<{ code: string; id: string }>(
    `insert into compliance_requirements (code, name, applies_to_roles, tier, validity_months, weight, course_id, status)
     values ('FIRST-AID', 'First aid (the world''s course)', '{IT,IN}', 'basic', 24, 3, $1, 'ACTIVE'),
            ('CONDUCT', 'Code of conduct', '{IT,IN}', 'basic', null, 1, null, 'ACTIVE'),
            ('BACKGROUND', 'Background check', '{IT,IN}', 'basic', 36, 2, null, 'ACTIVE'),
            ('OBSERVATION', 'Observed teaching (robust tier only)', '{IT}', 'robust', 12, 2, null, 'ACTIVE'),
            ('UPDATE', 'Instructor update (instructors only)', '{IC,IP}', 'basic', 24, 5, $1, 'ACTIVE'),
            ('OLD-SCHEME', 'Retired scheme', '{IT,IN}', 'basic', 12, 4, null, 'RETIRED')
     returning code, id`,
    [world.courseId],
  );
  for (const row of rows) requirement[row.code] = row.id;
});

interface Standing {
  compliance_score: string;
  compliance_status: string;
  version: number;
  updated_at: Date;
  audit_rows: number;
  change_rows: number;
}

/** The profile's score and status, with what a write to it would have left behind. */
async function standingOf(db: Db, userId: string): Promise<Standing> {
  const { rows: [row] } = await db.query<Standing>(
    `select p.compliance_score::text as compliance_score, p.compliance_status, p.version, p.updated_at,
            (select count(*)::int from audit_log a where a.table_name = 'profiles' and a.row_id = p.id) as audit_rows,
            (select count(*)::int from change_log c where c.table_name = 'profiles' and c.row_id = p.id) as change_rows
       from profiles p where p.user_id = $1`,
    [userId],
  );
  return row!;
}

async function createTrainee(tier: 'basic' | 'robust' = 'basic'): Promise<string> {
  const { id } = await createUser(context.db, testKeyring, { role: 'IT' });
  if (tier === 'robust') await context.db.query("update profiles set compliance_tier = 'robust' where user_id = $1", [id]);
  return id;
}

async function insertRecord(userId: string, code: string, status: string, completedAt: string | null, expiresAt: string | null): Promise<void> {
  await context.db.query(
    'insert into compliance_records (user_id, requirement_id, status, completed_at, expires_at) values ($1, $2, $3, $4, $5)',
    [userId, requirement[code], status, completedAt, expiresAt],
  );
}

/** Enrolls the student in a session of the world's course, completes the enrollment through the API and runs the jobs; returns the enrollment id. */
async function completeCourse(studentId: string): Promise<string> {
  const sessionId = await createSession(context.db, world, { capacity: 1, selfEnrollment: false });
  const enrolled = await context.app.inject({
    method: 'POST', url: `/v1/sessions/${sessionId}/enrollments/batch`, headers: bearer(world.tokens.sa),
    payload: { students: [{ student_id: studentId }] },
  });
  expect(enrolled.statusCode, enrolled.body).toBeLessThan(300);
  const { rows: [enrollment] } = await context.db.query<{ id: string; version: number }>(
    'select id, version from session_enrollments where session_id = $1', [sessionId],
  );
  const completed = await context.app.inject({
    method: 'PATCH', url: `/v1/enrollments/${enrollment!.id}`, headers: bearer(world.tokens.instructor),
    payload: { attendance_status: 'ATTENDED', completion_status: 'COMPLETED', version: enrollment!.version },
  });
  expect(completed.statusCode, completed.body).toBe(200);
  expect(await dispatcher.drain()).toBe(1);
  return enrollment!.id;
}

/** Runs the compliance job of this enrollment's completion once more, as a redelivery would. */
async function runJobAgain(enrollmentId: string): Promise<void> {
  const { rowCount } = await context.db.query(
    `update jobs set status = 'PENDING', attempts = 0 where handler = $1
        and event_seq in (select seq from domain_events where event_type = 'enrollment.completed' and aggregate_id = $2)`,
    [complianceOnCompletion.name, enrollmentId],
  );
  expect(rowCount).toBe(1);
  expect(await dispatcher.drain()).toBe(1);
}

describe('enrollment.completed → compliance score', () => {
  it('raises the score to the share of the owed weight held (first aid 3 + waived conduct 1 of 6 = 66.67, AT_RISK), and a rerun writes nothing', async () => {
    const student = await createTrainee();
    await insertRecord(student, 'CONDUCT', 'WAIVED', null, null);
    expect(await standingOf(context.db, student)).toMatchObject({ compliance_score: '0.00', compliance_status: 'PENDING' });

    const enrollmentId = await completeCourse(student);
    const after = await standingOf(context.db, student);
    // Owed: first aid 3, conduct 1, background 2; not the robust, instructors' or retired ones.
    expect(after).toMatchObject({ compliance_score: '66.67', compliance_status: 'AT_RISK' });

    await runJobAgain(enrollmentId);
    expect(await standingOf(context.db, student)).toEqual(after);
  });

  it('counts the robust requirements for a robust-tier trainee (4 of 8 = 50.00, AT_RISK: 50 is not under half)', async () => {
    const student = await createTrainee('robust');
    await insertRecord(student, 'CONDUCT', 'MET', '2024-01-10T09:00:00Z', null);
    await completeCourse(student);
    expect(await standingOf(context.db, student)).toMatchObject({ compliance_score: '50.00', compliance_status: 'AT_RISK' });
  });

  it('does not count a record whose expiry has passed (first aid 3 + conduct 1 of 6 = 66.67), and makes its holder NON_COMPLIANT', async () => {
    const expired = await createTrainee();
    // Still MET by status (no expiry sweep has run): the date decides.
    await insertRecord(expired, 'BACKGROUND', 'MET', '2020-03-01T09:00:00Z', '2023-03-01T09:00:00Z');
    await insertRecord(expired, 'CONDUCT', 'WAIVED', null, null);
    await completeCourse(expired);
    // Counted, the background check would make it 6 of 6, as for the trainee whose check is current.
    expect(await standingOf(context.db, expired)).toMatchObject({ compliance_score: '66.67', compliance_status: 'NON_COMPLIANT' });

    const current = await createTrainee();
    await insertRecord(current, 'BACKGROUND', 'MET', '2024-03-01T09:00:00Z', '2099-03-01T09:00:00Z');
    await insertRecord(current, 'CONDUCT', 'WAIVED', null, null);
    await completeCourse(current);
    expect(await standingOf(context.db, current)).toMatchObject({ compliance_score: '100.00', compliance_status: 'COMPLIANT' });
  });

  it('leaves a trainee PENDING at 0 when nothing is held yet, and NON_COMPLIANT at 0 when it has lapsed', async () => {
    const fresh = await createTrainee();
    const lapsed = await createTrainee();
    await insertRecord(lapsed, 'BACKGROUND', 'EXPIRED', '2020-03-01T09:00:00Z', '2023-03-01T09:00:00Z');
    await context.db.transaction((tx) => recomputeComplianceScores(tx, [fresh, lapsed]));
    expect(await standingOf(context.db, fresh)).toMatchObject({ compliance_score: '0.00', compliance_status: 'PENDING', version: 1 });
    expect(await standingOf(context.db, lapsed)).toMatchObject({ compliance_score: '0.00', compliance_status: 'NON_COMPLIANT' });
  });

  it('makes a person who owes nothing COMPLIANT at 100, skips an account without a profile, and changes nothing the second time', async () => {
    const { id: provider } = await createUser(context.db, testKeyring, { role: 'AP', providerId: world.providerId });
    const [withoutProfile] = await createStudents(context.db, 1);
    expect(await context.db.transaction((tx) => recomputeComplianceScores(tx, [provider, withoutProfile!]))).toBe(1);
    const first = await standingOf(context.db, provider);
    expect(first).toMatchObject({ compliance_score: '100.00', compliance_status: 'COMPLIANT', version: 2 });
    expect(await context.db.transaction((tx) => recomputeComplianceScores(tx, [provider, withoutProfile!]))).toBe(0);
    expect(await standingOf(context.db, provider)).toEqual(first);
  });

  // Two transactions (two workers) recording different requirements of one person: the second
  // recompute must see the first one's record, which needs two connections.
  it.runIf(testEngine === 'postgres')('counts both records when two transactions record requirements of one person at once', async () => {
    const student = await createTrainee();
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstRecomputed!: () => void;
    const firstHoldsProfile = new Promise<void>((resolve) => (firstRecomputed = resolve));
    const record = (code: string, status: string) => async (tx: Tx) => {
      await tx.query(
        `insert into compliance_records (user_id, requirement_id, status, completed_at) values ($1, $2, $3, now())`,
        [student, requirement[code], status],
      );
      return recomputeComplianceScores(tx, [student]);
    };
    const first = context.db.transaction(async (tx) => {
      await record('CONDUCT', 'MET')(tx);
      firstRecomputed();
      await firstMayCommit;
    });
    await firstHoldsProfile;
    const second = context.db.transaction(record('BACKGROUND', 'WAIVED'));
    while ((await lockWaiters(context.db)) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    releaseFirst();
    await Promise.all([first, second]);
    // conduct 1 + background 2 of 6, not the 2 of 6 (33.33) the second would compute without the first.
    expect(await standingOf(context.db, student)).toMatchObject({ compliance_score: '50.00', compliance_status: 'AT_RISK' });
  });
});

/** Connections of this test's database waiting for a lock (other test databases share the server). */
async function lockWaiters(db: Db): Promise<number> {
  const { rows: [waiting] } = await db.query<{ n: number }>(
    "select count(*)::integer as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
  );
  return waiting!.n;
}

// The seed writes scores by its own copy of the rule (it loads rows, it runs no jobs); both must agree.
describe('the seeded demo data', () => {
  const seedDay = '2025-06-15';
  let seeded: TestDatabase;
  beforeAll(async () => {
    seeded = await createMigratedDatabase();
    const cipher = createFieldCipher(testKeyring);
    await seedDatabase(seeded.db, cipher, { size: 'small', seed: 7, today: seedDay });
  });
  afterAll(async () => {
    await seeded?.drop();
  });

  it('holds on every profile the score and status the rule gives on the seed day', async () => {
    const { rows } = await seeded.db.query<{ status: string; profiles: number; disagreeing: number }>(
      `select s.status, count(*)::int as profiles,
              count(*) filter (where (p.compliance_score, p.compliance_status) is distinct from (s.score, s.status))::int as disagreeing
         from profiles p join compliance_standings(array(select user_id from profiles), $1::timestamptz) s on s.user_id = p.user_id
        group by s.status order by s.status`,
      [`${seedDay}T00:00:00Z`],
    );
    expect(rows.map((row) => row.status)).toEqual(['AT_RISK', 'COMPLIANT', 'NON_COMPLIANT']);
    expect(rows.map((row) => row.disagreeing)).toEqual([0, 0, 0]);
  });
});
