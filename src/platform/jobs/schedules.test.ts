import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { refreshAnalyticsHandler, refreshAnalyticsJob } from '../../domains/reports/index.js';
import { createDispatcher } from './dispatcher.js';
import { createScheduler, type ScheduledJob } from './schedules.js';
import { testLogger } from '../../../test/logger.js';

// Real: the database (job_schedules, jobs, the analytics views). The clock is a variable the test moves:
// no test waits for a slot to come.
let database: TestDatabase;

beforeAll(async () => {
  database = await createMigratedDatabase();
});
afterAll(async () => {
  await database?.drop();
});

function movableClock(start: string) {
  let now = new Date(start);
  return { now: () => now, set: (at: string) => (now = new Date(at)) };
}

async function slotJobs(schedule: string): Promise<string[]> {
  const { rows } = await database.db.query<{ idempotency_key: string }>(
    `select idempotency_key from jobs where idempotency_key like $1 order by idempotency_key`, [`schedule:${schedule}:%`]);
  return rows.map((row) => row.idempotency_key);
}

describe('cron schedules in the worker', () => {
  it('starts counting at first sight, queues each slot once, and catches up after downtime with one job', async () => {
    const schedule: ScheduledJob = { name: 'quarter-hourly', cron: '*/15 * * * *', handler: 'test.nothing' };
    const clock = movableClock('2030-01-01T10:07:00Z');
    const scheduler = createScheduler(database.db, [schedule], { timezone: 'UTC', now: clock.now }, testLogger);
    expect(await scheduler.enqueueDue()).toBe(0);
    expect(scheduler.due()).toBe(false);
    clock.set('2030-01-01T10:14:59Z');
    expect(scheduler.due()).toBe(false);
    clock.set('2030-01-01T10:15:00Z');
    expect(scheduler.due()).toBe(true);
    expect(await scheduler.enqueueDue()).toBe(1);
    expect(await scheduler.enqueueDue()).toBe(0);
    // Down from 10:20 to 13:02: the slots 10:30 … 13:00 are missed; one job, for the latest, covers them.
    clock.set('2030-01-01T13:02:00Z');
    const restarted = createScheduler(database.db, [schedule], { timezone: 'UTC', now: clock.now }, testLogger);
    expect(restarted.due()).toBe(true);
    expect(await restarted.enqueueDue()).toBe(1);
    expect(await slotJobs('quarter-hourly')).toEqual(['schedule:quarter-hourly:2030-01-01T10:15:00.000Z', 'schedule:quarter-hourly:2030-01-01T13:00:00.000Z']);
  });

  it('queues a slot once when several workers find it due at the same moment', async () => {
    const schedule: ScheduledJob = { name: 'raced', cron: '0 * * * *', handler: 'test.nothing' };
    const clock = movableClock('2030-01-01T10:30:00Z');
    const workers = Array.from({ length: 4 }, () => createScheduler(database.db, [schedule], { timezone: 'UTC', now: clock.now }, testLogger));
    await workers[0]!.enqueueDue();
    clock.set('2030-01-01T11:00:01Z');
    const queued = await Promise.all(workers.map((worker) => worker.enqueueDue()));
    expect(queued.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(await slotJobs('raced')).toEqual(['schedule:raced:2030-01-01T11:00:00.000Z']);
  });

  it('reads the expression in the configured time zone', async () => {
    const schedule: ScheduledJob = { name: 'london-two-am', cron: '0 2 * * *', handler: 'test.nothing' };
    const clock = movableClock('2030-07-01T00:00:00Z');
    const scheduler = createScheduler(database.db, [schedule], { timezone: 'Europe/London', now: clock.now }, testLogger);
    await scheduler.enqueueDue();
    // 02:00 in London in July is 01:00 UTC.
    clock.set('2030-07-01T01:00:00Z');
    expect(await scheduler.enqueueDue()).toBe(1);
    expect(await slotJobs('london-two-am')).toEqual(['schedule:london-two-am:2030-07-01T01:00:00.000Z']);
  });

  it('runs the analytics refresh it queues: the views take the new rows and say when', async () => {
    const { db } = database;
    const before = (await db.query<{ refreshed_at: Date }>(`select refreshed_at from analytics_refreshes where view_name = 'enrollment_figures_by_month'`)).rows[0]!.refreshed_at;
    await db.transaction(async (tx) => {
      await tx.query(`insert into locations (id, name, country) values ('00000000-0000-4000-a000-000000000001', 'Refresh test', 'GB')`);
      await tx.query(`insert into users (id, email_ciphertext, email_hmac, role, password_hash) values ('00000000-0000-4000-a000-000000000002', 'x', 'refresh-test-hmac', 'IC', null)`);
      await tx.query(`insert into courses (id, code, title, duration_minutes) values ('00000000-0000-4000-a000-000000000003', 'REFRESH-1', 'Refresh', 60)`);
      await tx.query(`insert into training_sessions (id, title, course_id, instructor_id, location_id, session_date, start_time, end_time, max_capacity)
                      values ('00000000-0000-4000-a000-000000000004', 'S', '00000000-0000-4000-a000-000000000003', '00000000-0000-4000-a000-000000000002',
                              '00000000-0000-4000-a000-000000000001', '2030-01-15', '09:00', '10:00', 5)`);
    });
    const clock = movableClock('2030-01-01T10:30:00Z');
    const schedule: ScheduledJob = { name: 'analytics-refresh-test', cron: '0 * * * *', handler: refreshAnalyticsJob };
    const scheduler = createScheduler(db, [schedule], { timezone: 'UTC', now: clock.now }, testLogger);
    await scheduler.enqueueDue();
    clock.set('2030-01-01T11:00:00Z');
    const dispatcher = createDispatcher(db, [refreshAnalyticsHandler({ logger: testLogger })], testLogger, {
      pollMs: 10, batchSize: 20, leaseMs: 60_000, backoffBaseMs: 1, backoffMaxMs: 1, scheduler,
    });
    // The earlier tests queued jobs of a handler no worker has: they fail and are retried meanwhile.
    await dispatcher.drain();
    const { rows: [job] } = await db.query<{ status: string }>(`select status from jobs where idempotency_key = 'schedule:analytics-refresh-test:2030-01-01T11:00:00.000Z'`);
    expect(job?.status).toBe('SUCCEEDED');
    const after = (await db.query<{ refreshed_at: Date }>(`select refreshed_at from analytics_refreshes where view_name = 'enrollment_figures_by_month'`)).rows[0]!.refreshed_at;
    expect(after.getTime()).toBeGreaterThan(before.getTime());
    const { rows: [taught] } = await db.query<{ sessions_scheduled: number }>(
      `select sessions_scheduled from instructor_figures_by_month where instructor_id = '00000000-0000-4000-a000-000000000002'`);
    expect(taught?.sessions_scheduled).toBe(1);
  });
});
