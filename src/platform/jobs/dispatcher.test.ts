import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { testEngine } from '../../../test/engine.js';
import type { Db, Tx } from '../db/database.js';
import { createLogger } from '../shared/logger.js';
import { createDispatcher, type DispatcherSettings, retryDelayMs } from './dispatcher.js';
import type { JobHandler } from './job-handler.js';
import { type ClaimedJob, completeAndClaim, insertJob, type JobRow, markSucceeded, releaseJobs } from './jobs.repository.js';
import { retryJob } from './jobs.service.js';
import type { Scheduler } from './schedules.js';
import { testLogger } from '../../../test/logger.js';

// A real database; handlers made for the test record each run in a table of their own, so that what
// ran, how often and by which worker is read back with SQL.
let database: TestDatabase;
let db: Db;
const immediately: DispatcherSettings = { pollMs: 10, batchSize: 20, leaseMs: 60_000, backoffBaseMs: 0, backoffMaxMs: 0 };

beforeAll(async () => {
  database = await createMigratedDatabase();
  db = database.db;
  await db.query('create table test_job_runs (job_id uuid not null, worker text not null)');
});
afterAll(async () => {
  await database?.drop();
});

const recordRun = (tx: Tx, job: ClaimedJob) => tx.query('insert into test_job_runs (job_id, worker) values ($1, $2)', [job.id, job.locked_by]);

/** Every attempt of every job, in order: true when it succeeded. Kept in memory, since a failed attempt rolls back. */
const attempts = new Map<string, boolean[]>();

/** Fails while `failing(attempts so far)` says so. */
function handler(name: string, failing: (runs: number) => boolean, eventTypes: string[] = []): JobHandler {
  return {
    name,
    eventTypes,
    async run(tx, job) {
      const runs = attempts.get(job.id) ?? [];
      attempts.set(job.id, runs);
      const fails = failing(runs.length);
      runs.push(!fails);
      if (fails) throw new Error(`run ${runs.length} failed on purpose`);
      await recordRun(tx, job);
    },
  };
}

async function job(id: string): Promise<JobRow> {
  const { rows: [row] } = await db.query<JobRow>('select * from jobs where id = $1', [id]);
  return row!;
}

async function runsOf(id: string): Promise<boolean[]> {
  const { rows: [done] } = await db.query<{ runs: number }>('select count(*)::int as runs from test_job_runs where job_id = $1', [id]);
  const runs = attempts.get(id) ?? [];
  // What the handler saw agrees with what committed: one row per successful attempt.
  expect(done!.runs).toBe(runs.filter(Boolean).length);
  return runs;
}

describe('retryDelayMs', () => {
  it('doubles from the base up to the maximum, keeping at least half and adding up to half at random', () => {
    const settings = { backoffBaseMs: 1_000, backoffMaxMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 10].map((attempt) => retryDelayMs(attempt, settings, () => 0))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    expect([1, 2, 3, 6].map((attempt) => retryDelayMs(attempt, settings, () => 1))).toEqual([1_000, 2_000, 4_000, 30_000]);
    expect(retryDelayMs(3, settings, () => 0.5)).toBe(3_000);
  });
});

describe('queue order', () => {
  it('runs jobs due at the same moment in the order they were queued', async () => {
    const ran: string[] = [];
    const inOrder: JobHandler = { name: 'test.in-order', eventTypes: [], async run(_tx, job) { ran.push(job.id); } };
    const queued: string[] = [];
    for (let index = 0; index < 12; index += 1) queued.push((await insertJob(db, { handler: 'test.in-order' }))!);
    // One moment for all, as jobs queued within one clock tick have: only the queue's own order can tell them apart.
    await db.query("update jobs set run_after = now() - interval '1 second' where id = any($1::uuid[])", [queued]);
    const dispatcher = createDispatcher(db, [inOrder], testLogger, { ...immediately, batchSize: 5 });
    expect(await dispatcher.drain()).toBe(12);
    expect(ran).toEqual(queued);
  });
});

