import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { testEngine } from '../../../test/engine.js';
import { openTransaction } from '../../../test/open-transaction.js';
import type { Db, Queryable } from '../db/database.js';
import { createDispatcher, type DispatcherSettings } from './dispatcher.js';
import type { JobHandler } from './job-handler.js';
import { insertJob, type JobStatus } from './jobs.repository.js';
import { listJobs, retryJob } from './jobs.service.js';
import { pruneJobs, scheduledPrune, scheduledPruneLockKey } from './prune.js';
import { until } from '../../../test/until.js';
import { testLogger } from '../../../test/logger.js';

// A real database; jobs are made by the real relay and dispatcher, or queued directly, then aged by
// backdating finished_at as the owner.
let database: TestDatabase;
let db: Db;
const immediately: DispatcherSettings = { pollMs: 10, batchSize: 20, leaseMs: 60_000, backoffBaseMs: 0, backoffMaxMs: 0 };
const quietly: JobHandler = { name: 'test.prune', eventTypes: ['probe.prune'], run: async () => {} };
const dispatcher = () => createDispatcher(db, [quietly], testLogger, immediately);

beforeAll(async () => {
  database = await createMigratedDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.drop();
});

async function appendEvent(executor: Queryable): Promise<string> {
  const { rows: [event] } = await executor.query<{ seq: string }>(
    `insert into domain_events (aggregate_type, aggregate_id, event_type, payload) values ('probe', $1, 'probe.prune', '{}') returning seq::text as seq`,
    [randomUUID()],
  );
  return event!.seq;
}

