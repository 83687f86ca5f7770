import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliTarget, createCliTarget, runCli } from '../../../test/cli.js';
import { createEmptyDatabase } from '../../../test/database.js';
import { testEngine, testKeysEnv } from '../../../test/engine.js';
import type { Db, Tx } from '../db/database.js';
import { embeddedDatabaseDir } from '../db/open-database.js';

// Real `unitrain doctor` processes on a database filled by a real `unitrain seed`: the embedded data
// directory, or a migrated PostgreSQL database. The rules are broken the way a bug or a hand edit
// would: rows written directly as the database owner, with nothing disabled.
let target: CliTarget;
let env: Record<string, string>;

beforeAll(async () => {
  target = await createCliTarget('doctor');
  env = target.env;
  const seeded = await runCli(['seed', '--size', 'small', '--seed', '3', '--today', '2026-11-23'], env);
  if (seeded.code !== 0) throw new Error(`seed failed: ${seeded.stderr}`);
});

afterAll(() => target.remove());

const asOwner = <T>(fn: (db: Db) => Promise<T>): Promise<T> => target.withDatabase(fn);

interface ExpectedViolation {
  check: string;
  table: string;
  row_id: string;
  expected: string;
  found: string;
}

async function one<R>(tx: Tx, sql: string, params: unknown[] = []): Promise<R> {
  const { rows } = await tx.query<R>(sql, params);
  if (rows.length === 0) throw new Error(`the seed has no row for: ${sql}`);
  return rows[0] as R;
}

/**
 * Breaks every rule the doctor checks, each on rows no other break touches (`used` sessions and
 * rosters), and returns the violations it must name. Two rules cannot be broken without dropping a
 * CHECK constraint (a counter above capacity, a position on a row that is not waitlisted): they are not.
 */