describe('jobs whose handlers share transactions', () => {
  /** Records the transaction each run committed in; a run that fails on purpose writes nothing. */
  const sharing = (name: string, sharesTransaction: boolean, fails: (id: string) => boolean = () => false): JobHandler => ({
    name, eventTypes: [], sharesTransaction,
    async run(tx, job) {
      if (fails(job.id)) throw new Error('failed on purpose');
      await tx.query('insert into test_shared_runs (job_id, txid) values ($1, txid_current())', [job.id]);
    },
  });
  const runs = async (ids: string[]) =>
    (await db.query<{ job_id: string; txid: string }>('select job_id, txid::text from test_shared_runs where job_id = any($1::uuid[])', [ids])).rows;
  const insertJobs = async (handler: string, count: number, maxAttempts = 5) => {
    const ids: string[] = [];
    for (let index = 0; index < count; index += 1) ids.push((await insertJob(db, { handler, maxAttempts }))!);
    return ids;
  };

  beforeAll(async () => {
    await db.query('create table test_shared_runs (job_id uuid not null, txid bigint not null)');
  });

  it('run in one transaction, one commit for all; a job of another handler between them runs alone, in its turn', async () => {
    const first = await insertJobs('test.shared', 3);
    const alone = await insertJobs('test.alone', 1);
    const last = await insertJobs('test.shared', 2);
    const dispatcher = createDispatcher(db, [sharing('test.shared', true), sharing('test.alone', false)], testLogger, immediately);
    expect(await dispatcher.drain()).toBe(6);
    const txidOf = new Map((await runs([...first, ...alone, ...last])).map((run) => [run.job_id, run.txid]));
    expect(txidOf.size).toBe(6);
    expect(new Set(first.map((id) => txidOf.get(id))).size).toBe(1);
    expect(new Set(last.map((id) => txidOf.get(id))).size).toBe(1);
    // Three commits, in the order the jobs were queued.
    const order = [txidOf.get(first[0]!)!, txidOf.get(alone[0]!)!, txidOf.get(last[0]!)!].map(BigInt);
    expect(order[0]! < order[1]! && order[1]! < order[2]!).toBe(true);
    for (const id of [...first, ...alone, ...last]) expect(await job(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1, locked_by: null });
  });

  it('when one fails, nothing of theirs commits together: each runs alone, the others once, the failing one to its end', async () => {
    const ids = await insertJobs('test.shared-failing', 3, 1);
    const failing = ids[1]!;
    const dispatcher = createDispatcher(db, [sharing('test.shared-failing', true, (id) => id === failing)], testLogger, immediately);
    expect(await dispatcher.drain()).toBe(3);
    const committed = await runs(ids);
    expect(committed.map((run) => run.job_id).sort()).toEqual([ids[0]!, ids[2]!].sort());
    expect(new Set(committed.map((run) => run.txid)).size).toBe(2);
    expect(await job(ids[0]!)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(await job(ids[2]!)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(await job(failing)).toMatchObject({ status: 'DEAD', attempts: 1, last_error: 'Error: failed on purpose' });
  });
});

describe('the dispatcher', () => {
  // Two connections: the overtaken run holds its transaction while the other worker finishes the job.
  it.runIf(testEngine === 'postgres')('rolls back the effect of a run whose lease ran out and another worker took over', async () => {
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started = () => undefined as void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const slow: JobHandler = {
      name: 'test.overtaken',
      eventTypes: [],
      async run(tx, job) {
        await recordRun(tx, job);
        started();
        await held;
      },
    };
    const fast: JobHandler = { name: 'test.overtaken', eventTypes: [], run: async (tx, job) => void (await recordRun(tx, job)) };
    const id = (await insertJob(db, { handler: 'test.overtaken', maxAttempts: 5 }))!;
    const overtaken = createDispatcher(db, [slow], testLogger, { ...immediately, leaseMs: 50 });
    const slowRound = overtaken.drain();
    await running;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await createDispatcher(db, [fast], testLogger, immediately).drain();
    release();
    await slowRound;
    const { rows } = await db.query<{ runs: number }>('select count(*)::int as runs from test_job_runs where job_id = $1', [id]);
    expect(rows[0]!.runs).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 2, locked_by: null });
  });

  it('retries a handler that fails three times, and it succeeds on the fourth attempt', async () => {
    const dispatcher = createDispatcher(db, [handler('test.flaky', (runs) => runs < 3)], testLogger, immediately);
    const id = (await insertJob(db, { handler: 'test.flaky', maxAttempts: 5 }))!;
    await dispatcher.drain();
    expect(await runsOf(id)).toEqual([false, false, false, true]);
    expect(await job(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 4, last_error: null, locked_by: null, finished_at: expect.any(Date) });
  });

  it('waits with exponential backoff before the next attempt', async () => {
    const dispatcher = createDispatcher(db, [handler('test.slow-retry', () => true)], testLogger, { ...immediately, backoffBaseMs: 60_000, backoffMaxMs: 600_000 });
    const id = (await insertJob(db, { handler: 'test.slow-retry', maxAttempts: 5 }))!;
    expect(await dispatcher.drain()).toBe(1);
    const { rows: [wait] } = await db.query<{ seconds: number }>('select extract(epoch from run_after - updated_at)::float8 as seconds from jobs where id = $1', [id]);
    expect(await job(id)).toMatchObject({ status: 'FAILED', attempts: 1, last_error: 'Error: run 1 failed on purpose' });
    // First attempt: between half and all of the base.
    expect(wait!.seconds).toBeGreaterThanOrEqual(30);
    expect(wait!.seconds).toBeLessThanOrEqual(60);
    expect(await dispatcher.drain()).toBe(0);
  });

  it('moves a job that always fails to DEAD after max_attempts; an admin retry runs it again', async () => {
    let broken = true;
    const dispatcher = createDispatcher(db, [handler('test.broken', () => broken)], testLogger, immediately);
    const id = (await insertJob(db, { handler: 'test.broken', maxAttempts: 3 }))!;
    await dispatcher.drain();
    expect(await runsOf(id)).toEqual([false, false, false]);
    expect(await job(id)).toMatchObject({ status: 'DEAD', attempts: 3, last_error: 'Error: run 3 failed on purpose', finished_at: expect.any(Date) });
    expect(await dispatcher.drain()).toBe(0);

    broken = false;
    await db.withActor({ userId: randomUUID(), role: 'AD', providerId: null }, (tx) => retryJob(tx, id));
    expect(await job(id)).toMatchObject({ status: 'PENDING', attempts: 0, finished_at: null });
    await dispatcher.drain();
    expect(await runsOf(id)).toEqual([false, false, false, true]);
    expect(await job(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  });

  it('fails a job whose handler this worker does not have, and buries it after its attempts', async () => {
    const dispatcher = createDispatcher(db, [], testLogger, immediately);
    const id = (await insertJob(db, { handler: 'test.nobody', maxAttempts: 2 }))!;
    await dispatcher.drain();
    expect(await job(id)).toMatchObject({ status: 'DEAD', attempts: 2, last_error: 'Error: no handler named "test.nobody" in this worker' });
  });

  it('takes back a job whose lease ran out, and buries one whose lease ran out on its last attempt', async () => {
    const dispatcher = createDispatcher(db, [handler('test.leased', () => false)], testLogger, immediately);
    const retaken = (await insertJob(db, { handler: 'test.leased', maxAttempts: 3 }))!;
    const lost = (await insertJob(db, { handler: 'test.leased', maxAttempts: 1 }))!;
    await db.query(
      `update jobs set status = 'RUNNING', attempts = 1, locked_by = 'dead-worker', locked_until = now() - interval '1 second' where id = any($1::uuid[])`,
      [[retaken, lost]],
    );
    await dispatcher.drain();
    expect(await job(retaken)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(await job(lost)).toMatchObject({ status: 'DEAD', attempts: 1, last_error: 'the lease of the last attempt ran out' });
    expect(await runsOf(lost)).toEqual([]);
  });

  it('tells the handler of a job once when it dies, whether its last attempt failed or its lease ran out on it', async () => {
    const deaths: { id: string; error: string }[] = [];
    const mortal: JobHandler = {
      ...handler('test.mortal', () => true),
      async onDead(tx, dead, error) {
        // In a transaction: what it writes commits.
        await tx.query('insert into test_job_runs (job_id, worker) values ($1, $2)', [dead.id, 'onDead']);
        deaths.push({ id: dead.id, error });
      },
    };
    const failing = (await insertJob(db, { handler: 'test.mortal', maxAttempts: 2 }))!;
    const abandoned = (await insertJob(db, { handler: 'test.mortal', maxAttempts: 1 }))!;
    await db.query(`update jobs set status = 'RUNNING', attempts = 1, locked_by = 'dead-worker', locked_until = now() - interval '1 second' where id = $1`, [abandoned]);
    const dispatcher = createDispatcher(db, [mortal], testLogger, immediately);
    await dispatcher.drain();
    await dispatcher.drain();
    expect(deaths.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [{ id: failing, error: 'Error: run 2 failed on purpose' }, { id: abandoned, error: 'the lease of the last attempt ran out' }].sort((a, b) => a.id.localeCompare(b.id)));
    const { rows } = await db.query<{ job_id: string }>("select job_id from test_job_runs where worker = 'onDead' and job_id = any($1::uuid[])", [[failing, abandoned]]);
    expect(rows).toHaveLength(2);
    expect(await job(failing)).toMatchObject({ status: 'DEAD', attempts: 2 });
  });

  it('logs an onDead hook that fails itself, rolls back what it wrote, and leaves the job dead', async () => {
    const lines: Record<string, unknown>[] = [];
    const watched = createLogger({ logLevel: 'error', logFormat: 'json' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const grave: JobHandler = {
      ...handler('test.grave', () => true),
      async onDead(tx, dead) {
        await tx.query('insert into test_job_runs (job_id, worker) values ($1, $2)', [dead.id, 'onDead']);
        // A real failure of the database inside the hook's transaction.
        await tx.query('insert into test_job_runs (job_id, worker) values ($1, null)', [dead.id]);
      },
    };
    const id = (await insertJob(db, { handler: 'test.grave', maxAttempts: 1 }))!;
    await createDispatcher(db, [grave], watched, immediately).drain();
    expect(await job(id)).toMatchObject({ status: 'DEAD', attempts: 1, last_error: 'Error: run 1 failed on purpose' });
    const { rows } = await db.query("select 1 from test_job_runs where worker = 'onDead' and job_id = $1", [id]);
    expect(rows).toEqual([]);
    expect(lines.filter((line) => line['job'] === id).map((line) => [line['handler'], line['msg'], typeof line['err']])).toEqual([
      ['test.grave', 'the handler of a dead job could not record its death', 'object'],
    ]);
  });

  it('leaves a job leased to a live worker alone', async () => {
    const dispatcher = createDispatcher(db, [handler('test.busy', () => false)], testLogger, immediately);
    const id = (await insertJob(db, { handler: 'test.busy' }))!;
    // An hour: its lease must not run out while the file's later tests claim.
    await db.query(`update jobs set status = 'RUNNING', attempts = 1, locked_by = 'live-worker', locked_until = now() + interval '1 hour' where id = $1`, [id]);
    expect(await dispatcher.drain()).toBe(0);
    expect(await job(id)).toMatchObject({ status: 'RUNNING', locked_by: 'live-worker' });
  });

  it('completes jobs whose handlers sent no statement together, with the next claim, committing no transaction', async () => {
    const ran: string[] = [];
    const silent: JobHandler = { name: 'test.silent', eventTypes: [], run: async (_tx, job) => void ran.push(job.id) };
    const ids = await Promise.all(Array.from({ length: 5 }, () => insertJob(db, { handler: 'test.silent' })));
    let commits = 0;
    const stopCounting = db.onCommit(() => commits++);
    try {
      expect(await createDispatcher(db, [silent], testLogger, { ...immediately, batchSize: 2 }).drain()).toBe(5);
    } finally {
      stopCounting();
    }
    expect(commits).toBe(0);
    expect(ran.sort()).toEqual([...ids].sort());
    for (const id of ids) expect(await job(id!)).toMatchObject({ status: 'SUCCEEDED', attempts: 1, locked_by: null, finished_at: expect.any(Date) });
  });

  it('puts back the batch it claimed ahead when it stops', async () => {
    let runs = 0;
    let stopped!: Promise<void>;
    // The second run is the last of the first batch: its completion claims the next batch, and then the dispatcher stops.
    const stopping: JobHandler = {
      name: 'test.stopping',
      eventTypes: [],
      async run(tx, job) {
        await recordRun(tx, job);
        if (++runs === 2) stopped = dispatcher.stop();
      },
    };
    const ids = await Promise.all(Array.from({ length: 6 }, () => insertJob(db, { handler: 'test.stopping' })));
    const dispatcher = createDispatcher(db, [stopping], testLogger, { ...immediately, batchSize: 2 });
    dispatcher.start();
    await vi.waitFor(() => expect(stopped).toBeDefined());
    await stopped;
    const { rows } = await db.query<{ status: string; attempts: number; locked_by: string | null; jobs: number }>(
      'select status, attempts, locked_by, count(*)::int as jobs from jobs where id = any($1::uuid[]) group by 1, 2, 3 order by 1',
      [ids],
    );
    expect(rows).toEqual([
      { status: 'PENDING', attempts: 0, locked_by: null, jobs: 4 },
      { status: 'SUCCEEDED', attempts: 1, locked_by: null, jobs: 2 },
    ]);
  });

  it('runs in the background until stopped, waking after its poll interval', async () => {
    const dispatcher = createDispatcher(db, [handler('test.background', () => false)], testLogger, immediately);
    dispatcher.start();
    const id = (await insertJob(db, { handler: 'test.background' }))!;
    for (let tries = 0; tries < 500 && (await job(id)).status !== 'SUCCEEDED'; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    await dispatcher.stop();
    expect(await job(id)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await runsOf(id)).toEqual([true]);
  });

  it('holds its first round and its prune at start until firstRoundAfterMs or a wake, and stops while holding', async () => {
    let prunes = 0;
    const prune = { intervalMs: 3_600_000, run: async () => void prunes++ };
    const id = (await insertJob(db, { handler: 'test.held' }))!;
    const dispatcher = createDispatcher(db, [handler('test.held', () => false)], testLogger, { ...immediately, prune });
    // An hour: only the wake below can start the round.
    dispatcher.start({ firstRoundAfterMs: 3_600_000 });
    expect(prunes).toBe(0);
    expect(await job(id)).toMatchObject({ status: 'PENDING', attempts: 0 });
    dispatcher.wake();
    await vi.waitFor(async () => expect(await job(id)).toMatchObject({ status: 'SUCCEEDED' }), { timeout: 10_000 });
    expect(prunes).toBe(1);
    await dispatcher.stop();

    const held = createDispatcher(db, [handler('test.held', () => false)], testLogger, { ...immediately, prune });
    const waiting = (await insertJob(db, { handler: 'test.held' }))!;
    held.start({ firstRoundAfterMs: 3_600_000 });
    await held.stop();
    expect(prunes).toBe(1);
    expect(await job(waiting)).toMatchObject({ status: 'PENDING', attempts: 0 });
  });
});

describe('the relay', () => {
  async function appendEvent(executor: Pick<Db, 'query'>, eventType: string): Promise<string> {
    const { rows: [event] } = await executor.query<{ seq: string }>(
      `insert into domain_events (aggregate_type, aggregate_id, event_type, payload) values ('probe', $1, $2, '{"n": 1}') returning seq::text as seq`,
      [randomUUID(), eventType],
    );
    return event!.seq;
  }

  async function jobsOfEvents(seqs: string[]): Promise<{ handler: string; event_seq: string; idempotency_key: string }[]> {
    const { rows } = await db.query<{ handler: string; event_seq: string; idempotency_key: string }>(
      'select handler, event_seq::text as event_seq, idempotency_key from jobs where event_seq = any($1::bigint[]) order by event_seq, handler',
      [seqs],
    );
    return rows;
  }

  it('queues one job per subscribed handler and event, once, and passes over other events', async () => {
    const dispatcher = createDispatcher(db, [handler('test.a', () => false, ['probe.one', 'probe.two']), handler('test.b', () => false, ['probe.one'])], testLogger, { ...immediately, batchSize: 2 });
    const seqs = [await appendEvent(db, 'probe.one'), await appendEvent(db, 'probe.two'), await appendEvent(db, 'probe.other'), await appendEvent(db, 'probe.one')];
    await dispatcher.drain();
    await dispatcher.drain();
    expect(await jobsOfEvents(seqs)).toEqual([
      { handler: 'test.a', event_seq: seqs[0], idempotency_key: `test.a:${seqs[0]}` },
      { handler: 'test.b', event_seq: seqs[0], idempotency_key: `test.b:${seqs[0]}` },
      { handler: 'test.a', event_seq: seqs[1], idempotency_key: `test.a:${seqs[1]}` },
      { handler: 'test.a', event_seq: seqs[3], idempotency_key: `test.a:${seqs[3]}` },
      { handler: 'test.b', event_seq: seqs[3], idempotency_key: `test.b:${seqs[3]}` },
    ]);
    const { rows } = await db.query<{ status: string }>('select distinct status from jobs where event_seq = any($1::bigint[])', [seqs]);
    expect(rows).toEqual([{ status: 'SUCCEEDED' }]);
  });

  it('copies the event into the job payload', async () => {
    const dispatcher = createDispatcher(db, [handler('test.payload', () => false, ['probe.payload'])], testLogger, immediately);
    const seq = await appendEvent(db, 'probe.payload');
    await dispatcher.drain();
    const { rows: [made] } = await db.query<{ payload: Record<string, unknown> }>('select payload from jobs where event_seq = $1', [seq]);
    expect(made!.payload).toMatchObject({ event_type: 'probe.payload', aggregate_type: 'probe', aggregate_id: expect.any(String), occurred_at: expect.any(String), data: { n: 1 } });
  });

  it.runIf(testEngine === 'postgres')('does not move past a transaction that is still open, and queues it once it commits', async () => {
    const dispatcher = createDispatcher(db, [handler('test.late', () => false, ['probe.late'])], testLogger, immediately);
    let commitLate!: () => void;
    let appendedLate!: (seq: string) => void;
    const lateSeq = new Promise<string>((resolve) => (appendedLate = resolve));
    const late = db.withConnection((connection) => connection.transaction(async (tx) => {
      appendedLate(await appendEvent(tx, 'probe.late'));
      await new Promise<void>((resolve) => (commitLate = resolve));
    }));
    const early = await lateSeq;
    const after = await appendEvent(db, 'probe.late');
    expect(Number(after)).toBeGreaterThan(Number(early));
    await dispatcher.drain();
    // The committed event is queued already; the open one cannot be seen, and the position waits for it.
    expect((await jobsOfEvents([early, after])).map((row) => row.event_seq)).toEqual([after]);
    const { rows: [position] } = await db.query<{ seq: string }>(`select payload ->> 'seq' as seq from jobs where idempotency_key = 'relay.position'`);
    expect(Number(position!.seq)).toBeLessThan(Number(early));
    commitLate();
    await late;
    await dispatcher.drain();
    expect((await jobsOfEvents([early, after])).map((row) => row.event_seq)).toEqual([early, after]);
  });

  it.runIf(testEngine === 'postgres')('reaches past its first batch while an unrelated open transaction holds xmin back', async () => {
    const dispatcher = createDispatcher(db, [handler('test.held', () => false, ['probe.held'])], testLogger, { ...immediately, batchSize: 2 });
    let release!: () => void;
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    // An open transaction with a transaction id, like a long report elsewhere on the server.
    const blocker = db.withConnection((connection) => connection.transaction(async (tx) => {
      await tx.query('select pg_current_xact_id()');
      holding();
      await new Promise<void>((resolve) => (release = resolve));
    }));
    await held;
    try {
      const seqs: string[] = [];
      for (let n = 0; n < 5; n++) seqs.push(await appendEvent(db, 'probe.held'));
      await dispatcher.drain();
      const queued = (await jobsOfEvents(seqs)).map((row) => Number(row.event_seq));
      expect(queued.sort((a, b) => a - b)).toEqual(seqs.map(Number));
    } finally {
      release();
      await blocker;
    }
  });
});

describe('the size of a claim', () => {
  it('follows the pace of the handlers: 20 at first, then as many as run in half a second, up to the batch size', async () => {
    let now = 0;
    let runs = 0;
    const waitingAt = new Map<number, number>();
    const paced: JobHandler = {
      name: 'test.paced',
      eventTypes: [],
      async run(tx, claimed) {
        runs += 1;
        // The first 20 take 100 ms each (by the test's clock), the rest nothing.
        if (runs <= 20) now += 100;
        const { rows: [waiting] } = await tx.query<{ jobs: number }>("select count(*)::int as jobs from jobs where handler = 'test.paced' and status = 'PENDING'");
        waitingAt.set(runs, waiting!.jobs);
        await recordRun(tx, claimed);
      },
    };
    for (let index = 0; index < 130; index += 1) await insertJob(db, { handler: 'test.paced' });
    const dispatcher = createDispatcher(db, [paced], testLogger, { ...immediately, batchSize: 100, clock: () => now });
    expect(await dispatcher.drain()).toBe(130);
    // First claim 20 (110 left waiting); at 100 ms a job the claim ahead takes 5; then the jobs run in no time, and
    // the pace (an average that halves its memory each batch: 50, 25, 12.5 ms) lets the claims grow to 10, 20, 40.
    expect([1, 21, 26, 36, 56].map((run) => waitingAt.get(run))).toEqual([110, 105, 95, 75, 35]);
  });
});

describe('a lease that runs out after a claim ahead', () => {
  const expire = (ids: string[]) => db.query(`update jobs set locked_until = now() - interval '1 second' where id = any($1::uuid[])`, [ids]);

  it('completes the job for the worker that holds it now, not for the one whose lease ran out and was taken over', async () => {
    const id = (await insertJob(db, { handler: 'test.stale', maxAttempts: 3 }))!;
    const first = await completeAndClaim(db, 'worker-a', [], 10, 60_000);
    expect(first.claimed.map((claimed) => claimed.id)).toContain(id);
    await releaseJobs(db, first.claimed.map((claimed) => claimed.id).filter((other) => other !== id), 'worker-a');
    await expire([id]);
    const second = await completeAndClaim(db, 'worker-b', [], 10, 60_000);
    expect(second.claimed).toEqual([expect.objectContaining({ id, attempts: 2, locked_by: 'worker-b' })]);

    // The stale holder's completion, alone or with its next claim, completes nothing; the new holder's does.
    expect(await db.transaction((tx) => markSucceeded(tx, [id], 'worker-a'))).toBe(0);
    expect((await completeAndClaim(db, 'worker-a', [id], 0, 60_000)).completed).toBe(0);
    expect(await job(id)).toMatchObject({ status: 'RUNNING', attempts: 2, locked_by: 'worker-b' });
    expect((await completeAndClaim(db, 'worker-b', [id], 0, 60_000)).completed).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 2, locked_by: null });
  });

  it('still completes a job whose lease ran out while nobody took it over: its holder ran it', async () => {
    const id = (await insertJob(db, { handler: 'test.late-but-held' }))!;
    const claim = await completeAndClaim(db, 'worker-c', [], 10, 60_000);
    await releaseJobs(db, claim.claimed.map((claimed) => claimed.id).filter((other) => other !== id), 'worker-c');
    await expire([id]);
    expect((await completeAndClaim(db, 'worker-c', [id], 0, 60_000)).completed).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  });

  it('rolls back what a stale holder wrote when another worker took its claimed-ahead jobs over and ran them', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 4; index += 1) ids.push((await insertJob(db, { handler: 'test.taken-over' }))!);
    let takeOver: (() => Promise<void>) | null = null;
    let runs = 0;
    const writing: JobHandler = {
      name: 'test.taken-over',
      eventTypes: [],
      async run(tx, claimed) {
        await recordRun(tx, claimed);
        // The last of the first batch: its completion claims the other two ahead, and before the next round runs them
        // their lease runs out and another worker takes them and runs them.
        if (++runs === 2) {
          takeOver = async () => {
            await db.query(`update jobs set locked_until = now() - interval '1 second' where locked_by = $1 and status = 'RUNNING'`, [stale.workerId]);
            expect(await createDispatcher(db, [writing], testLogger, immediately).runOnce()).toBe(2);
          };
        }
      },
    };
    // The start of each round is where a scheduler queues its jobs: the moment between the claim ahead and its run.
    const scheduler: Scheduler = {
      due: () => takeOver !== null,
      async enqueueDue() {
        const now = takeOver;
        takeOver = null;
        await now?.();
        return 0;
      },
    };
    const stale = createDispatcher(db, [writing], testLogger, { ...immediately, batchSize: 2, scheduler });
    await stale.drain();
    const { rows } = await db.query<{ job_id: string; worker: string }>('select job_id, worker from test_job_runs where job_id = any($1::uuid[])', [ids]);
    const byJob = new Map(rows.map((row) => [row.job_id, row.worker]));
    expect(rows).toHaveLength(4);
    expect([byJob.get(ids[0]!), byJob.get(ids[1]!)]).toEqual([stale.workerId, stale.workerId]);
    expect([byJob.get(ids[2]!), byJob.get(ids[3]!)].every((worker) => worker !== stale.workerId)).toBe(true);
    for (const [index, id] of ids.entries()) expect(await job(id)).toMatchObject({ status: 'SUCCEEDED', attempts: index < 2 ? 1 : 2, locked_by: null });
  });

  it('puts claimed-ahead jobs back when half their lease went by before their turn, and runs them afterwards, each once', async () => {
    const lines: Record<string, unknown>[] = [];
    const watched = createLogger({ logLevel: 'warn', logFormat: 'json' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    let now = 0;
    let runs = 0;
    const slow: JobHandler = {
      name: 'test.slow-batch',
      eventTypes: [],
      async run(tx, claimed) {
        await recordRun(tx, claimed);
        // The last of the first batch takes most of the lease: the batch its completion claims ahead is late.
        if (++runs === 2) now += 40_000;
      },
    };
    const ids: string[] = [];
    for (let index = 0; index < 4; index += 1) ids.push((await insertJob(db, { handler: 'test.slow-batch' }))!);
    const dispatcher = createDispatcher(db, [slow], watched, { ...immediately, batchSize: 2, leaseMs: 60_000, clock: () => now });
    expect(await dispatcher.drain()).toBe(4);
    // Each ran once, and the attempt of the first claim ahead was given back.
    for (const id of ids) expect(await job(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1, locked_by: null });
    const { rows } = await db.query<{ job_id: string }>('select job_id from test_job_runs where job_id = any($1::uuid[])', [ids]);
    expect(rows.map((row) => row.job_id).sort()).toEqual([...ids].sort());
    // The claim ahead took one job: the pace of the first batch (20 s a job) fills a batch's time with one.
    expect(lines.map((line) => [line['msg'], line['jobs']])).toEqual([['half the lease of claimed jobs went by before their turn; they go back to the queue', 1]]);
  });

  it('stops even when the claimed-ahead jobs cannot be put back: they run again once their lease has run out', async () => {
    // A real failure of the database, for this handler's jobs only: taking a running job back to waiting is refused.
    await db.exec(`
      create function test_refuse_release() returns trigger language plpgsql as $$
      begin
        if new.handler = 'test.unreleasable' and old.status = 'RUNNING' and new.status = 'PENDING' then raise exception 'release refused on purpose'; end if;
        return new;
      end $$;
      create trigger test_refuse_release before update on jobs for each row execute function test_refuse_release();`);
    try {
      const lines: Record<string, unknown>[] = [];
      const watched = createLogger({ logLevel: 'error', logFormat: 'json' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
      let runs = 0;
      let stopped!: Promise<void>;
      const stopping: JobHandler = {
        name: 'test.unreleasable',
        eventTypes: [],
        async run(tx, claimed) {
          await recordRun(tx, claimed);
          if (++runs === 2) stopped = dispatcher.stop();
        },
      };
      const ids: string[] = [];
      for (let index = 0; index < 6; index += 1) ids.push((await insertJob(db, { handler: 'test.unreleasable' }))!);
      const dispatcher = createDispatcher(db, [stopping], watched, { ...immediately, batchSize: 2 });
      dispatcher.start();
      await vi.waitFor(() => expect(stopped).toBeDefined());
      await expect(stopped).resolves.toBeUndefined();
      expect(lines.map((line) => [line['msg'], line['worker']])).toEqual([
        ['could not put back the jobs claimed ahead; they run again when their lease runs out', dispatcher.workerId],
      ]);
      const states = async () => (await db.query<{ status: string; attempts: number; jobs: number }>(
        'select status, attempts, count(*)::int as jobs from jobs where id = any($1::uuid[]) group by 1, 2 order by 1, 2',
        [ids],
      )).rows;
      expect(await states()).toEqual([
        { status: 'PENDING', attempts: 0, jobs: 2 },
        { status: 'RUNNING', attempts: 1, jobs: 2 },
        { status: 'SUCCEEDED', attempts: 1, jobs: 2 },
      ]);
      await expire(ids);
      expect(await createDispatcher(db, [{ ...stopping, run: (tx, claimed) => recordRun(tx, claimed).then(() => undefined) }], testLogger, immediately).drain()).toBe(4);
      expect(await states()).toEqual([
        { status: 'SUCCEEDED', attempts: 1, jobs: 4 },
        { status: 'SUCCEEDED', attempts: 2, jobs: 2 },
      ]);
      const { rows } = await db.query<{ runs: number }>('select count(*)::int as runs from test_job_runs where job_id = any($1::uuid[])', [ids]);
      expect(rows[0]!.runs).toBe(6);
    } finally {
      await db.exec('drop trigger test_refuse_release on jobs; drop function test_refuse_release()');
    }
  });
});

describe.runIf(testEngine === 'postgres')('two dispatchers on one PostgreSQL', () => {
  it('never run the same job twice', async () => {
    const slowly: JobHandler = {
      name: 'test.contended',
      eventTypes: [],
      async run(tx, job) {
        await tx.query('select pg_sleep(0.002)');
        await recordRun(tx, job);
      },
    };
    const ids = await Promise.all(Array.from({ length: 200 }, () => insertJob(db, { handler: 'test.contended' })));
    const first = createDispatcher(db, [slowly], testLogger, { ...immediately, batchSize: 5 });
    const second = createDispatcher(db, [slowly], testLogger, { ...immediately, batchSize: 5 });
    const [byFirst, bySecond] = await Promise.all([first.drain(), second.drain()]);
    expect(byFirst + bySecond).toBe(200);
    const { rows } = await db.query<{ runs: number; workers: number; succeeded: number }>(
      `select count(*)::int as runs, count(distinct worker)::int as workers,
              (select count(*)::int from jobs where id = any($1::uuid[]) and status = 'SUCCEEDED') as succeeded
         from test_job_runs where job_id = any($1::uuid[])`,
      [ids],
    );
    expect(rows[0]).toEqual({ runs: 200, workers: 2, succeeded: 200 });
    const { rows: twice } = await db.query('select job_id from test_job_runs group by job_id having count(*) > 1');
    expect(twice).toEqual([]);
  });
});
