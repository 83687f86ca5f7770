import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Db } from '../src/platform/db/database.js';

/** A database of its own on the server `serverUrl` names, dropped at the end: benchmarks write many rows. */
export async function withScratchDatabase(serverUrl: string, fn: (url: string) => Promise<void>): Promise<void> {
  const name = `unitrain_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    await fn(url.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** `count` sessions with room for everyone, one a day (an instructor teaches one session at a time), taught by `instructorId` at one new location, and `students` student profiles, written as the owner. */
export async function createBenchSessionsAndStudents(
  db: Db,
  options: { instructorId: string; courseCode: string; sessions: number; students: number },
): Promise<{ sessions: string[]; students: string[] }> {
  const { rows: [place] } = await db.query<{ location: string; course: string }>(
    `with location as (insert into locations (name, city, country) values ('Bench Hall', 'Leeds', 'GB') returning id),
          course as (insert into courses (code, title, duration_minutes) values ($1, 'Benchmark', 60) returning id)
     select location.id as location, course.id as course from location, course`,
    [options.courseCode],
  );
  const { rows: sessions } = await db.query<{ id: string }>(
    `insert into training_sessions (title, course_id, instructor_id, location_id, session_date, start_time, end_time, max_capacity)
     select 'Benchmark ' || n, $1, $2, $3, current_date + 30 + n, '09:00', '10:00', 1000000 from generate_series(1, $4::integer) n
     returning id`,
    [place?.course, options.instructorId, place?.location, options.sessions],
  );
  const { rows: profiles } = await db.query<{ id: string }>(
    `insert into student_enrollment_profiles (first_name, last_name) select 'Student', n::text from generate_series(1, $1::integer) n returning id`,
    [options.students],
  );
  return { sessions: sessions.map((row) => row.id), students: profiles.map((row) => row.id) };
}