/** Relays until the position has passed `seq` (on PostgreSQL, other work on the server can hold xmin back for a while). */
async function relayPast(seq: string): Promise<void> {
  for (let tries = 0; tries < 1_500; tries++) {
    await dispatcher().drain();
    const { rows: [passed] } = await db.query<{ passed: boolean }>(
      `select (e.txid, e.seq) <= ((p.payload ->> 'txid')::xid8, (p.payload ->> 'seq')::bigint) as passed
         from domain_events e, jobs p where e.seq = $1 and p.idempotency_key = 'relay.position'`,
      [seq],
    );
    if (passed!.passed) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the relay never passed event ${seq}`);
}

async function jobOfEvent(seq: string): Promise<string> {
  const { rows: [job] } = await db.query<{ id: string }>('select id from jobs where event_seq = $1', [seq]);
  return job!.id;
}

async function age(id: string, status: JobStatus, daysAgo: number): Promise<void> {
  await db.query(`update jobs set status = $2, finished_at = now() - make_interval(days => $3) where id = $1`, [id, status, daysAgo]);
}

async function remaining(ids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('select id from jobs where id = any($1::uuid[])', [ids]);
  return ids.filter((id) => rows.some((row) => row.id === id));
}

async function jobCountOfEvents(seqs: string[]): Promise<number> {
  const { rows: [count] } = await db.query<{ jobs: number }>('select count(*)::int as jobs from jobs where event_seq = any($1::bigint[])', [seqs]);
  return count!.jobs;
}

describe('pruneJobs', () => {
  it('deletes old succeeded jobs the relay has passed, and keeps dead, waiting, failed and recent ones and the system rows', async () => {
    const events = [await appendEvent(db), await appendEvent(db), await appendEvent(db)];
    await relayPast(events[2]!);
    const [oldEventJob, recentEventJob, deadEventJob] = await Promise.all(events.map(jobOfEvent));
    await age(oldEventJob!, 'SUCCEEDED', 15);
    await age(deadEventJob!, 'DEAD', 400);
    const direct = await Promise.all(['old', 'pending', 'failed', 'recent'].map(async (name) => (await insertJob(db, { handler: `test.${name}` }))!));
    const [oldDirect, pending, failed, recentDirect] = direct;
    await age(oldDirect!, 'SUCCEEDED', 15);
    await db.query(`update jobs set created_at = now() - interval '400 days', run_after = now() + interval '1 day' where id = $1`, [pending]);
    await db.query(`update jobs set status = 'FAILED', attempts = 1, created_at = now() - interval '400 days' where id = $1`, [failed]);
    await age(recentDirect!, 'SUCCEEDED', 13);
    const { rows: systemRows } = await db.query<{ idempotency_key: string }>(
      `update jobs set finished_at = now() - interval '400 days' where queue = 'system' returning idempotency_key`,
    );
    expect(systemRows.map((row) => row.idempotency_key).sort()).toEqual(['change_log.pruned_through', 'relay.position']);

    expect(await pruneJobs(db, { olderThanDays: 14 })).toBe(2);
    expect(await remaining([oldEventJob!, recentEventJob!, deadEventJob!, ...direct])).toEqual([recentEventJob, deadEventJob, pending, failed, recentDirect]);
    const { rows: kept } = await db.query(`select 1 from jobs where queue = 'system'`);
    expect(kept).toHaveLength(2);

    // The relay has passed the event of the deleted job: it does not queue it again.
    await dispatcher().drain();
    expect(await jobCountOfEvents([events[0]!])).toBe(0);
  });

  it('keeps an old succeeded job whose event is still ahead of the relay position, until the relay passes it', async () => {
    // What the relay does while xmin is held back: queue a committed event ahead of its position (a
    // PostgreSQL test below holds xmin back for real).
    const seq = await appendEvent(db);
    const id = (await insertJob(db, { handler: 'test.prune', idempotencyKey: `test.prune:${seq}` }))!;
    await db.query('update jobs set event_seq = $2 where id = $1', [id, seq]);
    await age(id, 'SUCCEEDED', 30);
    expect(await pruneJobs(db, { olderThanDays: 14 })).toBe(0);

    await relayPast(seq);
    expect(await jobCountOfEvents([seq])).toBe(1);
    expect(await pruneJobs(db, { olderThanDays: 14 })).toBe(1);
    await dispatcher().drain();
    expect(await jobCountOfEvents([seq])).toBe(0);
  });

  it.runIf(testEngine === 'postgres')('keeps the job of an event relayed while xmin is held back, and never runs that event twice', async () => {
    // A transaction with a txid, like a long report elsewhere on the server.
    const blocker = await openTransaction(db, (tx) => tx.query('select pg_current_xact_id()'));
    let seq: string;
    try {
      seq = await appendEvent(db);
      await dispatcher().drain();
      await age(await jobOfEvent(seq), 'SUCCEEDED', 30);
      expect(await pruneJobs(db, { olderThanDays: 14 })).toBe(0);
      await dispatcher().drain();
      expect(await jobCountOfEvents([seq])).toBe(1);
    } finally {
      await blocker.commit();
    }
    await relayPast(seq);
    expect(await pruneJobs(db, { olderThanDays: 14 })).toBe(1);
    await dispatcher().drain();
    expect(await jobCountOfEvents([seq])).toBe(0);
  });

  it('deletes in batches until none is left', async () => {
    const { rows } = await db.query<{ id: string }>(
      `insert into jobs (handler, status, finished_at) select 'test.bulk', 'SUCCEEDED', now() - interval '20 days' from generate_series(1, 2500) returning id`,
    );
    expect(await pruneJobs(db, { olderThanDays: 14 })).toBe(2_500);
    expect(await remaining(rows.map((row) => row.id))).toEqual([]);
  });
});

describe('the system rows', () => {
  it('are never listed nor retried', async () => {
    const { rows } = await db.query<{ id: string }>(`update jobs set status = 'DEAD' where queue = 'system' returning id`);
    try {
      const page = await listJobs(db, { limit: 200 });
      expect(page.items.filter((job) => rows.some((row) => row.id === job.id))).toEqual([]);
      for (const row of rows) await expect(retryJob(db, row.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await db.query(`update jobs set status = 'SUCCEEDED' where queue = 'system'`);
    }
  });
});

describe('the scheduled prune', () => {
  const retention = { changeLogHours: 24, jobDays: 14, pruneIntervalMs: 200 };

  async function logOldChange(): Promise<string> {
    // An explicit small txid: a transaction that ended long ago, below xmin whatever else runs.
    const { rows: [row] } = await db.query<{ seq: string }>(
      `insert into change_log (txid, table_name, operation, row_id, changed_at)
       values ('5'::xid8, 'courses', 'UPDATE', gen_random_uuid(), now() - interval '2 days') returning seq::text as seq`,
    );
    return row!.seq;
  }

  async function logged(seq: string): Promise<boolean> {
    const { rows } = await db.query('select 1 from change_log where seq = $1', [seq]);
    return rows.length > 0;
  }

  it('runs when the dispatcher starts and again every interval, until it stops', async () => {
    const first = await logOldChange();
    const background = createDispatcher(db, [], testLogger, { ...immediately, prune: scheduledPrune(db, retention, testLogger) });
    background.start();
    try {
      await until(async () => !(await logged(first)), 'the first prune');
      const second = await logOldChange();
      await until(async () => !(await logged(second)), 'the prune an interval later');
    } finally {
      await background.stop();
    }
    const third = await logOldChange();
    await new Promise((resolve) => setTimeout(resolve, 3 * retention.pruneIntervalMs));
    expect(await logged(third)).toBe(true);
  });

  it.runIf(testEngine === 'postgres')('skips its turn while another process holds the prune lock', async () => {
    const seq = await logOldChange();
    const hook = scheduledPrune(db, retention, testLogger);
    await db.withConnection(async (otherProcess) => {
      await otherProcess.query('select pg_advisory_lock($1)', [scheduledPruneLockKey]);
      try {
        await hook.run(new AbortController().signal);
        expect(await logged(seq)).toBe(true);
      } finally {
        await otherProcess.query('select pg_advisory_unlock($1)', [scheduledPruneLockKey]);
      }
    });
    await hook.run(new AbortController().signal);
    expect(await logged(seq)).toBe(false);
  });
});
