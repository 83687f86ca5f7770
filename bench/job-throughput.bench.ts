import { createRequire } from 'node:module';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { createCommitSignal } from '../src/platform/db/commit-signal.js';
import type { Db } from '../src/platform/db/database.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { pgliteExtensions, wrapPglite } from '../src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { typeParsers } from '../src/platform/db/type-parsers.js';
import { createDispatcher, defaultDispatcherSettings, insertJob, type JobHandler } from '../src/platform/jobs/index.js';
import { createLogger } from '../src/platform/shared/logger.js';
import { backendCpuWhile } from './process-cpu.js';
import { type Measurement, report } from './report.js';
import { withScratchDatabase } from './scratch.js';

const jobCount = 5_000;
/** The dispatcher's largest batch (it claims that many once it has seen its handlers are quick), so that every side claims as many jobs per statement. */
const batchSize = defaultDispatcherSettings.batchSize;
/** The batch of the anchor issue 17 measured on a quiet machine (11.5–13.7k jobs/s): its ratio predicts the rate there. */
const issueBatch = 20;
/** Registered only here: the work is the queue's own, nothing else. */
const noop: JobHandler = { name: 'bench.noop', eventTypes: [], run: async () => undefined };
/** The same work declared to act only through its transaction: a round's jobs commit together. */
const sharedNoop: JobHandler = { ...noop, sharesTransaction: true };
const logger = createLogger({ logLevel: 'silent', logFormat: 'json' });
const pgBossQueue = 'bench-noop';
const pgBossVersion = (createRequire(import.meta.url)('pg-boss/package.json') as { version: string }).version;

type Mode = 'bare' | 'bare-issue' | 'pg-boss' | 'dispatcher' | 'dispatcher-shared' | 'bare-2' | 'pg-boss-2' | 'dispatcher-shared-2';
const labels: Record<Mode, string> = {
  bare: `bare: UPDATE … IN (SELECT … SKIP LOCKED LIMIT ${batchSize}), 1 loop`,
  'bare-issue': `bare: UPDATE … IN (SELECT … SKIP LOCKED LIMIT ${issueBatch}), 1 loop (issue 17's anchor)`,
  'pg-boss': `pg-boss ${pgBossVersion}: fetch ${batchSize}, complete them, 1 loop`,
  dispatcher: `dispatcher: 1 draining ${jobCount} no-op jobs, a transaction each`,
  'dispatcher-shared': `dispatcher: 1 draining ${jobCount} no-op jobs that share transactions`,
  'bare-2': `bare: UPDATE … IN (SELECT … SKIP LOCKED LIMIT ${batchSize}), 2 loops at once`,
  'pg-boss-2': 'pg-boss: 2 fetch/complete loops at once',
  'dispatcher-shared-2': 'dispatcher: 2 draining at once, sharing transactions',
};
const baselineOf: Partial<Record<Mode, Mode>> = {
  'pg-boss': 'bare', dispatcher: 'bare', 'dispatcher-shared': 'bare', 'pg-boss-2': 'bare-2', 'dispatcher-shared-2': 'bare-2',
};
/** The second ratio printed: against the issue's anchor, measured in the same run. */
const issueRatioOf: Mode[] = ['pg-boss', 'dispatcher', 'dispatcher-shared'];
/**
 * Each mode twice, mirrored, so that drift over the run hits all alike, after two rounds of each that
 * are not counted. pg-boss and two at once only on PostgreSQL:
 * pg-boss has no embedded engine, and the embedded engine has one connection.
 */
const serverModes: Mode[] = ['bare', 'bare-issue', 'pg-boss', 'dispatcher', 'dispatcher-shared', 'bare-2', 'pg-boss-2', 'dispatcher-shared-2'];
const embeddedModes: Mode[] = ['bare', 'bare-issue', 'dispatcher', 'dispatcher-shared'];
const mirrored = (modes: Mode[]) => [...modes, ...[...modes].reverse()];

interface Engines {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** PostgreSQL only: a second `Db` on the same database, as another process would write (its commits NOTIFY). */
  other: Db | null;
  /** PostgreSQL only: pg-boss on the same database, in its own schema. */
  boss: PgBoss | null;
  url: string | null;
}

