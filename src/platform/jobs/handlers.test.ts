import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, testKeyring } from '../../../test/auth.js';
import { createEnrollmentWorld, createSession, createStudents, createStudentsWithEmails, type EnrollmentWorld } from '../../../test/world.js';
import { useTestApp } from '../../../test/test-app.js';
import { createJobHandlers } from '../../job-handlers.js';
import { createFieldCipher } from '../security/field-cipher.js';
import type { Dispatcher } from './dispatcher.js';
import { createWorker } from './worker.js';
import { testLogger } from '../../../test/logger.js';

// The real workflows through the API append the events; the real worker (every handler) relays and
// runs them on the same database. A job run twice must leave its effect once.
const context = useTestApp();
let world: EnrollmentWorld;
let outboxDir: string;
let worker: Dispatcher;

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
  outboxDir = await mkdtemp(join(tmpdir(), 'unitrain-outbox-'));
  const settings = { worker: { inProcess: false, pollMs: 10, leaseMs: 60_000 }, mail: { from: 'Unitrain <no-reply@unitrain.test>', outboxDir, smtpUrl: null } };
  worker = createWorker(context.db, settings, createJobHandlers({ cipher: createFieldCipher(testKeyring), mail: settings.mail, logger: testLogger }), testLogger);
});
afterAll(async () => {
  await rm(outboxDir, { recursive: true, force: true });
});

async function enroll(sessionId: string, students: string[]): Promise<void> {
  const response = await context.app.inject({
    method: 'POST', url: `/v1/sessions/${sessionId}/enrollments/batch`, headers: bearer(world.tokens.sa),
    payload: { students: students.map((id) => ({ student_id: id })) },
  });
  expect(response.statusCode, response.body).toBeLessThan(300);
}

/** Runs the job made from this event for this handler once more, as a redelivery would. */
async function runAgain(handler: string, eventType: string, aggregateId: string): Promise<void> {
  // The relay takes an event once every older transaction has ended, and on a shared PostgreSQL server
  // other tests' transactions count: drain until the first run has happened.
  await vi.waitFor(async () => {
    await worker.drain();
    const { rows } = await context.db.query<{ status: string }>(
      `select status from jobs where handler = $1
          and event_seq in (select seq from domain_events where event_type = $2 and aggregate_id = $3)`,
      [handler, eventType, aggregateId],
    );
    expect(rows.map((row) => row.status)).toEqual(['SUCCEEDED']);
  }, { timeout: 10_000, interval: 50 });
  const { rowCount } = await context.db.query(
    `update jobs set status = 'PENDING', attempts = 0 where handler = $1
        and event_seq in (select seq from domain_events where event_type = $2 and aggregate_id = $3)`,
    [handler, eventType, aggregateId],
  );
  expect(rowCount).toBe(1);
  expect(await worker.drain()).toBe(1);
}

describe('enrollment.completed → compliance', () => {
  it('records the requirement the course fulfils as met, exactly once even when the job runs twice', async () => {
    const { rows: [requirement] } = await context.db.query<{ id: string }>(
      `insert into compliance_requirements (code, name, course_id, validity_months) values ('FA-' || gen_random_uuid(), 'First aid', $1, 24) returning id`,
      [world.courseId],
    );
    const sessionId = await createSession(context.db, world, { capacity: 2, selfEnrollment: false });
    const [student] = await createStudents(context.db, 1);
    await enroll(sessionId, [student!]);
    const { rows: [enrollment] } = await context.db.query<{ id: string; version: number }>('select id, version from session_enrollments where student_id = $1', [student]);
    const completed = await context.app.inject({
      method: 'PATCH', url: `/v1/enrollments/${enrollment!.id}`, headers: bearer(world.tokens.instructor),
      payload: { attendance_status: 'ATTENDED', completion_status: 'COMPLETED', version: enrollment!.version },
    });
    expect(completed.statusCode, completed.body).toBe(200);

    await worker.drain();
    await runAgain('compliance.record-completion', 'enrollment.completed', enrollment!.id);
    const { rows } = await context.db.query<{ requirement_id: string; status: string; source_enrollment_id: string; completed_at: Date; months: number }>(
      `select requirement_id, status, source_enrollment_id, completed_at,
              (extract(year from age(expires_at, completed_at)) * 12 + extract(month from age(expires_at, completed_at)))::int as months
         from compliance_records where user_id = $1`,
      [student],
    );
    expect(rows).toEqual([{ requirement_id: requirement!.id, status: 'MET', source_enrollment_id: enrollment!.id, completed_at: new Date(completed.json().completed_at), months: 24 }]);
  });
});

