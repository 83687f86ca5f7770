import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { beforeAll } from 'vitest';
import { bearer, createUser, mintAccessToken, testKeyring, type TestUser } from './auth.js';
import { type TestApp, useTestApp } from './test-app.js';
import type { Db } from '../src/platform/db/database.js';

/**
 * Who calls in the session and schedule tests: an account of every role (two APs of different
 * providers, IC teaching and IP not), or nobody signed in.
 */
export const callers = ['SA', 'AD', 'AP', 'otherAP', 'IC', 'IP', 'IT', 'IN', 'anon'] as const;
export type Caller = (typeof callers)[number];
type Method = 'GET' | 'POST' | 'PATCH' | 'PUT';

/**
 * A provider with its location (Europe/Paris), another provider with its own, a published course, a
 * draft and an archived one, and the callers; inserted as the owner, since these tests are about
 * sessions and schedules.
 */
export interface TrainingWorld {
  providerId: string;
  locationId: string;
  otherLocationId: string;
  courseId: string;
  draftCourseId: string;
  archivedCourseId: string;
  users: Record<Exclude<Caller, 'anon'>, TestUser>;
  /** The database's today in Europe/Paris, the zone of both locations. */
  today: string;
  call(caller: Caller, method: Method, url: string, payload?: object, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

async function insertCourse(db: Db, title: string, status: 'DRAFT' | 'PUBLISHED' | 'ARCHIVED'): Promise<string> {
  const { rows: [course] } = await db.query<{ id: string }>(
    'insert into courses (code, title, duration_minutes) values ($1, $2, 180) returning id',
    [`C-${randomUUID()}`, title],
  );
  const id = course!.id;
  if (status !== 'DRAFT') {
    await db.query(`insert into course_versions (course_id, version_number, snapshot) values ($1, 1, jsonb_build_object('title', $2::text))`, [id, title]);
    await db.query(`update courses set status = $2, published_at = now(), published_version = 1 where id = $1`, [id, status]);
  }
  return id;
}

export async function createTrainingWorld(db: Db, app: () => FastifyInstance): Promise<TrainingWorld> {
  const providers = [];
  const locations = [];
  for (const [name, timezone] of [['Paris rooms', 'Europe/Paris'], ['Lyon rooms', 'Europe/Paris']] as const) {
    const { rows: [provider] } = await db.query<{ id: string }>('insert into authorized_providers (name) values ($1) returning id', [`Provider ${randomUUID()}`]);
    const { rows: [location] } = await db.query<{ id: string }>("insert into locations (name, country, timezone) values ($1, 'FR', $2) returning id", [name, timezone]);
    await db.query('insert into provider_locations (provider_id, location_id) values ($1, $2)', [provider!.id, location!.id]);
    providers.push(provider!.id);
    locations.push(location!.id);
  }
  const [providerId, otherProviderId] = providers as [string, string];
  const users = {
    SA: await createUser(db, testKeyring, { role: 'SA' }),
    AD: await createUser(db, testKeyring, { role: 'AD' }),
    AP: await createUser(db, testKeyring, { role: 'AP', providerId }),
    otherAP: await createUser(db, testKeyring, { role: 'AP', providerId: otherProviderId }),
    IC: await createUser(db, testKeyring, { role: 'IC' }),
    IP: await createUser(db, testKeyring, { role: 'IP' }),
    IT: await createUser(db, testKeyring, { role: 'IT' }),
    IN: await createUser(db, testKeyring, { role: 'IN' }),
  };
  // The instructors work for the world's provider: its AP may assign only them (decision 0023).
  await db.query(`insert into instructor_profiles (user_id, display_name, provider_id) values ($1, 'IC', $3), ($2, 'IP', $3)`, [users.IC.id, users.IP.id, providerId]);
  const tokens = new Map<Caller, string>();
  for (const [caller, user] of Object.entries(users)) tokens.set(caller as Caller, await mintAccessToken(testKeyring, { userId: user.id, role: user.role }));
  return {
    providerId,
    locationId: locations[0] as string,
    otherLocationId: locations[1] as string,
    courseId: await insertCourse(db, 'First aid at work', 'PUBLISHED'),
    draftCourseId: await insertCourse(db, 'Unfinished course', 'DRAFT'),
    archivedCourseId: await insertCourse(db, 'Retired course', 'ARCHIVED'),
    users,
    today: (await db.query<{ today: string }>("select to_char(now() at time zone 'Europe/Paris', 'YYYY-MM-DD') as today")).rows[0]!.today,
    call: (caller, method, url, payload, headers = {}) => {
      const token = tokens.get(caller);
      return app().inject({ method, url, headers: { ...(token ? bearer(token) : {}), ...headers }, ...(payload ? { payload } : {}) });
    },
  };
}

/**
 * The application on a migrated database, and the training world in it, for the tests of one file
 * (read the fields inside tests: they are set in beforeAll).
 */
export function useTrainingWorld(): TestApp & { world: TrainingWorld } {
  const context = useTestApp() as TestApp & { world: TrainingWorld };
  beforeAll(async () => {
    context.world = await createTrainingWorld(context.db, () => context.app);
  });
  return context;
}

/** The day `days` after `day` (YYYY-MM-DD). */
export const plusDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** New student accounts (role IN) enrolled, or waitlisted once it is full, by the world's SA through the enrollment function. */
export async function enrollStudents(db: Db, world: TrainingWorld, sessionId: string, count: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `insert into users (email_ciphertext, email_hmac, role)
     select 'not-encrypted-test-value', 'student-' || gen_random_uuid(), 'IN' from generate_series(1, $1::integer) returning id`,
    [count],
  );
  const students = rows.map((row) => row.id);
  await db.withActor({ userId: world.users.SA.id, role: 'SA', providerId: null }, async (tx) => {
    for (const student of students) await tx.query('select enroll_student($1, $2, null)', [sessionId, student]);
  });
  return students;
}

/** A session's enrollments and counter as stored, read as the owner. */
export async function enrollmentState(db: Db, sessionId: string): Promise<{ counter: number; status: string; statuses: Record<string, number> }> {
  const { rows: [session] } = await db.query<{ current_enrollment: number; status: string }>('select current_enrollment, status from training_sessions where id = $1', [sessionId]);
  const { rows } = await db.query<{ status: string; n: number }>('select status, count(*)::integer as n from session_enrollments where session_id = $1 group by status', [sessionId]);
  return { counter: session!.current_enrollment, status: session!.status, statuses: Object.fromEntries(rows.map((row) => [row.status, row.n])) };
}

/**
 * Cancels, as the owner, every session still booked, so that a test starts with its instructors and
 * rooms free (migration 0039 refuses overlapping bookings): for tests about something else, whose
 * schedules would otherwise collide with the previous tests' sessions.
 */
export async function freeEveryBooking(db: Db): Promise<void> {
  await db.query("update training_sessions set status = 'CANCELLED', cancelled_reason = 'freed between tests' where status <> 'CANCELLED'");
}
