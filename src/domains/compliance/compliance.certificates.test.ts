import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificateWorld, type CertificateJson, type CertificateWorld } from '../../../test/world.js';
import { useTestApp } from '../../../test/test-app.js';
import { createDispatcher, defaultDispatcherSettings } from '../../platform/jobs/index.js';
import { complianceFollowsCertificates, complianceOnCompletion } from './compliance.handler.js';
import { testLogger } from '../../../test/logger.js';

// Real database, application and dispatcher; the app's clock is moved by the test (the certificate's
// dates come from the database's day of issue, the record states from the app's clock).
let now = new Date();
const context = useTestApp({ now: () => now });
let world: CertificateWorld;
let dispatcher: ReturnType<typeof createDispatcher>;
let requirementId: string;

interface RecordJson { status: string; state: string; completed_at: string | null; expires_at: string | null }

async function recordOf(userId: string): Promise<RecordJson | undefined> {
  const response = await world.call(world.tokens.ad, 'GET', `/v1/compliance/records?user_id=${userId}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ items: (RecordJson & { requirement_id: string })[] }>().items.find((item) => item.requirement_id === requirementId);
}

async function standing(userId: string) {
  const { rows: [row] } = await context.db.query<{ compliance_score: number; compliance_status: string }>(
    'select compliance_score, compliance_status from profiles where user_id = $1', [userId],
  );
  return row!;
}

/** An instructor (IP) who completed the world's certifying session, as a student of it. */
async function completedInstructor(): Promise<{ id: string; enrollmentId: string; completedAt: string }> {
  const holder = world.otherInstructor;
  const completedAt = new Date(Date.now() - 86_400_000).toISOString();
  const { rows: [enrollment] } = await context.db.query<{ id: string }>(
    `insert into session_enrollments (session_id, student_id, status, attendance_status, completion_status, practical_score, written_score, completed_at)
     values ($1, $2, 'ENROLLED', 'ATTENDED', 'COMPLETED', 90, 90, $3) returning id`,
    [world.sessionId, holder.id, completedAt],
  );
  return { id: holder.id, enrollmentId: enrollment!.id, completedAt };
}

const post = (certificate: CertificateJson, action: string, body: object) =>
  world.call(world.tokens.ap, 'POST', `/v1/certificates/${certificate.id}/${action}`, { ...body, version: certificate.version });

beforeAll(async () => {
  world = await createCertificateWorld(context.db, () => context.app);
  dispatcher = createDispatcher(context.db, [complianceOnCompletion, complianceFollowsCertificates], testLogger, { ...defaultDispatcherSettings, pollMs: 10 });
  // Met by the world's course; its own validity (12 months) is not the certificate's (24 months).
  const created = await world.call(world.tokens.ad, 'POST', '/v1/compliance/requirements', {
    code: 'FIRST-AID-CERT', name: 'Hold a first aid certificate', applies_to_roles: ['IP'], course_id: world.courseId,
    validity_months: 12, weight: 1, renewal_window_days: 60, grace_days: 14,
  });
  expect(created.statusCode, created.body).toBe(201);
  requirementId = created.json<{ id: string }>().id;
});

describe("an instructor's compliance follows their certificates", () => {
  it('is met until the certificate expires, not met while it is suspended or revoked, and expiring, in grace and overdue by the clock', async () => {
    const holder = await completedInstructor();
    expect(await standing(holder.id)).toMatchObject({ compliance_score: 0 });

    let certificate = await world.issue(world.tokens.instructor, holder.enrollmentId);
    await dispatcher.drain();
    const expiry = String(certificate['expiry_date']);
    // Valid through its last day (UTC): the record ends at the next midnight, not 12 months after completion.
    const expiresAt = new Date(Date.parse(`${expiry}T00:00:00Z`) + 86_400_000).toISOString();
    expect(await recordOf(holder.id)).toMatchObject({ status: 'MET', state: 'MET', completed_at: holder.completedAt, expires_at: expiresAt });
    expect(await standing(holder.id)).toMatchObject({ compliance_score: 100, compliance_status: 'COMPLIANT' });

    // The completion's own handler runs after the certificate's (the same moment): the certificate still governs.
    const { rows: [completion] } = await context.db.query<{ seq: string }>(
      `select append_domain_event('session_enrollment', $1, 2, 'enrollment.completed',
                                  jsonb_build_object('course_id', $2::uuid, 'student_id', $3::uuid, 'completed_at', $4::text)) as seq`,
      [holder.enrollmentId, world.courseId, holder.id, holder.completedAt],
    );
    expect(completion?.seq).toBeDefined();
    await dispatcher.drain();
    expect(await recordOf(holder.id)).toMatchObject({ state: 'MET', expires_at: expiresAt });

    const suspended = await post(certificate, 'suspend', { reason: 'under review' });
    expect(suspended.statusCode, suspended.body).toBe(200);
    certificate = suspended.json<CertificateJson>();
    await dispatcher.drain();
    expect(await recordOf(holder.id)).toMatchObject({ status: 'PENDING', state: 'PENDING', expires_at: null });
    expect(await standing(holder.id)).toMatchObject({ compliance_score: 0, compliance_status: 'PENDING' });

    certificate = (await post(certificate, 'reinstate', {})).json<CertificateJson>();
    await dispatcher.drain();
    expect(await recordOf(holder.id)).toMatchObject({ status: 'MET', state: 'MET', expires_at: expiresAt });
    expect(await standing(holder.id)).toMatchObject({ compliance_score: 100, compliance_status: 'COMPLIANT' });

    // The clock moves: 30 days before the end the renewal window (60 days) is open; 7 days after, grace
    // (14 days); 20 days after, overdue.
    const day = (offset: number) => new Date(Date.parse(expiresAt) + offset * 86_400_000);
    now = day(-30);
    expect(await recordOf(holder.id)).toMatchObject({ state: 'EXPIRING' });
    now = day(7);
    expect(await recordOf(holder.id)).toMatchObject({ state: 'GRACE' });
    now = day(20);
    expect(await recordOf(holder.id)).toMatchObject({ state: 'OVERDUE' });
    now = new Date();

    const revoked = await post(certificate, 'revoke', { reason_code: 'FRAUD', reason: 'forged attendance' });
    expect(revoked.statusCode, revoked.body).toBe(200);
    await dispatcher.drain();
    expect(await recordOf(holder.id)).toMatchObject({ status: 'PENDING', state: 'PENDING', completed_at: null });
    expect(await standing(holder.id)).toMatchObject({ compliance_score: 0, compliance_status: 'PENDING' });
    // A replayed completion does not make the revoked certificate's record met again.
    await context.db.query(`select append_domain_event('session_enrollment', $1, 3, 'enrollment.completed',
                              jsonb_build_object('course_id', $2::uuid, 'student_id', $3::uuid, 'completed_at', $4::text))`,
    [holder.enrollmentId, world.courseId, holder.id, holder.completedAt]);
    await dispatcher.drain();
    expect(await recordOf(holder.id)).toMatchObject({ status: 'PENDING' });
  });
});