/** A fresh queue of `jobCount` due no-op jobs (last round's rows deleted and vacuumed away, so every round starts alike). */
async function queueJobs(engines: Engines, mode: Mode): Promise<void> {
  const { db, boss } = engines;
  if (mode.startsWith('pg-boss')) {
    await db.query('delete from pgboss.job where name = $1', [pgBossQueue]);
    await db.exec('vacuum analyze pgboss.job');
    await boss!.insert(Array.from({ length: jobCount }, () => ({ name: pgBossQueue, data: {} })));
    return;
  }
  await db.query('delete from jobs where handler = $1', [noop.name]);
  await db.exec('vacuum analyze jobs');
  await db.query("insert into jobs (handler, payload) select $1, '{}'::jsonb from generate_series(1, $2::integer)", [noop.name, jobCount]);
}

/** Completes a batch at a time in one statement, with no per-job transaction: the floor of a SKIP LOCKED queue. */
async function bareLoop(db: Db, batch = batchSize): Promise<void> {
  for (;;) {
    const { rowCount } = await db.query(
      `update jobs set status = 'SUCCEEDED', attempts = attempts + 1, finished_at = now(), updated_at = now()
        where id in (select id from jobs where status = 'PENDING' and run_after <= now() order by run_after, queued_seq limit $1 for update skip locked)
        returning id`,
      [batch],
    );
    if (rowCount === 0) return;
  }
}

/** pg-boss at its fastest: fetch a batch, complete it in one call, no polling interval. */
async function pgBossLoop(boss: PgBoss): Promise<void> {
  for (;;) {
    const jobs = await boss.fetch(pgBossQueue, { batchSize });
    if (jobs.length === 0) return;
    await boss.complete(pgBossQueue, jobs.map((job) => job.id));
  }
}

async function drainWithDispatchers(db: Db, count: number, handler: JobHandler): Promise<void> {
  const dispatchers = Array.from({ length: count }, () => createDispatcher(db, [handler], logger, defaultDispatcherSettings));
  await Promise.all(dispatchers.map((dispatcher) => dispatcher.drain()));
}

const runners: Record<Mode, (engines: Engines) => Promise<unknown>> = {
  bare: ({ db }) => bareLoop(db),
  'bare-issue': ({ db }) => bareLoop(db, issueBatch),
  'pg-boss': ({ boss }) => pgBossLoop(boss!),
  dispatcher: ({ db }) => drainWithDispatchers(db, 1, noop),
  'dispatcher-shared': ({ db }) => drainWithDispatchers(db, 1, sharedNoop),
  'bare-2': ({ db }) => Promise.all([bareLoop(db), bareLoop(db)]),
  'pg-boss-2': ({ boss }) => Promise.all([pgBossLoop(boss!), pgBossLoop(boss!)]),
  'dispatcher-shared-2': ({ db }) => drainWithDispatchers(db, 2, sharedNoop),
};

/** Every job done exactly once: all completed, each after one attempt (pg-boss counts retries, not attempts). */
async function checkDrained({ db }: Engines, mode: Mode): Promise<void> {
  const { rows: [state] } = mode.startsWith('pg-boss')
    ? await db.query<{ done: number; once: number }>(
      "select count(*) filter (where state = 'completed')::integer as done, count(*) filter (where retry_count = 0)::integer as once from pgboss.job where name = $1",
      [pgBossQueue],
    )
    : await db.query<{ done: number; once: number }>(
      "select count(*) filter (where status = 'SUCCEEDED')::integer as done, count(*) filter (where attempts = 1)::integer as once from jobs where handler = $1",
      [noop.name],
    );
  if (state?.done !== jobCount || state.once !== jobCount) throw new Error(`${mode}: ${state?.done} of ${jobCount} jobs succeeded, ${state?.once} after exactly one attempt`);
}

interface Drained {
  rate: number;
  /** CPU seconds of this process (the worker: dispatcher, pg-boss or the bare loop, and the pg client). */
  nodeSeconds: number;
  /** CPU seconds of the PostgreSQL backends of the database (null on the embedded engine, which runs in this process). */
  databaseSeconds: number | null;
}

/**
 * The backends' CPU is read when a round starts and when it ends, not every 200 ms as `backendCpuWhile`
 * does by default: the sampler runs in this process, and its samples within a round (about 25 ms of CPU
 * a second, load average 13) counted in the worker's figure, the bare loop's 3.0–3.5 µs per job became
 * 4.9. Nothing is missed that way: the pools and pg-boss connect before the rounds and stay, so no backend
 * comes or goes within one (sampled every 200 ms, every round's PostgreSQL figure was the same, to the
 * 2 µs per job that one clock tick is here).
 */
const noSamplingWithinARoundMs = 3_600_000;

