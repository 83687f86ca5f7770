import { PGlite } from '@electric-sql/pglite';
import type { Db } from '../src/platform/db/database.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { pgliteExtensions, wrapPglite } from '../src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { typeParsers } from '../src/platform/db/type-parsers.js';
import { createDispatcher, defaultDispatcherSettings, type JobHandler } from '../src/platform/jobs/index.js';
import { createLogger } from '../src/platform/shared/logger.js';
import { type Measurement, report } from './report.js';
import { withScratchDatabase } from './scratch.js';

const jobCount = 2_000;
/** The dispatcher's own batch, so that both sides claim the same number of jobs per statement. */
const batchSize = defaultDispatcherSettings.batchSize;
/** Registered only here: the work is the queue's own, nothing else. */
const noop: JobHandler = { name: 'bench.noop', eventTypes: [], run: async () => undefined };
/** The same work declared to act only through its transaction: a round's jobs commit together. */
const sharedNoop: JobHandler = { ...noop, sharesTransaction: true };
const logger = createLogger({ logLevel: 'silent', logFormat: 'json' });

type Mode = 'bare' | 'bare-per-job' | 'dispatcher' | 'dispatcher-shared' | 'bare-2' | 'dispatcher-2' | 'dispatcher-shared-2';
const labels: Record<Mode, string> = {
  bare: `bare: UPDATE … IN (SELECT … SKIP LOCKED LIMIT ${batchSize}), 1 loop`,
  'bare-per-job': `bare: claim ${batchSize}, then a transaction per job, 1 loop`,
  dispatcher: `dispatcher: 1 draining ${jobCount} no-op jobs, a transaction each`,
  'dispatcher-shared': `dispatcher: 1 draining ${jobCount} no-op jobs that share transactions`,
  'bare-2': `bare: UPDATE … IN (SELECT … SKIP LOCKED LIMIT ${batchSize}), 2 loops at once`,
  'dispatcher-2': 'dispatcher: 2 draining at once, a transaction each',
  'dispatcher-shared-2': 'dispatcher: 2 draining at once, sharing transactions',
};
const baselineOf: Partial<Record<Mode, Mode>> = {
  'bare-per-job': 'bare', dispatcher: 'bare', 'dispatcher-shared': 'bare', 'dispatcher-2': 'bare-2', 'dispatcher-shared-2': 'bare-2',
};
/**
 * Each mode twice, mirrored, so that drift over the run hits all alike, after one round of each that
 * is not counted (the first of each mode is run twice). Two at once only on PostgreSQL: the embedded engine has one connection.
 */
const serverRounds: Mode[] = [
  'bare', 'bare-per-job', 'dispatcher', 'dispatcher-shared', 'bare-2', 'dispatcher-2', 'dispatcher-shared-2',
  'dispatcher-shared-2', 'dispatcher-2', 'bare-2', 'dispatcher-shared', 'dispatcher', 'bare-per-job', 'bare',
];
const embeddedRounds: Mode[] = ['bare', 'bare-per-job', 'dispatcher', 'dispatcher-shared', 'dispatcher-shared', 'dispatcher', 'bare-per-job', 'bare'];

/** A fresh queue of `jobCount` due no-op jobs (last round's rows deleted and vacuumed away, so every round starts alike). */
async function queueJobs(db: Db): Promise<void> {
  await db.query('delete from jobs where handler = $1', [noop.name]);
  await db.exec('vacuum analyze jobs');
  await db.query("insert into jobs (handler, payload) select $1, '{}'::jsonb from generate_series(1, $2::integer)", [noop.name, jobCount]);
}

/** Completes a batch at a time in one statement, with no per-job transaction: the floor of a SKIP LOCKED queue. */
async function bareLoop(db: Db): Promise<void> {
  for (;;) {
    const { rowCount } = await db.query(
      `update jobs set status = 'SUCCEEDED', attempts = attempts + 1, finished_at = now(), updated_at = now()
        where id in (select id from jobs where status = 'PENDING' and run_after <= now() order by run_after, id limit $1 for update skip locked)`,
      [batchSize],
    );
    if (rowCount === 0) return;
  }
}

/** The dispatcher's transaction shape without the dispatcher: one claiming statement per batch, one transaction per job. */
async function barePerJobLoop(db: Db): Promise<void> {
  for (;;) {
    const { rows } = await db.query<{ id: string }>(
      `update jobs set status = 'RUNNING', attempts = attempts + 1, locked_by = 'bench', locked_until = now() + interval '1 minute'
        where id in (select id from jobs where status = 'PENDING' and run_after <= now() order by run_after, id limit $1 for update skip locked)
        returning id`,
      [batchSize],
    );
    if (rows.length === 0) return;
    for (const { id } of rows) {
      await db.transaction((tx) => tx.query(
        "update jobs set status = 'SUCCEEDED', locked_by = null, locked_until = null, finished_at = now(), updated_at = now() where id = $1", [id]));
    }
  }
}

