import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { beforeAll } from 'vitest';
import type { RosterRow } from '../src/domains/rosters/rosters.repository.js';
import { type Role, roles } from '../src/platform/db/actor.js';
import type { Db } from '../src/platform/db/database.js';
import { createFieldCipher, normaliseEmail } from '../src/platform/security/field-cipher.js';
import { bearer, createUser, mintAccessToken, testKeyring, type TestUser } from './auth.js';
import { type TestApp, useTestApp } from './test-app.js';

/*
 * The one world builder of the tests: the common base (a provider at its location, a course, a user of
 * every role with a token), and the parts the domains add to it (sessions, students, rosters,
 * certificates). Inserted as the owner: the tests are about what they call, not about creating the world.
 */

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** A real request through the application, signed with `token` when there is one. */
export function requestWithToken(
  app: FastifyInstance, token: string | undefined, method: Method, url: string, payload?: unknown, headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({ method, url, headers: { ...(token ? bearer(token) : {}), ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
}

/** The worlds' `call`: a real request through the application as `caller`, with the token `tokenOf` gives it (none: signed out). */
function callsAs<Caller>(app: () => FastifyInstance, tokenOf: (caller: Caller) => string | undefined) {
  return (caller: Caller, method: Method, url: string, payload?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse> =>
    requestWithToken(app(), tokenOf(caller), method, url, payload, headers);
}

/** A provider, under a name no other has, holding `locationId` when there is one; inserted as the owner. */
async function insertProvider(db: Db, locationId: string | null): Promise<string> {
  const { rows: [provider] } = await db.query<{ id: string }>('insert into authorized_providers (name) values ($1) returning id', [`Provider ${randomUUID()}`]);
  if (locationId !== null) await db.query('insert into provider_locations (provider_id, location_id) values ($1, $2)', [provider!.id, locationId]);
  return provider!.id;
}

/** An access token for each user, by the name the tests call them. */
async function tokensOf<Name extends string>(users: Record<Name, TestUser>): Promise<Map<Name, string>> {
  const tokens = new Map<Name, string>();
  for (const [name, user] of Object.entries(users) as [Name, TestUser][]) tokens.set(name, await mintAccessToken(testKeyring, { userId: user.id, role: user.role }));
  return tokens;
}

/**
 * One provider with one location, its AP, an instructor and a course: enough to hold sessions for
 * enrollment tests. Besides, a user of every other role: an AD, the AP of another provider (who does
 * not hold the location), an instructor with no sessions and a trainee (IT).
 */
export interface EnrollmentWorld {
  providerId: string;
  locationId: string;
  otherLocationId: string;
  /** The provider of `otherAp`; it holds no location here (the roster world gives it the other one). */
  otherProviderId: string;
  courseId: string;
  sa: TestUser;
  ad: TestUser;
  ap: TestUser;
  otherAp: TestUser;
  instructor: TestUser;
  otherInstructor: TestUser;
  trainee: TestUser;
  tokens: { sa: string; ad: string; ap: string; otherAp: string; instructor: string; otherInstructor: string; trainee: string };
}

export interface SessionOptions {
  capacity: number;
  selfEnrollment?: boolean;
  status?: 'SCHEDULED' | 'IN_PROGRESS' | 'COMPLETED' | 'CANCELLED';
  /** Defaults to the world's location, which belongs to its provider. */
  locationId?: string;
}

/** Inserted as the owner: these tests are about enrollment, not about creating the world. */
export async function createEnrollmentWorld(db: Db): Promise<EnrollmentWorld> {
  const { rows: locations } = await db.query<{ id: string }>(
    "insert into locations (name, country) values ('Own hall', 'GB'), ('Elsewhere', 'GB') returning id",
  );
  const locationId = locations[0]!.id;
  const otherLocationId = locations[1]!.id;
  const providerId = await insertProvider(db, locationId);
  const { rows: [course] } = await db.query<{ id: string }>(
    "insert into courses (code, title, duration_minutes) values ($1, 'First aid', 60) returning id",
    [`FA-${randomUUID()}`],
  );
  const otherProviderId = await insertProvider(db, null);
  const sa = await createUser(db, testKeyring, { role: 'SA' });
  const ad = await createUser(db, testKeyring, { role: 'AD' });
  const ap = await createUser(db, testKeyring, { role: 'AP', providerId });
  const otherAp = await createUser(db, testKeyring, { role: 'AP', providerId: otherProviderId });
  const instructor = await createUser(db, testKeyring, { role: 'IC' });
  const otherInstructor = await createUser(db, testKeyring, { role: 'IP' });
  const trainee = await createUser(db, testKeyring, { role: 'IT' });
  const tokens = Object.fromEntries(await tokensOf({ sa, ad, ap, otherAp, instructor, otherInstructor, trainee })) as EnrollmentWorld['tokens'];
  return { providerId, locationId, otherLocationId, otherProviderId, courseId: course!.id, sa, ad, ap, otherAp, instructor, otherInstructor, trainee, tokens };
}

let sessionsMade = 0;

/** A session of the world's instructor, each on a day of its own (one instructor teaches one session at a time: migration 0039). */
export async function createSession(db: Db, world: EnrollmentWorld, options: SessionOptions): Promise<string> {
  const day = sessionsMade;
  sessionsMade += 1;
  const { rows: [session] } = await db.query<{ id: string }>(
    `insert into training_sessions (title, course_id, instructor_id, location_id, provider_id, session_date, start_time, end_time,
                                    max_capacity, self_enrollment_allowed, status)
     values ('Session', $1, $2, $3, $4, date '2031-05-05' + $8::integer, '09:00', '12:00', $5, $6, $7) returning id`,
    [world.courseId, world.instructor.id, options.locationId ?? world.locationId, world.providerId, options.capacity,
      options.selfEnrollment ?? true, options.status ?? 'SCHEDULED', day],
  );
  return session!.id;
}

/** Student accounts without profiles or passwords, in one statement (they act through minted tokens). */
export async function createStudents(db: Db, count: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `insert into users (email_ciphertext, email_hmac, role)
     select 'not-encrypted-test-value', 'student-' || gen_random_uuid(), 'IN' from generate_series(1, $1::integer)
     returning id`,
    [count],
  );
  return rows.map((row) => row.id);
}

const testCipher = createFieldCipher(testKeyring);

/** Student accounts (IN) with these e-mails, findable by their blind index, in one statement; ids in the same order. */
export async function createStudentsWithEmails(db: Db, emails: readonly string[]): Promise<string[]> {
  const hmacs = emails.map((email) => testCipher.blindIndex(normaliseEmail(email)));
  const { rows } = await db.query<{ id: string; email_hmac: string }>(
    `insert into users (email_ciphertext, email_hmac, role) select c, h, 'IN' from unnest($1::text[], $2::text[]) as t(c, h)
     returning id, email_hmac`,
    [emails.map((email) => testCipher.encrypt(email)), hmacs],
  );
  const idOf = new Map(rows.map((row) => [row.email_hmac, row.id]));
  return hmacs.map((hmac) => idOf.get(hmac) as string);
}

/** The student profiles (students without accounts) with this e-mail, as the owner sees them. */
export async function profilesWithEmail(db: Db, email: string): Promise<{ id: string; provider_id: string | null; first_name: string; last_name: string; company: string | null }[]> {
  const { rows } = await db.query<{ id: string; provider_id: string | null; first_name: string; last_name: string; company: string | null }>(
    'select id, provider_id, first_name, last_name, company from student_enrollment_profiles where email_hmac = $1',
    [testCipher.blindIndex(normaliseEmail(email))],
  );
  return rows;
}

export function studentToken(studentId: string): Promise<string> {
  return mintAccessToken(testKeyring, { userId: studentId, role: 'IN' });
}

/** A session's invariants as the database holds them, read as the owner. */
export async function sessionState(db: Db, sessionId: string): Promise<{
  counter: number; capacity: number; enrolled: string[]; waitlist: string[]; positions: number[]; duplicates: number;
  /** The waitlisted students holding an offer of a seat, in line order. */
  offered: string[];
}> {
  const { rows: [session] } = await db.query<{ current_enrollment: number; max_capacity: number }>(
    'select current_enrollment, max_capacity from training_sessions where id = $1', [sessionId],
  );
  const { rows } = await db.query<{ student: string; status: string; waitlist_position: number | null; offered: boolean }>(
    `select coalesce(student_id, student_profile_id)::text as student, status, waitlist_position, offer_expires_at is not null as offered
       from session_enrollments where session_id = $1 order by waitlist_position nulls first, student`,
    [sessionId],
  );
  const { rows: [dupes] } = await db.query<{ n: number }>(
    `select count(*)::integer as n from (select student_id from session_enrollments where session_id = $1 and student_id is not null
       group by student_id having count(*) > 1) d`,
    [sessionId],
  );
  return {
    counter: session!.current_enrollment,
    capacity: session!.max_capacity,
    enrolled: rows.filter((row) => row.status === 'ENROLLED').map((row) => row.student).sort(),
    waitlist: rows.filter((row) => row.status === 'WAITLISTED').map((row) => row.student),
    positions: rows.filter((row) => row.status === 'WAITLISTED').map((row) => row.waitlist_position as number),
    duplicates: dupes!.n,
    offered: rows.filter((row) => row.offered).map((row) => row.student),
  };
}

/**
 * Who calls in the roster, session and schedule tests: an account of every role (otherAP: the AP of the
 * world's second provider, which holds its other location; IC teaching the world's sessions, IP not), or
 * nobody signed in.
 */
export const everyCaller = ['SA', 'AD', 'AP', 'otherAP', 'IC', 'IP', 'IT', 'IN', 'anon'] as const;
export type WorldCaller = (typeof everyCaller)[number];

/** A roster as the API sends it (timestamps as text). */
export type RosterJson = Omit<RosterRow, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string };

export interface MemberJson {
  id: string;
  roster_id: string;
  student_profile_id: string;
  student_id: string | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  company: string | null;
  enrollment_status: string;
  attendance_status: string;
  completion_status: string;
  practical_score: number | null;
  written_score: number | null;
  version: number;
}

/**
 * The enrollment world (a provider at its location, an IC teaching its sessions, an IP who does not)
 * plus an AD, an IT and an IN with names; its second provider (otherAP's) holds the other location. Every
 * world has its own course, so lists filtered by it hold only this world's rosters.
 */
export interface RosterWorld extends EnrollmentWorld {
  users: Record<Exclude<WorldCaller, 'anon'>, TestUser>;
  /** A real request through the application, as `caller`. */
  call(caller: WorldCaller, method: Exclude<Method, 'PUT'>, url: string, payload?: object | string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** A roster made by SA through the API: at the world's location, taught by its IC, unless fields say otherwise. */
  roster(fields?: Record<string, unknown>): Promise<RosterJson>;
  session(options?: Partial<SessionOptions>): Promise<string>;
}

export async function createRosterWorld(db: Db, app: () => FastifyInstance): Promise<RosterWorld> {
  const base = await createEnrollmentWorld(db);
  await db.query('insert into provider_locations (provider_id, location_id) values ($1, $2)', [base.otherProviderId, base.otherLocationId]);
  const users: RosterWorld['users'] = {
    SA: base.sa,
    AD: await createUser(db, testKeyring, { role: 'AD' }),
    AP: base.ap,
    otherAP: base.otherAp,
    IC: base.instructor,
    IP: base.otherInstructor,
    IT: await createUser(db, testKeyring, { role: 'IT', firstName: 'Tess', lastName: 'Trainee' }),
    IN: await createUser(db, testKeyring, { role: 'IN', firstName: 'Ian', lastName: 'Newcomer' }),
  };
  // The IC works for the world's provider: its AP may make it a roster's instructor, and it may hold rosters at its
  // locations (decision 0023).
  await db.query(`insert into instructor_profiles (user_id, display_name, provider_id) values ($1, 'Test IC', $2)`, [base.instructor.id, base.providerId]);
  const tokens: Map<WorldCaller, string> = await tokensOf(users);
  const call: RosterWorld['call'] = callsAs(app, (caller: WorldCaller) => tokens.get(caller));
  return {
    ...base,
    users,
    call,
    roster: async (fields = {}) => {
      const response = await call('SA', 'POST', '/v1/rosters', {
        name: `Roster ${randomUUID().slice(0, 8)}`, course_id: base.courseId, location_id: base.locationId, provider_id: base.providerId,
        instructor_id: base.instructor.id, ...fields,
      });
      if (response.statusCode !== 201) throw new Error(`creating a roster failed with ${response.statusCode}: ${response.body}`);
      return response.json<RosterJson>();
    },
    session: (options = {}) => createSession(db, base, { capacity: 10, ...options }),
  };
}

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
  const call: CertificateWorld['call'] = callsAs(app, (token: string) => token);
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
  users: Record<Exclude<WorldCaller, 'anon'>, TestUser>;
  /** The database's today in Europe/Paris, the zone of both locations. */
  today: string;
  call(caller: WorldCaller, method: Exclude<Method, 'DELETE'>, url: string, payload?: object, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

/** A course with a unique code, as the owner; a published or archived one has its first version. */
export async function insertCourse(db: Db, title: string, status: 'DRAFT' | 'PUBLISHED' | 'ARCHIVED'): Promise<string> {
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
  const { rows: locations } = await db.query<{ id: string }>(
    "insert into locations (name, country, timezone) values ('Paris rooms', 'FR', 'Europe/Paris'), ('Lyon rooms', 'FR', 'Europe/Paris') returning id",
  );
  const providerId = await insertProvider(db, locations[0]!.id);
  const otherProviderId = await insertProvider(db, locations[1]!.id);
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
  const tokens: Map<WorldCaller, string> = await tokensOf(users);
  return {
    providerId,
    locationId: locations[0]!.id,
    otherLocationId: locations[1]!.id,
    courseId: await insertCourse(db, 'First aid at work', 'PUBLISHED'),
    draftCourseId: await insertCourse(db, 'Unfinished course', 'DRAFT'),
    archivedCourseId: await insertCourse(db, 'Retired course', 'ARCHIVED'),
    users,
    today: (await db.query<{ today: string }>("select to_char(now() at time zone 'Europe/Paris', 'YYYY-MM-DD') as today")).rows[0]!.today,
    call: callsAs(app, (caller: WorldCaller) => tokens.get(caller)),
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

/** Who calls in the course tests: one account of every role, or nobody signed in. */
export type CourseCaller = Role | 'anon';
export const courseCallers: readonly CourseCaller[] = [...roles, 'anon'];
export const nonAdmins = ['AP', 'IC', 'IP', 'IT', 'IN'] as const satisfies readonly Role[];

export interface CoursesWorld {
  /** A real request through the application, as `caller`. */
  call(caller: CourseCaller, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** A new draft course made by an administrator through the API; fields override the defaults. */
  draft(fields?: Record<string, unknown>): Promise<CourseJson>;
  /** A status change (`publish`, `unpublish`, `archive`) by an administrator at the course's current version. */
  transition(course: { id: string }, transition: 'publish' | 'unpublish' | 'archive'): Promise<CourseJson>;
  /** An administrator's edit of the working copy at its current version. */
  edit(course: { id: string }, fields: Record<string, unknown>): Promise<CourseJson>;
}

export interface CourseJson {
  id: string;
  code: string;
  title: string;
  status: string;
  version: number;
  published_version: number | null;
  has_unpublished_changes: boolean | null;
  [field: string]: unknown;
}

/** Accounts of every role on `db`, and helpers that drive the course API of `app` (read both lazily: set in beforeAll). */
export async function createCoursesWorld(db: Db, app: () => FastifyInstance): Promise<CoursesWorld> {
  const users = {} as Record<Role, TestUser>;
  for (const role of roles) users[role] = await createUser(db, testKeyring, { role });
  const tokens: Map<CourseCaller, string> = await tokensOf(users);
  const call: CoursesWorld['call'] = callsAs(app, (caller: CourseCaller) => tokens.get(caller));
  const expectOk = (response: LightMyRequestResponse, what: string): CourseJson => {
    if (response.statusCode >= 300) throw new Error(`${what} failed with ${response.statusCode}: ${response.body}`);
    return response.json<CourseJson>();
  };
  const current = async (id: string) => expectOk(await call('SA', 'GET', `/v1/courses/${id}`), 'reading a course');
  return {
    call,
    draft: async (fields = {}) =>
      expectOk(await call('AD', 'POST', '/v1/courses', { code: `C-${randomUUID().slice(0, 8)}`, title: 'Basic Life Support', duration_minutes: 240, ...fields }), 'creating a course'),
    transition: async ({ id }, transition) =>
      expectOk(await call('SA', 'POST', `/v1/courses/${id}/${transition}`, { version: (await current(id)).version }), transition),
    edit: async ({ id }, fields) => expectOk(await call('AD', 'PATCH', `/v1/courses/${id}`, { ...fields, version: (await current(id)).version }), 'editing a course'),
  };
}