async function breakEveryRule(tx: Tx): Promise<ExpectedViolation[]> {
  const sessions: string[] = [];
  const rosters: string[] = [];
  const expected: ExpectedViolation[] = [];
  const unusedSession = 's.id <> ALL ($1::uuid[])';

  const counted = await one<{ id: string; n: number }>(tx,
    `SELECT s.id, s.current_enrollment AS n FROM training_sessions s
      WHERE s.status = 'COMPLETED' AND s.current_enrollment > 0 AND ${unusedSession} ORDER BY s.id LIMIT 1`, [sessions]);
  await tx.query('UPDATE training_sessions SET current_enrollment = current_enrollment - 1 WHERE id = $1', [counted.id]);
  sessions.push(counted.id);
  expected.push({ check: 'enrollment-counter', table: 'training_sessions', row_id: counted.id, expected: `${counted.n}`, found: `${counted.n - 1}` });

  const full = await one<{ id: string; capacity: number; enrollment: string }>(tx,
    `SELECT s.id, s.max_capacity AS capacity, e.id AS enrollment FROM training_sessions s
       JOIN session_enrollments e ON e.session_id = s.id AND e.status = 'CANCELLED'
      WHERE s.current_enrollment = s.max_capacity AND ${unusedSession} ORDER BY s.id, e.id LIMIT 1`, [sessions]);
  await tx.query(`UPDATE session_enrollments SET status = 'ENROLLED' WHERE id = $1`, [full.enrollment]);
  sessions.push(full.id);
  expected.push(
    { check: 'enrollment-counter', table: 'training_sessions', row_id: full.id, expected: `${full.capacity + 1}`, found: `${full.capacity}` },
    { check: 'capacity', table: 'training_sessions', row_id: full.id, expected: `at most ${full.capacity}`, found: `${full.capacity + 1} ENROLLED enrollments, current_enrollment ${full.capacity}` },
  );

  const last = await one<{ id: string; session_id: string; position: number }>(tx,
    `SELECT e.id, e.session_id, e.waitlist_position AS position FROM session_enrollments e
      WHERE e.status = 'WAITLISTED' AND e.waitlist_position >= 2 AND e.session_id <> ALL ($1::uuid[])
      ORDER BY e.session_id, e.waitlist_position DESC LIMIT 1`, [sessions]);
  await tx.query('UPDATE session_enrollments SET waitlist_position = waitlist_position + 1 WHERE id = $1', [last.id]);
  sessions.push(last.session_id);
  expected.push({ check: 'waitlist-positions', table: 'session_enrollments', row_id: last.id, expected: `${last.position}`, found: `${last.position + 1}` });

  const inCancelled = await one<{ id: string; session_id: string }>(tx,
    `SELECT e.id, e.session_id FROM session_enrollments e JOIN training_sessions s ON s.id = e.session_id
      WHERE s.status = 'CANCELLED' AND e.status = 'CANCELLED' AND ${unusedSession} ORDER BY e.id LIMIT 1`, [sessions]);
  await tx.query(`UPDATE session_enrollments SET status = 'WAITLISTED', waitlist_position = 1 WHERE id = $1`, [inCancelled.id]);
  sessions.push(inCancelled.session_id);
  expected.push({ check: 'cancelled-session-enrollments', table: 'session_enrollments', row_id: inCancelled.id, expected: 'CANCELLED', found: 'WAITLISTED' });

  const roomy = await one<{ id: string; taken: number; capacity: number; enrollment: string }>(tx,
    `SELECT s.id, s.current_enrollment AS taken, s.max_capacity AS capacity, e.id AS enrollment FROM training_sessions s
       JOIN session_enrollments e ON e.session_id = s.id AND e.status = 'CANCELLED'
      WHERE s.status <> 'CANCELLED' AND s.current_enrollment < s.max_capacity AND ${unusedSession}
        AND NOT EXISTS (SELECT 1 FROM session_enrollments w WHERE w.session_id = s.id AND w.status = 'WAITLISTED')
      ORDER BY s.id, e.id LIMIT 1`, [sessions]);
  await tx.query(`UPDATE session_enrollments SET status = 'WAITLISTED', waitlist_position = 1 WHERE id = $1`, [roomy.enrollment]);
  sessions.push(roomy.id);
  expected.push({
    check: 'waitlist-while-seats-free', table: 'training_sessions', row_id: roomy.id,
    expected: `no WAITLISTED enrollments while ${roomy.taken} of ${roomy.capacity} seats are taken`, found: '1 WAITLISTED',
  });

  const certified = await one<{ id: string; n: number }>(tx, `SELECT id, certificate_count AS n FROM rosters WHERE roster_type = 'CERTIFICATE' ORDER BY id LIMIT 1`);
  await tx.query('UPDATE rosters SET certificate_count = certificate_count + 1 WHERE id = $1', [certified.id]);
  rosters.push(certified.id);
  expected.push({ check: 'roster-certificate-count', table: 'rosters', row_id: certified.id, expected: `${certified.n}`, found: `${certified.n + 1}` });

  // A provider that serves no location, given to a session, a schedule and a roster.
  const nowhere = await one<{ id: string }>(tx, `INSERT INTO authorized_providers (name) VALUES ('Provider of nowhere') RETURNING id`);
  const placedSession = await one<{ table: string; id: string; location_id: string }>(tx,
    `SELECT 'training_sessions' AS table, s.id, s.location_id FROM training_sessions s WHERE ${unusedSession} ORDER BY s.id LIMIT 1`, [sessions]);
  const placedRoster = await one<{ table: string; id: string; location_id: string }>(tx,
    `SELECT 'rosters' AS table, id, location_id FROM rosters WHERE id <> ALL ($1::uuid[]) ORDER BY id LIMIT 1`, [rosters]);
  const placedSchedule = await one<{ table: string; id: string; location_id: string }>(tx,
    `SELECT 'course_schedules' AS table, id, location_id FROM course_schedules ORDER BY id LIMIT 1`);
  for (const row of [placedSession, placedRoster, placedSchedule]) {
    await tx.query(`UPDATE ${row.table} SET provider_id = $2 WHERE id = $1`, [row.id, nowhere.id]);
    expected.push({ check: 'provider-serves-location', table: row.table, row_id: row.id, expected: `a location of provider ${nowhere.id}`, found: `location ${row.location_id}` });
  }
  sessions.push(placedSession.id);
  rosters.push(placedRoster.id);

  // A session of a schedule, with no roster or certificate that would also disagree with its new course.
  const scheduled = await one<{ id: string; course_id: string; other_course: string }>(tx,
    `SELECT s.id, s.course_id, (SELECT c.id FROM courses c WHERE c.id <> s.course_id ORDER BY c.id LIMIT 1) AS other_course
       FROM training_sessions s
      WHERE s.schedule_id IS NOT NULL AND s.status = 'SCHEDULED' AND ${unusedSession}
        AND NOT EXISTS (SELECT 1 FROM rosters r WHERE r.session_id = s.id)
        AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.session_id = s.id)
      ORDER BY s.id LIMIT 1`, [sessions]);
  await tx.query('UPDATE training_sessions SET course_id = $2 WHERE id = $1', [scheduled.id, scheduled.other_course]);
  sessions.push(scheduled.id);
  expected.push({ check: 'schedule-course', table: 'training_sessions', row_id: scheduled.id, expected: `course ${scheduled.course_id}`, found: `course ${scheduled.other_course}` });

  // A training roster: it has no certificates that would also disagree with its new course.
  const training = await one<{ id: string; course_id: string; other_course: string }>(tx,
    `SELECT r.id, r.course_id, (SELECT c.id FROM courses c WHERE c.id <> r.course_id ORDER BY c.id LIMIT 1) AS other_course
       FROM rosters r WHERE r.roster_type = 'TRAINING' AND r.session_id IS NOT NULL AND r.id <> ALL ($1::uuid[]) ORDER BY r.id LIMIT 1`, [rosters]);
  await tx.query('UPDATE rosters SET course_id = $2 WHERE id = $1', [training.id, training.other_course]);
  expected.push({ check: 'roster-session', table: 'rosters', row_id: training.id, expected: `course_id ${training.course_id}`, found: `course_id ${training.other_course}` });

  const trainee = await one<{ id: string }>(tx, `SELECT id FROM users WHERE role = 'IT' ORDER BY id LIMIT 1`);
  const taught = [
    await one<{ table: string; id: string }>(tx, `SELECT 'training_sessions' AS table, s.id FROM training_sessions s WHERE ${unusedSession} ORDER BY s.id LIMIT 1`, [sessions]),
    await one<{ table: string; id: string }>(tx, `SELECT 'course_schedules' AS table, id FROM course_schedules ORDER BY id DESC LIMIT 1`),
  ];
  for (const row of taught) {
    await tx.query(`UPDATE ${row.table} SET instructor_id = $2 WHERE id = $1`, [row.id, trainee.id]);
    expected.push({ check: 'instructor-role', table: row.table, row_id: row.id, expected: 'role IC, IP, SA or AD', found: 'role IT' });
  }

  const certificate = await one<{ id: string; session_id: string; other_session: string }>(tx,
    `SELECT c.id, c.session_id, (SELECT s.id FROM training_sessions s WHERE s.id <> c.session_id ORDER BY s.id LIMIT 1) AS other_session
       FROM certificates c WHERE c.enrollment_id IS NOT NULL ORDER BY c.id LIMIT 1`);
  await tx.query('UPDATE certificates SET session_id = $2 WHERE id = $1', [certificate.id, certificate.other_session]);
  expected.push({ check: 'certificate-source', table: 'certificates', row_id: certificate.id, expected: `session_id ${certificate.session_id}`, found: `session_id ${certificate.other_session}` });

  const stale = await one<{ id: string }>(tx,
    `UPDATE analytics_refreshes SET refreshed_at = now() - interval '3 days' WHERE view_name = 'instructor_figures_by_month' RETURNING id`);
  expected.push({ check: 'analytics-freshness', table: 'analytics_refreshes', row_id: stale.id, expected: 'refreshed within 24 hours', found: 'refreshed 72 hours ago' });
  // A published revocation bit set for a certificate that is not revoked (migration 0034's lists).
  const published = await one<{ id: string }>(tx,
    `SELECT c.id FROM certificates c WHERE c.status = 'ACTIVE' ORDER BY c.id LIMIT 1`);
  await tx.query(
    `SELECT app_set_status_bit('revocation', e.status_list_index, true) FROM certificate_status_entries e WHERE e.certificate_id = $1`, [published.id]);
  expected.push({ check: 'certificate-status-list', table: 'certificates', row_id: published.id, expected: 'false', found: 'true' });

  const unexpired = await one<{ id: string; today: string; expiry: string | null }>(tx,
    `SELECT c.id, current_date::text AS today, c.expiry_date::text AS expiry FROM certificates c
      WHERE c.status = 'ACTIVE' AND (c.expiry_date IS NULL OR c.expiry_date >= current_date) ORDER BY c.id DESC LIMIT 1`);
  await tx.query(`UPDATE certificates SET status = 'EXPIRED' WHERE id = $1`, [unexpired.id]);
  expected.push({
    check: 'certificate-status', table: 'certificates', row_id: unexpired.id,
    expected: `an expiry date before ${unexpired.today}`, found: unexpired.expiry === null ? 'no expiry date' : `expiry date ${unexpired.expiry}`,
  });

  // What a delete racing a flush of counts leaves (decision 0105): a count of a certificate that is gone.
  const orphan = await one<{ id: string }>(tx,
    `INSERT INTO certificate_verifications (certificate_id, verification_count, last_verified_at) VALUES (gen_random_uuid(), 3, now()) RETURNING certificate_id AS id`);
  expected.push({ check: 'certificate-verification-count', table: 'certificate_verifications', row_id: orphan.id, expected: `certificate ${orphan.id}`, found: 'no certificate' });

  const profile = await one<{ id: string }>(tx, `SELECT id FROM profiles ORDER BY id LIMIT 1`);
  await tx.query(`UPDATE profiles SET compliance_status = 'COMPLIANT', compliance_score = 40 WHERE id = $1`, [profile.id]);
  expected.push({ check: 'compliance-standing', table: 'profiles', row_id: profile.id, expected: 'score 100.00', found: 'score 40.00' });

  const record = await one<{ id: string; user_id: string; enrollment: string; student_id: string }>(tx,
    `SELECT c.id, c.user_id, e.id AS enrollment, e.student_id FROM compliance_records c
       JOIN LATERAL (SELECT id, student_id FROM session_enrollments WHERE student_id <> c.user_id ORDER BY id LIMIT 1) e ON true
      ORDER BY c.id LIMIT 1`);
  await tx.query('UPDATE compliance_records SET source_enrollment_id = $2 WHERE id = $1', [record.id, record.enrollment]);
  expected.push({ check: 'compliance-record-source', table: 'compliance_records', row_id: record.id, expected: `user ${record.student_id}`, found: `user ${record.user_id}` });

  // A course that asks a certificate nobody holds, given to one upcoming one-off session (migration 0041's rule).
  const ineligible = await one<{ id: string }>(tx,
    `SELECT s.id FROM training_sessions s
      WHERE s.schedule_id IS NULL AND s.status = 'SCHEDULED' AND lower(s.scheduled_during) > now() AND ${unusedSession}
        AND NOT EXISTS (SELECT 1 FROM rosters r WHERE r.session_id = s.id)
        AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.session_id = s.id)
      ORDER BY s.id LIMIT 1`, [sessions]);
  const demanding = await one<{ id: string }>(tx, `INSERT INTO courses (code, title, duration_minutes) VALUES ('DOCTOR-CERT', 'Doctor check', 60) RETURNING id`);
  await tx.query('INSERT INTO course_instructor_requirements (course_id, certificate_course_ids) VALUES ($1, ARRAY[$1::uuid])', [demanding.id]);
  await tx.query('UPDATE training_sessions SET course_id = $2 WHERE id = $1', [ineligible.id, demanding.id]);
  sessions.push(ineligible.id);
  expected.push({ check: 'instructor-eligibility', table: 'training_sessions', row_id: ineligible.id, expected: 'eligible, or an override with a reason', found: 'DOCTOR-CERT missing' });

  const lost = await passEventWithoutJobs(tx);
  expected.push({ check: 'relayed-event-jobs', table: 'domain_events', row_id: lost, expected: 'jobs of notifications.session-cancelled', found: 'no job' });
  return expected;
}