describe('session.cancelled → notifications', () => {
  it('gives each affected student one notification and one e-mail, even when the job runs twice', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 2, selfEnrollment: false });
    const emails = ['ada@example.test', 'zoë@example.test', 'carl@example.test'];
    const students = await createStudentsWithEmails(context.db, emails);
    await enroll(sessionId, students);
    const { rows: [session] } = await context.db.query<{ version: number }>('select version from training_sessions where id = $1', [sessionId]);
    const cancelled = await context.app.inject({
      method: 'POST', url: `/v1/sessions/${sessionId}/cancel`, headers: bearer(world.tokens.ap), payload: { reason: 'Trainer ill', version: session!.version },
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);

    await worker.drain();
    await runAgain('notifications.session-cancelled', 'session.cancelled', sessionId);
    const { rows } = await context.db.query<{ user_id: string; kind: string; body: string }>(
      `select user_id, kind, body from notifications where data ->> 'session_id' = $1 and kind = 'session.cancelled' order by user_id`, [sessionId],
    );
    expect(rows.map((row) => row.user_id)).toEqual([...students].sort());
    expect(rows.every((row) => row.kind === 'session.cancelled' && row.body.includes('Reason: Trainer ill'))).toBe(true);

    // Capacity 2: the third student was waitlisted, and is told as well.
    // (Their enrollments were confirmed by mail too; the cancellations are the event's files.)
    const { rows: [event] } = await context.db.query<{ seq: string }>("select seq from domain_events where event_type = 'session.cancelled' and aggregate_id = $1", [sessionId]);
    const files = (await readdir(outboxDir)).filter((name) => students.some((id) => name === `${event!.seq}-${id}.eml`));
    expect(files).toHaveLength(3);
    const mails = await Promise.all(files.map((name) => readFile(join(outboxDir, name), 'utf8')));
    const recipients = mails.map((mail) => /^To: (.*)$/m.exec(mail)?.[1]).sort();
    // RFC 6532: the address in UTF-8 as it is (an encoded word is not allowed in an address, RFC 2047 §5).
    expect(recipients).toEqual(['ada@example.test', 'carl@example.test', 'zoë@example.test']);

    // The students see it in their inbox.
    const { rows: [inbox] } = await context.db.withActor({ userId: students[0]!, role: 'IN', providerId: null }, (tx) =>
      tx.query<{ count: number }>(`select count(*)::int as count from notifications where data ->> 'session_id' = $1 and kind = 'session.cancelled'`, [sessionId]));
    expect(inbox!.count).toBe(1);
  });

  it('stores the notification but mails nothing when the address cannot be read', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 1, selfEnrollment: false });
    const [student] = await createStudents(context.db, 1);
    await enroll(sessionId, [student!]);
    const { rows: [session] } = await context.db.query<{ version: number }>('select version from training_sessions where id = $1', [sessionId]);
    await context.app.inject({ method: 'POST', url: `/v1/sessions/${sessionId}/cancel`, headers: bearer(world.tokens.ap), payload: { reason: 'Flood', version: session!.version } });
    await worker.drain();
    const { rows } = await context.db.query("select 1 from notifications where user_id = $1 and kind = 'session.cancelled'", [student]);
    expect(rows).toHaveLength(1);
    expect((await readdir(outboxDir)).filter((name) => name.endsWith(`-${student}.eml`))).toEqual([]);
  });
});
