import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, createCliTarget, type CliTarget } from '../../../test/cli.js';
import { createEnrollmentWorld, createSession, createStudents } from '../../../test/world.js';
import { testEngine } from '../../../test/engine.js';
import type { Db } from '../db/database.js';
import { until } from '../../../test/until.js';

// Real `unitrain worker` processes on one PostgreSQL database. The test holds a lock the job's insert
// needs, so the worker is caught in the middle of the job when it is killed.
let target: CliTarget;
let db: Db;

beforeAll(async () => {
  if (testEngine !== 'postgres') return;
  target = await createCliTarget('worker');
  db = target.database!.db;
});
afterAll(async () => {
  await target?.remove();
});

function startWorker(): { child: ChildProcess; exited: Promise<unknown[]> } {
  const child = spawn(process.execPath, [cliPath, 'worker'], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_FORMAT: 'json', LOG_LEVEL: 'warn', WORKER_POLL_MS: '20', ...target.env },
    stdio: 'ignore',
  });
  return { child, exited: once(child, 'exit') };
}

describe.runIf(testEngine === 'postgres')('a worker killed in the middle of a job', () => {
  it('leaves the effect exactly once after another worker takes the job over', async () => {
    const world = await createEnrollmentWorld(db);
    const { rows: [requirement] } = await db.query<{ id: string }>(
      `insert into compliance_requirements (code, name, course_id) values ('K-' || gen_random_uuid(), 'Kill test', $1) returning id`, [world.courseId],
    );
    const sessionId = await createSession(db, world, { capacity: 1 });
    const [student] = await createStudents(db, 1);
    const { rows: [enrollment] } = await db.query<{ id: string }>('insert into session_enrollments (session_id, student_id) values ($1, $2) returning id', [sessionId, student]);
    await db.query(
      `insert into domain_events (aggregate_type, aggregate_id, event_type, payload)
       values ('enrollment', $1, 'enrollment.completed', jsonb_build_object('course_id', $2::uuid, 'student_id', $3::uuid, 'completed_at', now()))`,
      [enrollment!.id, world.courseId, student],
    );

    // The record's foreign key check needs a share lock on the requirement: hold it, and the job blocks.
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = db.withConnection((connection) => connection.transaction(async (tx) => {
      await tx.query('select id from compliance_requirements where id = $1 for update', [requirement!.id]);
      locked();
      await new Promise<void>((resolve) => (release = resolve));
    }));
    await isLocked;

    const first = startWorker();
    await until(async () => {
      const { rows } = await db.query(
        `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into compliance_records%'`,
      );
      return rows.length > 0;
    }, 'the first worker to wait on the lock');
    const { rows: [running] } = await db.query<{ id: string; status: string; attempts: number }>(
      `select id, status, attempts from jobs where handler = 'compliance.record-completion'`,
    );
    expect(running).toMatchObject({ status: 'RUNNING', attempts: 1 });
    first.child.kill('SIGKILL');
    await first.exited;
    release();
    await holder;

    // The dead worker's lease would run out after a minute; end it now instead of waiting.
    await db.query(`update jobs set locked_until = now() where id = $1`, [running!.id]);
    const second = startWorker();
    try {
      await until(async () => {
        const { rows: [job] } = await db.query<{ status: string }>('select status from jobs where id = $1', [running!.id]);
        return job!.status === 'SUCCEEDED';
      }, 'the second worker to finish the job');
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    const { rows: records } = await db.query('select status from compliance_records where user_id = $1', [student]);
    expect(records).toEqual([{ status: 'MET' }]);
    const { rows: [done] } = await db.query<{ attempts: number }>('select attempts from jobs where id = $1', [running!.id]);
    expect(done!.attempts).toBe(2);
  });
});