/**
 * What the relay before its fix could leave (decision 0016): an event behind the relay position with no
 * job, made directly (the event, then the position moved onto it). One more event in the same
 * transaction, before it and older than the job retention, is not judged: its jobs could have been pruned.
 */
async function passEventWithoutJobs(tx: Tx): Promise<string> {
  await tx.query(
    `INSERT INTO domain_events (aggregate_type, aggregate_id, event_type, payload, occurred_at)
     VALUES ('session', gen_random_uuid(), 'session.cancelled', '{"reason": null, "affected": []}', now() - interval '15 days')`);
  const lost = await one<{ seq: string; txid: string }>(tx,
    `INSERT INTO domain_events (aggregate_type, aggregate_id, event_type, payload)
     VALUES ('session', gen_random_uuid(), 'session.cancelled', '{"reason": null, "affected": []}') RETURNING seq::text AS seq, txid::text AS txid`);
  await tx.query(`UPDATE jobs SET payload = jsonb_build_object('txid', $1::text, 'seq', $2::bigint) WHERE idempotency_key = 'relay.position'`, [lost.txid, lost.seq]);
  return lost.seq;
}

const byRow = (a: ExpectedViolation, b: ExpectedViolation) => `${a.check} ${a.table} ${a.row_id}`.localeCompare(`${b.check} ${b.table} ${b.row_id}`);