/** Queues the jobs, drains them in this mode, checks them; returns jobs per second and the CPU they took. */
async function drainOnce(engines: Engines, mode: Mode): Promise<Drained> {
  await queueJobs(engines, mode);
  const drain = async () => {
    const nodeBefore = process.cpuUsage();
    const started = performance.now();
    await runners[mode](engines);
    const rate = jobCount / ((performance.now() - started) / 1000);
    const node = process.cpuUsage(nodeBefore);
    return { rate, nodeSeconds: (node.user + node.system) / 1e6 };
  };
  const { result, cpuSeconds } = engines.url
    ? await backendCpuWhile(engines.url, drain, noSamplingWithinARoundMs)
    : { result: await drain(), cpuSeconds: null };
  await checkDrained(engines, mode);
  return { ...result, databaseSeconds: cpuSeconds };
}

const latencySamples = 200;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const percentile90 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)] ?? Number.NaN;
/** A pause between samples, so that each job finds the worker idle, waiting for a signal. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 15));

/**
 * Milliseconds from the return of a job's committing transaction to the start of its handler, with a
 * dispatcher that is idle (waiting up to its poll interval), relays events each round, and is woken the
 * way `unitrain worker` and `serve` wake it: by the commit signal of its own process, and by NOTIFY from other processes when the
 * job was queued through `enqueuer`, another `Db` on the same database.
 */
async function commitToStart(db: Db, enqueuer: Db): Promise<number[]> {
  let started: ((at: number) => void) | null = null;
  // Subscribed to an event type, as the real handlers are: each round relays events first, as in `unitrain worker`.
  const handler: JobHandler = { name: 'bench.latency', eventTypes: ['bench.latency-probe'], sharesTransaction: true, run: async () => started?.(performance.now()) };
  const dispatcher = createDispatcher(db, [handler], logger, defaultDispatcherSettings);
  const signal = createCommitSignal(db, logger);
  signal.onSignal(() => dispatcher.wake());
  await signal.listen();
  dispatcher.start();
  const latencies: number[] = [];
  try {
    for (let sample = 0; sample < latencySamples + 20; sample++) {
      await settle();
      const start = new Promise<number>((resolve) => (started = resolve));
      await enqueuer.transaction((tx) => insertJob(tx, { handler: handler.name }));
      const committed = performance.now();
      const latency = (await start) - committed;
      if (sample >= 20) latencies.push(latency);
    }
  } finally {
    await dispatcher.stop();
    await signal.stop();
  }
  return latencies;
}

/**
 * The floor of the same path between processes: a LISTEN connection that, on the NOTIFY sent after the
 * INSERT committed, runs the set-based claim; the job starts when the claim returns it.
 */
async function bareCommitToStart(url: string, db: Db): Promise<number[]> {
  const listener = new pg.Client({ connectionString: url });
  const claimer = new pg.Client({ connectionString: url });
  await Promise.all([listener.connect(), claimer.connect()]);
  const claim = `update jobs set status = 'SUCCEEDED', attempts = attempts + 1, finished_at = now(), updated_at = now()
    where id in (select id from jobs where status = 'PENDING' and run_after <= now() order by run_after, queued_seq limit 20 for update skip locked)
    returning id`;
  let claimed: ((at: number) => void) | null = null;
  listener.on('notification', () => {
    void claimer.query(claim).then(({ rowCount }) => {
      if ((rowCount ?? 0) > 0) claimed?.(performance.now());
    });
  });
  await listener.query('listen bench_jobs');
  const latencies: number[] = [];
  try {
    for (let sample = 0; sample < latencySamples + 20; sample++) {
      await settle();
      const start = new Promise<number>((resolve) => (claimed = resolve));
      await db.transaction((tx) => insertJob(tx, { handler: 'bench.bare-latency' }));
      const committed = performance.now();
      await db.query("select pg_notify('bench_jobs', '')");
      const latency = (await start) - committed;
      if (sample >= 20) latencies.push(latency);
    }
  } finally {
    await Promise.all([listener.end(), claimer.end()]);
  }
  return latencies;
}

async function withEngines(fn: (engines: Engines) => Promise<void>): Promise<void> {
  const serverUrl = process.env['DATABASE_URL'];
  if (serverUrl) {
    await withScratchDatabase(serverUrl, async (url) => {
      const db = await openPostgresDatabase({ url, replicaUrl: null, poolMax: 4 }, createQueryLog(null, 0));
      const other = await openPostgresDatabase({ url, replicaUrl: null, poolMax: 2 }, createQueryLog(null, 0));
      // Its maintenance and schedules off: nothing of it runs beside the loops measured.
      const boss = new PgBoss({ connectionString: url, max: 4, supervise: false, schedule: false });
      boss.on('error', () => undefined);
      try {
        await boss.start();
        await boss.createQueue(pgBossQueue);
        await fn({ db, kind: 'postgres', other, boss, url });
      } finally {
        await boss.stop({ graceful: false, wait: true });
        await Promise.all([db.close(), other.close()]);
      }
    });
    return;
  }
  const pglite = await PGlite.create({ parsers: typeParsers, extensions: pgliteExtensions });
  const db = wrapPglite(pglite, createQueryLog(null, 0), () => pglite.close());
  try {
    await fn({ db, kind: 'pglite', other: null, boss: null, url: null });
  } finally {
    await db.close();
  }
}