async function drainWithDispatchers(db: Db, count: number, handler: JobHandler): Promise<void> {
  const dispatchers = Array.from({ length: count }, () => createDispatcher(db, [handler], logger, defaultDispatcherSettings));
  await Promise.all(dispatchers.map((dispatcher) => dispatcher.drain()));
}

const runners: Record<Mode, (db: Db) => Promise<unknown>> = {
  bare: bareLoop,
  'bare-per-job': barePerJobLoop,
  dispatcher: (db) => drainWithDispatchers(db, 1, noop),
  'dispatcher-shared': (db) => drainWithDispatchers(db, 1, sharedNoop),
  'bare-2': (db) => Promise.all([bareLoop(db), bareLoop(db)]),
  'dispatcher-2': (db) => drainWithDispatchers(db, 2, noop),
  'dispatcher-shared-2': (db) => drainWithDispatchers(db, 2, sharedNoop),
};

/** Every job done exactly once: all SUCCEEDED, each after one attempt. */
async function checkDrained(db: Db, mode: Mode): Promise<void> {
  const { rows: [state] } = await db.query<{ done: number; once: number }>(
    "select count(*) filter (where status = 'SUCCEEDED')::integer as done, count(*) filter (where attempts = 1)::integer as once from jobs where handler = $1",
    [noop.name],
  );
  if (state?.done !== jobCount || state.once !== jobCount) throw new Error(`${mode}: ${state?.done} of ${jobCount} jobs succeeded, ${state?.once} after exactly one attempt`);
}

/** Queues the jobs, drains them in this mode, checks them; returns jobs per second. */
async function drainOnce(db: Db, mode: Mode): Promise<number> {
  await queueJobs(db);
  const started = performance.now();
  await runners[mode](db);
  const rate = jobCount / ((performance.now() - started) / 1000);
  await checkDrained(db, mode);
  return rate;
}

async function withDatabase(fn: (db: Db, engine: 'postgres' | 'pglite') => Promise<void>): Promise<void> {
  const serverUrl = process.env['DATABASE_URL'];
  if (serverUrl) {
    await withScratchDatabase(serverUrl, async (url) => {
      const db = await openPostgresDatabase({ url, replicaUrl: null, poolMax: 4 }, createQueryLog(null, 0));
      try {
        await fn(db, 'postgres');
      } finally {
        await db.close();
      }
    });
    return;
  }
  const pglite = await PGlite.create({ parsers: typeParsers, extensions: pgliteExtensions });
  const db = wrapPglite(pglite, createQueryLog(null, 0), () => pglite.close());
  try {
    await fn(db, 'pglite');
  } finally {
    await db.close();
  }
}

/**
 * Jobs per second of the dispatcher (src/platform/jobs/dispatcher.ts, default settings: batches of 20,
 * each job its own transaction with its completion, or a round's jobs in one when their handler shares transactions) draining 2,000 queued no-op jobs, against the bare
 * engine in the same run: the same claim statement completing a whole batch at once, and the
 * dispatcher's transaction shape written by hand. On PostgreSQL also two dispatchers (and two bare
 * loops) at once on one queue. The relay has nothing to do: the handler subscribes to no event.
 */
export async function run(): Promise<void> {
  await withDatabase(async (db, engine) => {
    await migrateUp(db);
    const rounds = engine === 'postgres' ? serverRounds : embeddedRounds;
    const rates = new Map<Mode, number[]>();
    const warmedUp = new Set<Mode>();
    for (const mode of rounds) {
      if (!warmedUp.has(mode)) {
        warmedUp.add(mode);
        await drainOnce(db, mode);
      }
      rates.set(mode, [...(rates.get(mode) ?? []), await drainOnce(db, mode)]);
    }
    // Equal work per round: a mode's rate is its jobs over the sum of its rounds' times.
    const rateOf = (list: number[]) => list.length / list.reduce((sum, rate) => sum + 1 / rate, 0);
    const measurements: Measurement[] = [...rates].map(([mode, list]) => {
      const baseline = baselineOf[mode];
      return { name: labels[mode], rate: rateOf(list), ...(baseline ? { baseline: labels[baseline] } : {}) };
    });
    const perRound = Object.fromEntries([...rates].map(([mode, list]) => [mode, list.map(Math.round)]));
    await report('job-throughput', { engine, jobs: jobCount, batchSize, rounds: perRound }, measurements);
  });
}
