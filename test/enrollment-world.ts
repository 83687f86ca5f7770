import { randomUUID } from 'node:crypto';
import type { Db } from '../src/platform/db/database.js';
import { createFieldCipher, normaliseEmail } from '../src/platform/security/field-cipher.js';
import { createUser, mintAccessToken, testKeyring, type TestUser } from './auth.js';

/**
 * One provider with one location, its AP, an instructor and a course: enough to hold sessions for
 * enrollment tests. Besides, a user of every other role: an AD, the AP of another provider (who does
 * not hold the location), an instructor with no sessions and a trainee (IT).
 */
export interface EnrollmentWorld {
  providerId: string;
  locationId: string;
  otherLocationId: string;
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
  const suffix = randomUUID();
  const { rows: [provider] } = await db.query<{ id: string }>('insert into authorized_providers (name) values ($1) returning id', [`Provider ${suffix}`]);
  const { rows: locations } = await db.query<{ id: string }>(
    "insert into locations (name, country) values ('Own hall', 'GB'), ('Elsewhere', 'GB') returning id",
  );
  const providerId = provider!.id;
  const locationId = locations[0]!.id;
  const otherLocationId = locations[1]!.id;
  await db.query('insert into provider_locations (provider_id, location_id) values ($1, $2)', [providerId, locationId]);
  const { rows: [course] } = await db.query<{ id: string }>(
    "insert into courses (code, title, duration_minutes) values ($1, 'First aid', 60) returning id",
    [`FA-${suffix}`],
  );
  const { rows: [otherProvider] } = await db.query<{ id: string }>('insert into authorized_providers (name) values ($1) returning id', [`Other ${suffix}`]);
  const sa = await createUser(db, testKeyring, { role: 'SA' });
  const ad = await createUser(db, testKeyring, { role: 'AD' });
  const ap = await createUser(db, testKeyring, { role: 'AP', providerId });
  const otherAp = await createUser(db, testKeyring, { role: 'AP', providerId: otherProvider!.id });
  const instructor = await createUser(db, testKeyring, { role: 'IC' });
  const otherInstructor = await createUser(db, testKeyring, { role: 'IP' });
  const trainee = await createUser(db, testKeyring, { role: 'IT' });
  const token = (user: TestUser) => mintAccessToken(testKeyring, { userId: user.id, role: user.role });
  return {
    providerId, locationId, otherLocationId, courseId: course!.id, sa, ad, ap, otherAp, instructor, otherInstructor, trainee,
    tokens: {
      sa: await token(sa), ad: await token(ad), ap: await token(ap), otherAp: await token(otherAp),
      instructor: await token(instructor), otherInstructor: await token(otherInstructor), trainee: await token(trainee),
    },
  };
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