describe('unitrain doctor', () => {
  it('finds no violation in seeded data, and says how much it checked', async () => {
    const text = await runCli(['doctor'], env);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout.trim()).toMatch(
      /^no violations: 19 checks over 400 training_sessions, \d,\d{3} session_enrollments, \d+ course_schedules, \d+ rosters, [\d,]+ certificates \([\d,]+ ACTIVE(, [\d,]+ [A-Z]+)*\) in (\d+ ms|\d+\.\d s)$/,
    );

    const json = await runCli(['doctor', '--json'], env);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as {
      ok: boolean; violations: unknown[]; checks: { violations: number }[]; checked_rows: Record<string, number>; certificate_statuses: Record<string, number>;
    };
    expect(report.ok).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.checks).toHaveLength(19);
    expect(report.checked_rows['training_sessions']).toBe(400);
    const statuses = Object.values(report.certificate_statuses);
    expect(statuses.reduce((sum, count) => sum + count, 0)).toBe(report.checked_rows['certificates']);
  });

  it('names exactly the rows that break each rule, with what it expected and found', async () => {
    const expected = (await asOwner((db) => db.transaction(breakEveryRule))).sort(byRow);

    const json = await runCli(['doctor', '--json'], env);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; violations: (ExpectedViolation & { problem: string })[] };
    expect(report.ok).toBe(false);
    expect(report.violations.map(({ problem: _problem, ...v }) => v).sort(byRow)).toEqual(expected);
    expect(report.violations.every((v) => v.problem.length > 0)).toBe(true);

    const text = await runCli(['doctor'], env);
    expect(text.code).toBe(1);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(expected.length);
    for (const v of expected) {
      const matching = lines.filter((line) => line.startsWith(`${v.check}: ${v.table} ${v.row_id}: `) && line.endsWith(`(expected ${v.expected}, found ${v.found})`));
      expect({ violation: v, lines: matching.length }).toEqual({ violation: v, lines: 1 });
    }
    expect(text.stderr.trim()).toMatch(new RegExp(`^error: ${expected.length} violation\\(s\\) found by 19 of 19 checks \\(enrollment-counter, capacity, .*\\) over 400 training_sessions`));
  });

  it('with --repair, queues the jobs of an event the relay passed without them, once however often it runs, without the keys', async () => {
    const lost = await asOwner((db) => db.transaction(passEventWithoutJobs));
    const jobsOfLost = () => asOwner(async (db) => (await db.query<{ handler: string }>('SELECT handler FROM jobs WHERE event_seq = $1', [lost])).rows);
    // The handlers' subscriptions are known without building the handlers: none of the keys the workers
    // need (on PostgreSQL they come from the environment; the embedded database's are in its DATA_DIR).
    const withoutKeys = Object.fromEntries(Object.entries(env).filter(([name]) => !Object.hasOwn(testKeysEnv, name)));

    const repaired = await runCli(['doctor', '--repair', '--json'], withoutKeys);
    const report = JSON.parse(repaired.stdout) as { repaired: { events: number; jobs: number }; checks: { name: string; violations: number }[] };
    // The event of the test before, when it ran, is repaired too.
    expect(report.repaired.jobs).toBe(report.repaired.events);
    expect(report.repaired.events).toBeGreaterThanOrEqual(1);
    expect(report.checks).toContainEqual(expect.objectContaining({ name: 'relayed-event-jobs', violations: 0 }));
    expect(await jobsOfLost()).toEqual([{ handler: 'notifications.session-cancelled' }]);

    const again = await runCli(['doctor', '--repair'], withoutKeys);
    expect(again.stdout.split('\n')[0]).toBe('repair: 0 event(s) the relay passed without jobs; queued 0 job(s)');
    expect(await jobsOfLost()).toEqual([{ handler: 'notifications.session-cancelled' }]);
  });

  it('refuses a missing embedded database without creating one', async () => {
    const missing = join(target.workDir, 'nothing-here');
    const result = await runCli(['doctor'], { DATA_DIR: missing });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`error: there is no embedded database in ${embeddedDatabaseDir(missing)}: start the server or seed it first`);
  });

  it.runIf(testEngine === 'postgres')('refuses a server database with pending migrations', async () => {
    const empty = await createEmptyDatabase();
    try {
      const result = await runCli(['doctor'], { ...env, DATABASE_URL: empty.url as string });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: the database has \d+ pending migration\(s\) \(0001_foundation, .*\): run `npx unitrain migrate up` first/);
    } finally {
      await empty.drop();
    }
  });
});
