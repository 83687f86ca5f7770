import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { bearer, createUser, mintAccessToken, testKeyring, type TestUser } from './auth.js';
import { createEnrollmentWorld, createSession, type EnrollmentWorld } from './enrollment-world.js';
import type { Db } from '../src/platform/db/database.js';

export interface CertificateJson {
  id: string;
  status: string;
  version: number;
  verification_code: string;
  verification_url: string;
  pdf_sha256: string | null;
  printed: Record<string, unknown>;
  [field: string]: unknown;
}

/**
 * A certifying course (valid 24 months) at the enrollment world's provider, a session taught by its
 * instructor, and helpers to make students who completed it. Students have names with letters from
 * three scripts, as certificates must print them.
 */
export interface CertificateWorld extends EnrollmentWorld {
  sessionId: string;
  /** A student account (IN) with a profile, enrolled in the session: COMPLETED unless `completion` says otherwise. */
  student(options?: { completion?: 'COMPLETED' | 'IN_PROGRESS' | 'FAILED'; firstName?: string; lastName?: string; sessionId?: string }): Promise<{ user: TestUser; token: string; enrollmentId: string }>;
  call(token: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, body?: unknown): Promise<LightMyRequestResponse>;
  issue(token: string, enrollmentId: string): Promise<CertificateJson>;
}

export async function createCertificateWorld(db: Db, app: () => FastifyInstance): Promise<CertificateWorld> {
  const world = await createEnrollmentWorld(db);
  await db.query(
    `update courses set certifies = true, certificate_validity_months = 24, title = 'Πρώτες βοήθειες · First aid', duration_minutes = 450 where id = $1`,
    [world.courseId],
  );
  await db.query("update profiles set first_name = 'Владимир', last_name = 'Иванов' where user_id = $1", [world.instructor.id]);
  await db.query("update authorized_providers set name = 'Safe Hands Training' where id = $1", [world.providerId]);
  await db.query("update locations set city = 'Leeds' where id = $1", [world.locationId]);
  const sessionId = await createSession(db, world, { capacity: 50, status: 'COMPLETED' });
  const call: CertificateWorld['call'] = (token, method, url, body) =>
    app().inject({ method, url, headers: bearer(token), ...(body === undefined ? {} : { payload: body as object }) });
  return {
    ...world,
    sessionId,
    call,
    async student(options = {}) {
      const user = await createUser(db, testKeyring, { role: 'IN', firstName: options.firstName ?? 'Zoë', lastName: options.lastName ?? 'Łukasiewicz-Øster' });
      const completion = options.completion ?? 'COMPLETED';
      const { rows: [enrollment] } = await db.query<{ id: string }>(
        `insert into session_enrollments (session_id, student_id, status, attendance_status, completion_status, practical_score, written_score, completed_at)
         values ($1, $2, 'ENROLLED', 'ATTENDED', $3, 92.5, 88, case when $3 in ('COMPLETED', 'FAILED') then '2031-05-05 12:00+00'::timestamptz end)
         returning id`,
        [options.sessionId ?? sessionId, user.id, completion],
      );
      await db.query('update training_sessions set current_enrollment = current_enrollment + 1 where id = $1', [options.sessionId ?? sessionId]);
      return { user, token: await mintAccessToken(testKeyring, { userId: user.id, role: 'IN' }), enrollmentId: enrollment!.id };
    },
    async issue(token, enrollmentId) {
      const response = await call(token, 'POST', '/v1/certificates', { enrollment_id: enrollmentId });
      if (response.statusCode !== 201) throw new Error(`issue answered ${response.statusCode}: ${response.body}`);
      return response.json<CertificateJson>();
    },
  };
}
