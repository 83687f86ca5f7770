import { randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freeEveryBooking, insertCourse, plusDays, type TrainingWorld, useTrainingWorld } from '../../../test/world.js';
import { insertEligibilityNotices } from '../instructors/eligibility-notices.handler.js';

// Real HTTP on a real database (either engine): what a course asks of its instructor decides who may
// be assigned, SA and AD may override with a reason, and a lapse before a held session is flagged.
const context = useTrainingWorld();
let world: TrainingWorld;
let requirementId: string;
let certificateCourseId: string;
beforeAll(async () => {
  world = context.world;
  const { rows: [requirement] } = await context.db.query<{ id: string }>(
    `insert into compliance_requirements (code, name, applies_to_roles) values ($1, 'Annual instructor update', array['IC', 'IP']) returning id`,
    [`UPDATE-${randomUUID().slice(0, 8)}`],
  );
  requirementId = requirement!.id;
  const { rows: [course] } = await context.db.query<{ id: string }>(
    `insert into courses (code, title, duration_minutes, certifies) values ($1, 'Instructor course', 60, true) returning id`,
    [`INSTR-${randomUUID().slice(0, 8)}`],
  );
  certificateCourseId = course!.id;
  const saved = await world.call('AD', 'PUT', `/v1/courses/${world.courseId}/instructor-requirements`, {
    minimum_tier: 'IC', compliance_requirement_ids: [requirementId], certificate_course_ids: [certificateCourseId],
  });
  expect(saved.statusCode, saved.body).toBe(200);
});
beforeEach(async () => {
  await freeEveryBooking(context.db);
  await context.db.query('delete from compliance_records where requirement_id = $1', [requirementId]);
  // Certificates are never deleted (status lists point at them): the earlier tests' are revoked instead.
  await context.db.query(
    `update certificates set status = 'REVOKED', revoked_at = now(), revoked_reason = 'between tests' where course_id = $1 and status <> 'REVOKED'`,
    [certificateCourseId],
  );
});

/** The instructor holds the requirement until `expires` (null: for good) and the certificate until `certificateExpiry`. */
async function qualify(userId: string, expires: string | null, certificateExpiry: string | null): Promise<void> {
  await context.db.query(
    `insert into compliance_records (user_id, requirement_id, status, completed_at, expires_at) values ($1, $2, 'MET', now() - interval '1 day', $3)`,
    [userId, requirementId, expires],
  );
  await context.db.query(
    `insert into certificates (user_id, course_id, location_id, course_name, recipient_name, issue_date, expiry_date, verification_code)
     values ($1, $2, $3, 'Instructor course', 'Ida', current_date - 1, $4, $5)`,
    [userId, certificateCourseId, world.locationId, certificateExpiry, `CERT-${randomUUID().slice(0, 8).toUpperCase()}`],
  );
}

const sessionBody = (instructorId: string, day: number, extra: object = {}) => ({
  course_id: world.courseId, instructor_id: instructorId, location_id: world.locationId,
  session_date: plusDays(world.today, day), start_time: '09:00', end_time: '12:00', max_capacity: 10, ...extra,
});