const roundTo = (value: number, places = 2) => Number(value.toFixed(places));

/**
 * Jobs per second of the dispatcher (src/platform/jobs/dispatcher.ts, default settings) draining 5,000
 * queued no-op jobs, against the bare engine and pg-boss in the same run: the bare loop is the set-based
 * claim completing a whole batch in one statement (the floor of a SKIP LOCKED queue), pg-boss 10 a
 * fetch/complete loop with the same batch; the bare loop also with issue 17's batch of 20. On PostgreSQL
 * also two of each at once on one queue. The relay has nothing to do: the handler subscribes to no
 * event. CPU per job of this process and of PostgreSQL's backends. Then the time from a job's commit to
 * its handler's start, with an idle dispatcher woken by the commit signal (same process) or NOTIFY (another).
 */
export async function run(): Promise<void> {
  await withEngines(async (engines) => {
    await migrateUp(engines.db);
    const rounds = mirrored(engines.kind === 'postgres' ? serverModes : embeddedModes);
    const drained = new Map<Mode, Drained[]>();
    const warmedUp = new Set<Mode>();
    for (const mode of rounds) {
      if (!warmedUp.has(mode)) {
        warmedUp.add(mode);
        // Twice: the code of each side is compiled by then (a first round costs each side about twice the CPU per job).
        await drainOnce(engines, mode);
        await drainOnce(engines, mode);
      }
      drained.set(mode, [...(drained.get(mode) ?? []), await drainOnce(engines, mode)]);
    }
    // Equal work per round: a mode's rate is its jobs over the sum of its rounds' times.
    const rateOf = (list: Drained[]) => list.length / list.reduce((sum, round) => sum + 1 / round.rate, 0);
    const issueRate = rateOf(drained.get('bare-issue')!);
    const measurements: Measurement[] = [...drained].map(([mode, list]) => {
      const baseline = baselineOf[mode];
      return { name: labels[mode], rate: rateOf(list), ...(baseline ? { baseline: labels[baseline] } : {}) };
    });
    const perRound = Object.fromEntries([...drained].map(([mode, list]) => [mode, list.map((round) => Math.round(round.rate))]));
    const microseconds = (seconds: number, rounds: number) => roundTo((seconds * 1e6) / (rounds * jobCount), 1);
    // CPU per job, which the load moves much less than the rates: this process, and PostgreSQL's backends.
    const cpuPerJob = Object.fromEntries([...drained].map(([mode, list]) => {
      const node = list.reduce((sum, round) => sum + round.nodeSeconds, 0);
      const database = list.every((round) => round.databaseSeconds !== null) ? list.reduce((sum, round) => sum + round.databaseSeconds!, 0) : null;
      return [mode, {
        'worker µs/job': microseconds(node, list.length),
        'PostgreSQL µs/job': database === null ? null : microseconds(database, list.length),
        'total µs/job': microseconds(node + (database ?? 0), list.length),
        [`vs ${issueBatch}-job anchor`]: issueRatioOf.includes(mode) ? `${(rateOf(list) / issueRate).toFixed(2)}x` : '',
      }];
    }));

    const latency: Record<string, { p50: number; p90: number }> = {};
    const summary = (values: number[]) => ({ p50: roundTo(median(values)), p90: roundTo(percentile90(values)) });
    latency['same process (commit signal)'] = summary(await commitToStart(engines.db, engines.db));
    if (engines.other && engines.url) {
      latency['other process (NOTIFY)'] = summary(await commitToStart(engines.db, engines.other));
      latency['bare: NOTIFY → LISTEN → set-based claim'] = summary(await bareCommitToStart(engines.url, engines.db));
    }
    await report('job-throughput', { engine: engines.kind, jobs: jobCount, batchSize, issueBatch, rounds: perRound, cpuPerJob, commitToStartMs: latency }, measurements);
    console.log(`CPU per job (the counted rounds), and the rate against the ${issueBatch}-job set-based anchor of the same run:`);
    console.table(cpuPerJob);
    console.log('commit → handler start, ms (an idle dispatcher, default settings):');
    console.table(latency);
  });
}