describe('instructor eligibility', () => {
  it('reads and keeps what a course asks, refusing ids that name nothing and anyone but administrators', async () => {
    const read = await world.call('IC', 'GET', `/v1/courses/${world.courseId}/instructor-requirements`);
    expect(read.json()).toEqual({
      course_id: world.courseId, minimum_tier: 'IC', compliance_requirement_ids: [requirementId], certificate_course_ids: [certificateCourseId], version: 1,
    });
    const unknown = await world.call('AD', 'PUT', `/v1/courses/${world.courseId}/instructor-requirements`, {
      minimum_tier: 'IC', compliance_requirement_ids: [randomUUID()], certificate_course_ids: [], version: 1,
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error).toMatchObject({ code: 'INVALID_REFERENCE', details: { field: 'compliance_requirement_ids' } });
    const byAp = await world.call('AP', 'PUT', `/v1/courses/${world.courseId}/instructor-requirements`, {
      minimum_tier: null, compliance_requirement_ids: [], certificate_course_ids: [], version: 1,
    });
    expect(byAp.statusCode).toBe(403);
  });

  it('refuses an instructor who lacks the tier, requirement and certificate with 422 listing each, and accepts one who holds them', async () => {
    const refused = await world.call('AP', 'POST', '/v1/sessions', sessionBody(world.users.IP.id, 3));
    expect(refused.statusCode, refused.body).toBe(422);
    const { error } = refused.json();
    expect(error.code).toBe('INSTRUCTOR_NOT_ELIGIBLE');
    expect(error.details.field).toBe('body.instructor_id');
    expect(error.details.missing).toEqual([
      { kind: 'TIER', required: 'IC', held: 'IP' },
      { kind: 'REQUIREMENT', id: requirementId, code: expect.any(String), name: 'Annual instructor update', valid_until: null },
      { kind: 'CERTIFICATE', course_id: certificateCourseId, course_code: expect.any(String), valid_until: null },
    ]);

    await qualify(world.users.IC.id, null, null);
    const accepted = await world.call('AP', 'POST', '/v1/sessions', sessionBody(world.users.IC.id, 3));
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json()).toMatchObject({ eligibility_override_reason: null, eligibility_overridden_by: null });
  });

  it('judges validity on the session’s day: a requirement expiring before it, or a certificate expiring the day before, is missing', async () => {
    await qualify(world.users.IC.id, `${plusDays(world.today, 5)}T00:00:00Z`, plusDays(world.today, 9));
    expect((await world.call('AD', 'POST', '/v1/sessions', sessionBody(world.users.IC.id, 4))).statusCode).toBe(201);
    const late = await world.call('AD', 'POST', '/v1/sessions', sessionBody(world.users.IC.id, 10));
    expect(late.statusCode).toBe(422);
    expect(late.json().error.details.missing.map((gap: { kind: string; valid_until: string | null }) => [gap.kind, gap.valid_until?.slice(0, 10)])).toEqual([
      ['REQUIREMENT', plusDays(world.today, 5)],
      ['CERTIFICATE', plusDays(world.today, 9)],
    ]);
  });

  it('lets an SA or AD assign anyway with a reason, stored and audited; an AP’s reason is 403', async () => {
    const byAp = await world.call('AP', 'POST', '/v1/sessions', sessionBody(world.users.IP.id, 5, { eligibility_override_reason: 'Short notice' }));
    expect(byAp.statusCode).toBe(403);
    expect(byAp.json().error.details.field).toBe('body.eligibility_override_reason');

    const reason = 'The certified instructor is ill; IP assisted by the centre lead';
    const created = await world.call('AD', 'POST', '/v1/sessions', sessionBody(world.users.IP.id, 5, { eligibility_override_reason: reason }));
    expect(created.statusCode, created.body).toBe(201);
    const session = created.json<{ id: string; version: number }>();
    expect(created.json()).toMatchObject({ eligibility_override_reason: reason, eligibility_overridden_by: world.users.AD.id });
    const { rows: audited } = await context.db.query<{ actor_id: string; reason: string }>(
      `select actor_id, new_values ->> 'eligibility_override_reason' as reason from audit_log
        where table_name = 'training_sessions' and row_id = $1 and operation = 'INSERT'`,
      [session.id],
    );
    expect(audited).toEqual([{ actor_id: world.users.AD.id, reason }]);

    // The override stands for a change of time with the same instructor; the AP may not move it to another unqualified one.
    const moved = await world.call('AP', 'PATCH', `/v1/sessions/${session.id}`, { start_time: '10:00', end_time: '13:00', version: session.version });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ eligibility_override_reason: reason });
    await qualify(world.users.IC.id, null, null);
    const qualified = await world.call('AP', 'PATCH', `/v1/sessions/${session.id}`, { instructor_id: world.users.IC.id, version: moved.json().version });
    expect(qualified.json()).toMatchObject({ instructor_id: world.users.IC.id, eligibility_override_reason: null, eligibility_overridden_by: null });
    const back = await world.call('AP', 'PATCH', `/v1/sessions/${session.id}`, { instructor_id: world.users.IP.id, version: qualified.json().version });
    expect(back.statusCode).toBe(422);
    expect(back.json().error.code).toBe('INSTRUCTOR_NOT_ELIGIBLE');
  });

  it('refuses a schedule whose instructor lapses mid-series, listing the days, unless an AD gives a reason its sessions carry', async () => {
    await qualify(world.users.IC.id, null, plusDays(world.today, 10));
    const body = {
      course_id: world.courseId, instructor_id: world.users.IC.id, location_id: world.locationId, rrule: 'FREQ=WEEKLY',
      start_date: plusDays(world.today, 2), start_time: '14:00', duration_minutes: 60, max_capacity: 8, generate_until: plusDays(world.today, 30),
    };
    const refused = await world.call('AP', 'POST', '/v1/schedules', body);
    expect(refused.statusCode, refused.body).toBe(422);
    const { details } = refused.json().error;
    expect(details.occurrences.map((o: { session_date: string }) => o.session_date)).toEqual([16, 23, 30].map((d) => plusDays(world.today, d)));
    expect(details.missing).toEqual([{ kind: 'CERTIFICATE', course_id: certificateCourseId, course_code: expect.any(String), valid_until: plusDays(world.today, 10) }]);

    // Generated while the instructor still qualifies, then extended past the lapse: refused the same way.
    const early = await world.call('AP', 'POST', '/v1/schedules', { ...body, generate_until: plusDays(world.today, 9) });
    expect(early.statusCode, early.body).toBe(201);
    const extended = await world.call('AP', 'POST', `/v1/schedules/${early.json<{ schedule: { id: string } }>().schedule.id}/generate`, { until: plusDays(world.today, 30) });
    expect(extended.statusCode, extended.body).toBe(422);
    expect(extended.json().error.details.occurrences.map((o: { session_date: string }) => o.session_date)).toEqual([16, 23, 30].map((d) => plusDays(world.today, d)));

    const created = await world.call('AD', 'POST', '/v1/schedules', { ...body, start_time: '16:00', eligibility_override_reason: 'Recertification booked for next week' });
    expect(created.statusCode, created.body).toBe(201);
    const { schedule } = created.json<{ schedule: { id: string } }>();
    const { rows } = await context.db.query<{ reason: string | null; by: string | null }>(
      'select eligibility_override_reason as reason, eligibility_overridden_by as by from training_sessions where schedule_id = $1',
      [schedule.id],
    );
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((row) => `${row.reason}|${row.by}`))).toEqual(new Set([`Recertification booked for next week|${world.users.AD.id}`]));
  });

  it('flags a held session whose instructor’s certificate lapses before it: dashboard, and one notice each to the instructor and the provider’s AP', async () => {
    await qualify(world.users.IC.id, null, plusDays(world.today, 30));
    await context.db.query(`update instructor_profiles set certification_status = 'ACTIVE' where user_id = $1`, [world.users.IC.id]);
    const created = await world.call('AP', 'POST', '/v1/sessions', sessionBody(world.users.IC.id, 6));
    expect(created.statusCode, created.body).toBe(201);
    const sessionId = created.json<{ id: string }>().id;
    const reasons = async () => {
      const dashboard = await world.call('AD', 'GET', '/v1/dashboard');
      return dashboard.json<{ attention: { sessions: { id: string; reasons: string[] }[] } }>().attention.sessions.find((s) => s.id === sessionId)?.reasons ?? [];
    };
    // Eligible so far: nothing to tell (the dashboard is read once, after the lapse: it is cached).
    const notices = (now: Date) => context.db.transaction((tx) => insertEligibilityNotices(tx, now));
    expect(await notices(new Date())).toBe(0);

    // The certificate is revoked: the session is flagged, and the job tells the instructor and the AP once.
    await context.db.query(`update certificates set status = 'REVOKED', revoked_at = now(), revoked_reason = 'Lapsed' where user_id = $1 and course_id = $2`,
      [world.users.IC.id, certificateCourseId]);
    expect(await reasons()).toContain('INSTRUCTOR_NOT_ELIGIBLE');
    expect(await notices(new Date())).toBe(2);
    expect(await notices(new Date(Date.now() + 86_400_000))).toBe(0);
    const { rows } = await context.db.query<{ user_id: string; title: string; body: string }>(
      `select user_id, title, body from notifications where kind = 'instructor.not-eligible' and data ->> 'session_id' = $1 order by title`,
      [sessionId],
    );
    expect(rows.map((row) => row.user_id).sort()).toEqual([world.users.IC.id, world.users.AP.id].sort());
    expect(rows.every((row) => row.body.startsWith('Missing on the day: a certificate of '))).toBe(true);
    await context.db.query(`update instructor_profiles set certification_status = 'PENDING' where user_id = $1`, [world.users.IC.id]);
  });

  it('judges only the sessions of courses that ask something, once each, finding what the rule over every session finds', async () => {
    await qualify(world.users.IC.id, null, plusDays(world.today, 30));
    await context.db.query(`update instructor_profiles set certification_status = 'ACTIVE' where user_id = $1`, [world.users.IC.id]);
    const asking = await world.call('AP', 'POST', '/v1/sessions', sessionBody(world.users.IC.id, 7));
    const freeCourseId = await insertCourse(context.db, 'A course that asks nothing', 'PUBLISHED');
    const free = await world.call('AP', 'POST', '/v1/sessions', sessionBody(world.users.IP.id, 8, { course_id: freeCourseId }));
    expect([asking.statusCode, free.statusCode], free.body).toEqual([201, 201]);
    await context.db.query(`update certificates set status = 'REVOKED', revoked_at = now(), revoked_reason = 'Lapsed' where user_id = $1 and course_id = $2`,
      [world.users.IC.id, certificateCourseId]);
    await context.db.transaction(async (tx) => {
      const toCome = `from training_sessions s where s.status = 'SCHEDULED' and lower(s.scheduled_during) >= now() and s.eligibility_override_reason is null`;
      // Calls of the rule's test in this transaction (track_functions counts SQL functions that are not inlined).
      await tx.query(`set local track_functions = 'all'`);
      const { rows: flagged } = await tx.query<{ session_id: string }>('select session_id from instructors_no_longer_eligible(now()) order by 1');
      const { rows: [calls] } = await tx.query<{ n: number }>(`select pg_stat_get_xact_function_calls('app_instructor_eligibility_gaps'::regproc)::int as n`);
      const { rows: [counts] } = await tx.query<{ required: number; all: number }>(
        `select count(*) filter (where exists (select 1 from course_instructor_requirements q where q.course_id = s.course_id))::int as required, count(*)::int as all ${toCome}`);
      const { rows: byRule } = await tx.query<{ session_id: string }>(
        `select s.id as session_id ${toCome} and app_instructor_eligibility_gaps(s.instructor_id, s.course_id, s.session_date, lower(s.scheduled_during)) <> '[]' order by 1`);
      expect(flagged).toEqual(byRule);
      expect(flagged.map((row) => row.session_id)).toContain(asking.json<{ id: string }>().id);
      expect(calls?.n).toBe(counts?.required);
      expect(counts?.all).toBeGreaterThan(counts?.required ?? 0);
    });
    await context.db.query(`update instructor_profiles set certification_status = 'PENDING' where user_id = $1`, [world.users.IC.id]);
  });
});
