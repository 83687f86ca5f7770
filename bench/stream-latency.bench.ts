import { type ChildProcess, fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Role } from '../src/platform/db/actor.js';
import type { Db } from '../src/platform/db/database.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { changesChannel } from '../src/platform/db/commit-signal.js';
import { currentFrontier } from '../src/platform/stream/realtime.repository.js';
import { createSubscriberScopes } from '../src/platform/stream/subscriber-scopes.js';
import { mintAccessToken, testKeyring } from '../test/auth.js';
import { testKeysEnv } from '../test/engine.js';
import { startServerProcess } from '../test/server-process.js';
import { cpuSecondsBetween, cpuSecondsOf } from './process-cpu.js';
import { type Measurement, report } from './report.js';
import { withScratchDatabase } from './scratch.js';
import { now, openTimedSseConnection, type TimedSseConnection } from './timed-sse-connection.js';

/** Who holds a stream: 1,000 subscribers, every role. */
const subscriberMix: [Role, number][] = [['SA', 5], ['AD', 5], ['AP', 90], ['IC', 50], ['IP', 50], ['IT', 100], ['IN', 700]];
/** 3 APs per provider; provider p holds locations 2p and 2p+1 (mod 40), so half the locations have two providers. */
const providerCount = 30;
const locationCount = 40;
const sessionCount = 2_000;
/** Sessions open for self-enrollment, which every signed-in subscriber may select: the wide fan-out. */
const openShare = 0.05;
const enrollmentsPerStudent = 3;
const topics = 'sessions,enrollments';
const changesPerSecond = 500;
/** Written at the full rate before the measured writes; delivered and checked, not counted in the latencies. */
const warmUpWrites = 1_000;
const measuredWrites = 12_500;
const bareMeasuredWrites = 5_000;
const writerConnections = 8;
/**
 * The subscribers are spread over this many processes, so that parsing ~33,000 events/s does not share
 * one event loop: against a bare SSE broadcaster, each of two processes lagged 70–120 ms at p99, each of four ~40 ms.
 */
const clientProcesses = 4;
const openConcurrency = 25;
/** After the last write, how long to wait for the deliveries still due; what has not come by then counts as never delivered. */
const drainDeadlineMs = 120_000;
const subscriberProcessFlag = '--stream-latency-subscribers';


/** A fixed sequence, so that every run builds the same world and writes the same sessions. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Runs `work(0..count-1)` from `workers` concurrent loops; each next item taken by the first free worker. */
async function inParallel(count: number, workers: number, work: (k: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    for (let k = next++; k < count; k = next++) await work(k);
  }));
}

/** Write k starts no earlier than k / changesPerSecond after the first; returns the writes per second achieved. */
async function writePaced(count: number, write: (k: number) => Promise<void>): Promise<number> {
  const started = now();
  await inParallel(count, writerConnections, async (k) => {
    const wait = started + (k * 1000) / changesPerSecond - now();
    if (wait > 0) await sleep(wait);
    await write(k);
  });
  return count / ((now() - started) / 1000);
}

interface Subscriber {
  userId: string;
  role: Role;
  providerId: string | null;
  token: string;
  /** The sessions it may select, asked of row-level security as this actor: the changes it must receive. */
  visible: Set<string>;
}

interface World {
  sessions: string[];
  subscribers: Subscriber[];
}

/** The world, written as the owner in a few set-based statements; each subscriber's view is then read under RLS. */
async function buildWorld(db: Db): Promise<World> {
  const random = seededRandom(20_260_505);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const ids = async (sql: string, params: unknown[]) => (await db.query<{ id: string }>(sql, params)).rows.map((row) => row.id);
  const providers = await ids("insert into authorized_providers (name) select 'Bench provider ' || n from generate_series(1, $1::integer) n returning id", [providerCount]);
  const locations = await ids("insert into locations (name, city, country) select 'Bench hall ' || n, 'Leeds', 'GB' from generate_series(1, $1::integer) n returning id", [locationCount]);
  const holdings = providers.flatMap((provider, p) => [2 * p, 2 * p + 1].map((l) => ({ provider, location: locations[l % locationCount] as string })));
  await db.query('insert into provider_locations (provider_id, location_id) select * from unnest($1::uuid[], $2::uuid[])',
    [holdings.map((h) => h.provider), holdings.map((h) => h.location)]);
  const { rows: users } = await db.query<{ id: string; role: Role }>(
    `insert into users (email_ciphertext, email_hmac, role)
     select 'not-encrypted-bench-value', 'bench-' || gen_random_uuid(), role from unnest($1::text[]) as t(role) returning id, role`,
    [subscriberMix.flatMap(([role, count]) => Array<Role>(count).fill(role))],
  );
  const aps = users.filter((user) => user.role === 'AP');
  const providerOf = new Map(aps.map((ap, index) => [ap.id, providers[index % providerCount] as string]));
  await db.query('insert into provider_members (provider_id, user_id) select * from unnest($1::uuid[], $2::uuid[])', [[...providerOf.values()], [...providerOf.keys()]]);
  const instructors = users.filter((user) => user.role === 'IC' || user.role === 'IP').map((user) => user.id);
  const students = users.filter((user) => user.role === 'IT' || user.role === 'IN').map((user) => user.id);

  const { rows: [course] } = await db.query<{ id: string }>("insert into courses (code, title, duration_minutes) values ('BENCH-SSE', 'Benchmark', 60) returning id");
  // A day each: an instructor teaches one session at a time (migration 0039).
  const planned = Array.from({ length: sessionCount }, () => {
    const holding = pick(holdings);
    return { location: holding.location, provider: holding.provider, instructor: pick(instructors), open: random() < openShare };
  });
  const sessions = await ids(
    `insert into training_sessions (title, course_id, instructor_id, location_id, provider_id, session_date, start_time, end_time, max_capacity, self_enrollment_allowed)
     select 'Stream bench', $1, i, l, p, current_date + 30 + n::integer, '09:00', '10:00', 100, o
       from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::boolean[]) with ordinality as t(i, l, p, o, n)
     returning id`,
    [course?.id, planned.map((s) => s.instructor), planned.map((s) => s.location), planned.map((s) => s.provider), planned.map((s) => s.open)],
  );
  const enrollments = students.flatMap((student) => [...new Set(Array.from({ length: enrollmentsPerStudent }, () => pick(sessions)))].map((session) => ({ student, session })));
  await db.query('insert into session_enrollments (session_id, student_id) select * from unnest($1::uuid[], $2::uuid[])',
    [enrollments.map((e) => e.session), enrollments.map((e) => e.student)]);
  await db.query(`update training_sessions s set current_enrollment = e.n
                    from (select session_id, count(*)::integer as n from session_enrollments group by session_id) e where s.id = e.session_id`);

  const subscribers: Subscriber[] = [];
  for (const user of users) {
    const actor = { userId: user.id, role: user.role, providerId: providerOf.get(user.id) ?? null };
    const { rows } = await db.withActor(actor, (tx) => tx.query<{ id: string }>('select id from training_sessions'));
    const token = await mintAccessToken(testKeyring, actor, { ttlSeconds: 3_600 });
    subscribers.push({ ...actor, token, visible: new Set(rows.map((row) => row.id)) });
  }
  return { sessions, subscribers };
}

const retitle = 'update training_sessions set title = $2 where id = $1 returning id';

/**
 * The bare engine: the same paced writes, each with a NOTIFY inside its transaction (one autocommit
 * statement), and one LISTENing connection; latency from the writer seeing its commit to the
 * listener receiving the notification. Negative when the notification beats the commit's reply.
 */
async function measureBareNotify(url: string, sessionOf: (k: number) => string): Promise<{ latencies: Float64Array; rate: number }> {
  const count = warmUpWrites + bareMeasuredWrites;
  const committed = new Float64Array(count);
  const received = new Float64Array(count).fill(Number.NaN);
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  const pool = new pg.Pool({ connectionString: url, max: writerConnections });
  try {
    listener.on('notification', (message) => {
      received[Number(message.payload)] = now();
    });
    await listener.query('listen bench_bare_commit');
    const rate = await writePaced(count, async (k) => {
      await pool.query(`with changed as (${retitle}) select pg_notify('bench_bare_commit', $3) from changed`, [sessionOf(k), `Bare ${k}`, String(k)]);
      committed[k] = now();
    });
    for (let waited = 0; received.some(Number.isNaN) && waited < 10_000; waited += 100) await sleep(100);
    const missing = received.filter(Number.isNaN).length;
    if (missing > 0) throw new Error(`the bare listener missed ${missing} of ${count} notifications`);
    return { latencies: received.slice(warmUpWrites).map((at, k) => at - (committed[warmUpWrites + k] as number)), rate };
  } finally {
    await pool.end();
    await listener.end();
  }
}

/** Messages between this process and its subscriber processes. */
type ToSubscribers =
  | { kind: 'open'; baseUrl: string; subscribers: { index: number; token: string }[] }
  | { kind: 'measure' }
  | { kind: 'count' }
  | { kind: 'finish' };
type FromSubscribers =
  | { kind: 'opened' }
  | { kind: 'count'; received: number }
  | { kind: 'results'; deliveries: Float64Array; chunks: number; ended: number; loopLagMs: { p50: number; p99: number; max: number } };

interface SubscriberProcess {
  child: ChildProcess;
  ask<K extends FromSubscribers['kind']>(message: ToSubscribers, reply: K): Promise<Extract<FromSubscribers, { kind: K }>>;
}

/** One subscriber process, answering one message at a time. */
function subscriberProcess(): SubscriberProcess {
  // BENCH_CLIENT_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles`: flags for the subscriber processes' node.
  // Without the parent's --eval: a child would run that code (the whole benchmark) again, and so on (0106).
  const inherited = process.execArgv.filter((arg, i, all) => arg !== '--eval' && all[i - 1] !== '--eval');
  const execArgv = [...inherited, ...(process.env['BENCH_CLIENT_NODE_ARGS']?.split(' ').filter((arg) => arg !== '') ?? [])];
  const child = fork(fileURLToPath(import.meta.url), [subscriberProcessFlag], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    child,
    ask: (message, reply) => new Promise((resolve, reject) => {
      const onMessage = (answer: FromSubscribers) => {
        if (answer.kind !== reply) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(answer as Extract<FromSubscribers, { kind: typeof reply }>);
      };
      const onExit = (code: number | null) => reject(new Error(`a subscriber process exited with ${code}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(message);
    }),
  };
}

/** The delivery-lag histogram of /metrics: cumulative counts per upper bound (seconds). */
async function deliveryLagBuckets(baseUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const buckets = new Map<string, number>();
  for (const match of text.matchAll(/^unitrain_stream_delivery_lag_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)) buckets.set(match[1] as string, Number(match[2]));
  return buckets;
}

/**
 * Polls the cluster's xmin (every `everyMs`) until stopped: once xmin has passed a change's transaction,
 * nothing on the server holds the change back. The feed reads it sooner when only other databases'
 * transactions held xmin (decision 0083), so this is the longest the frontier could have waited.
 */
function pollXmin(url: string, everyMs = 2): { stop(): Promise<{ at: number[]; xmin: bigint[] }> } {
  const at: number[] = [];
  const xmin: bigint[] = [];
  let running = true;
  const client = new pg.Client({ connectionString: url, application_name: 'bench-xmin-poller' });
  const polling = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ xmin: string }>('select pg_snapshot_xmin(pg_current_snapshot())::text as xmin');
      at.push(now());
      xmin.push(BigInt(rows[0]?.xmin ?? '0'));
      await sleep(everyMs);
    }
    await client.end();
  })();
  return {
    async stop() {
      running = false;
      await polling;
      return { at, xmin };
    },
  };
}

/** Per write, from its commit to the first poll that found xmin past its transaction (ms). */
function settledAfterCommit(polls: { at: number[]; xmin: bigint[] }, committed: Float64Array, txids: readonly string[]): Float64Array {
  return Float64Array.from({ length: measuredWrites }, (_, i) => {
    const k = warmUpWrites + i;
    const txid = BigInt(txids[k] as string);
    // xmin never goes back: the first poll past the transaction, by bisection.
    let low = 0;
    let high = polls.xmin.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((polls.xmin[middle] as bigint) > txid) high = middle;
      else low = middle + 1;
    }
    return low < polls.at.length ? (polls.at[low] as number) - (committed[k] as number) : Number.POSITIVE_INFINITY;
  });
}

/** The stage histogram of /metrics: per stage, cumulative counts per upper bound (seconds). */
async function stageLagBuckets(baseUrl: string): Promise<Map<string, Map<number, number>>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const stages = new Map<string, Map<number, number>>();
  for (const match of text.matchAll(/^unitrain_stream_stage_lag_seconds_bucket\{le="([^"]+)",stage="([^"]+)"\} (\d+)$/gm)) {
    const buckets = stages.get(match[2] as string) ?? new Map<number, number>();
    buckets.set(match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]), Number(match[3]));
    stages.set(match[2] as string, buckets);
  }
  return stages;
}

/** A quantile (ms) of the observations between two readings of a histogram, interpolated inside its bucket as Prometheus' histogram_quantile does. */
function bucketQuantile(before: Map<number, number> | undefined, after: Map<number, number>, q: number): number | string {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => (after.get(le) ?? 0) - (before?.get(le) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total === 0) return '-';
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if ((counts[i] as number) < rank) continue;
    const upper = bounds[i] as number;
    if (!Number.isFinite(upper)) return `> ${(bounds[i - 1] as number) * 1000}`;
    const lower = i === 0 ? 0 : (bounds[i - 1] as number);
    const below = i === 0 ? 0 : (counts[i - 1] as number);
    return round((lower + ((upper - lower) * (rank - below)) / Math.max(1, (counts[i] as number) - below)) * 1000);
  }
  return '-';
}

/**
 * The CPU seconds the server used while `work` ran: its process and its database backends (application
 * names `unitrain…`; the benchmark's own such connections are idle meanwhile), sampled every 200 ms so
 * that a pool connection that closes during the run is counted up to its last sample.
 */
async function serverCpuWhile<T>(url: string, serverPid: number, work: () => Promise<T>): Promise<{ result: T; nodeSeconds: number; databaseSeconds: number }> {
  const client = new pg.Client({ connectionString: url, application_name: 'bench-cpu-sampler' });
  await client.connect();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = async () => {
    const { rows } = await client.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database() and application_name like 'unitrain%'");
    for (const [pid, seconds] of await cpuSecondsOf([serverPid, ...rows.map((row) => row.pid)])) {
      if (!first.has(pid)) first.set(pid, seconds);
      last.set(pid, seconds);
    }
  };
  try {
    await sample();
    let sampling = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(sample);
    }, 200);
    let result: T;
    try {
      result = await work();
    } finally {
      clearInterval(timer);
      await sampling.catch(() => undefined);
    }
    await sample();
    let databaseSeconds = 0;
    for (const [pid, seconds] of last) if (pid !== serverPid) databaseSeconds += seconds - (first.get(pid) ?? 0);
    return { result, nodeSeconds: (last.get(serverPid) ?? 0) - (first.get(serverPid) ?? 0), databaseSeconds };
  } finally {
    await client.end();
  }
}

const percentile = (sorted: Float64Array, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
/** One decimal; `|| 0` turns -0 into 0. */
const round = (ms: number) => Math.round(ms * 10) / 10 || 0;
/** Percentiles in ms; a delivery that never came counts as infinitely late, and shows as such. */
function summarise(latencies: Float64Array) {
  const sorted = latencies.slice().sort();
  const shown = (ms: number) => (Number.isFinite(ms) ? round(ms) : 'never');
  return { p50: shown(percentile(sorted, 0.5)), p90: shown(percentile(sorted, 0.9)), p99: shown(percentile(sorted, 0.99)), max: shown(sorted.at(-1) ?? Number.NaN) };
}

interface WriterRun {
  committed: Float64Array;
  txids: string[];
  rate: number;
  loopLagMs: { p50: number; p99: number; max: number };
}

/**
 * The paced retitles, one autocommit statement each, and after each commit a NOTIFY to the server,
 * coalesced as commit-signal.ts does it: one in flight, at most one more queued behind it. `measuring` is
 * called as the first measured write (after the warm-up) is about to be made.
 */
async function writeAndSignal(url: string, writes: readonly string[], measuring: () => void): Promise<WriterRun> {
  const committed = new Float64Array(writes.length);
  const txids: string[] = [];
  const notifier = new pg.Client({ connectionString: url });
  await notifier.connect();
  const pool = new pg.Pool({ connectionString: url, max: writerConnections });
  let notifying: Promise<unknown> | null = null;
  let notifyAgain = false;
  const notifyServer = () => {
    if (notifying) {
      notifyAgain = true;
      return;
    }
    notifying = notifier.query('select pg_notify($1, $2)', [changesChannel, '']).finally(() => {
      notifying = null;
      if (notifyAgain) {
        notifyAgain = false;
        notifyServer();
      }
    });
  };
  const loopLag = monitorEventLoopDelay({ resolution: 5 });
  loopLag.enable();
  try {
    const rate = await writePaced(writes.length, async (k) => {
      if (k === warmUpWrites) measuring();
      const { rows } = await pool.query<{ txid: string }>(`with changed as (${retitle}) select pg_current_xact_id()::text as txid from changed`, [writes[k], `Stream ${k}`]);
      committed[k] = now();
      txids[k] = rows[0]?.txid as string;
      notifyServer();
    });
    while (notifying) await notifying;
    return { committed, txids, rate, loopLagMs: lagSummary(loopLag) };
  } finally {
    loopLag.disable();
    await pool.end();
    await notifier.end();
  }
}

const lagSummary = (histogram: IntervalHistogram) => ({
  p50: round(histogram.percentile(50) / 1e6), p99: round(histogram.percentile(99) / 1e6), max: round(histogram.max / 1e6),
});

/** Each delivery matched to its write: latencies, the last subscriber of each change, and what should not be. */
function matchDeliveries(world: World, writes: readonly string[], dueOf: readonly number[], writeOfSeq: Map<number, number>, committed: Float64Array, received: Float64Array[]) {
  const seen = new Uint8Array(world.subscribers.length * writes.length);
  const deliveredOf = new Uint32Array(writes.length);
  const lastAt = new Float64Array(writes.length);
  const latencies: number[] = [];
  let duplicates = 0;
  let unexpected = 0;
  for (const deliveries of received) {
    for (let i = 0; i < deliveries.length; i += 3) {
      const subscriber = deliveries[i] as number;
      const k = writeOfSeq.get(deliveries[i + 1] as number);
      const at = deliveries[i + 2] as number;
      if (k === undefined || !world.subscribers[subscriber]?.visible.has(writes[k] as string)) {
        unexpected++;
        continue;
      }
      const key = subscriber * writes.length + k;
      if (seen[key]) {
        duplicates++;
        continue;
      }
      seen[key] = 1;
      deliveredOf[k] = (deliveredOf[k] as number) + 1;
      lastAt[k] = Math.max(lastAt[k] as number, at);
      if (k >= warmUpWrites) latencies.push(at - (committed[k] as number));
    }
  }
  const due = dueOf.reduce((sum, n) => sum + n, 0);
  const delivered = deliveredOf.reduce((sum, n) => sum + n, 0);
  for (let k = warmUpWrites; k < writes.length; k++) {
    for (let missing = (dueOf[k] as number) - (deliveredOf[k] as number); missing > 0; missing--) latencies.push(Number.POSITIVE_INFINITY);
  }
  const lastSubscriber = Float64Array.from({ length: measuredWrites }, (_, i) => {
    const k = warmUpWrites + i;
    return deliveredOf[k] === dueOf[k] ? (lastAt[k] as number) - (committed[k] as number) : Number.POSITIVE_INFINITY;
  });
  const admins = world.subscribers.flatMap((s, index) => (s.role === 'SA' || s.role === 'AD' ? [index] : []));
  const adminsWithEverything = admins.filter((a) => seen.subarray(a * writes.length, (a + 1) * writes.length).every((flag) => flag === 1)).length;
  return {
    latencies: Float64Array.from(latencies),
    lastSubscriber,
    checks: { due, delivered, missing: due - delivered, duplicates, unexpected, adminsWithEveryChange: `${adminsWithEverything} of ${admins.length}` },
  };
}

/** Waits until every due delivery arrived or the deadline passed. */
async function awaitDeliveries(clients: SubscriberProcess[], due: number): Promise<void> {
  const deadline = now() + drainDeadlineMs;
  let received = 0;
  while (received < due && now() < deadline) {
    await sleep(250);
    received = (await Promise.all(clients.map((client) => client.ask({ kind: 'count' }, 'count')))).reduce((sum, answer) => sum + answer.received, 0);
  }
}

/**
 * Commit-to-delivery latency of GET /v1/stream on real PostgreSQL: 1,000 subscribers (every role) each
 * hold a stream to a `unitrain serve` process of its own, from four processes of this benchmark, while a
 * writer commits 500 session retitles per second as the owner over 8 pooled connections, one autocommit
 * statement each, and after each commit NOTIFYs the server (coalesced: one in flight, at most one more
 * queued), as a server node does after its own writes. Writing through a second server's HTTP API would
 * spend most of this 2-core machine on that server. Against it, in the same run and database, the bare
 * engine: the same writes with a NOTIFY inside each transaction, received by one LISTENing connection.
 */
export async function run(): Promise<void> {
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) {
    console.log('\nstream-latency — skipped: it needs DATABASE_URL (a PostgreSQL server where it may create a scratch database); the embedded engine serves one process');
    return;
  }
  await withScratchDatabase(serverUrl, async (url) => {
    const db = await openPostgresDatabase({ url, replicaUrl: null, poolMax: 4 }, createQueryLog(null, 0));
    const clients: SubscriberProcess[] = [];
    let server: Awaited<ReturnType<typeof startServerProcess>> | null = null;
    try {
      await migrateUp(db);
      const world = await buildWorld(db);
      const random = seededRandom(7);
      const writes = Array.from({ length: warmUpWrites + measuredWrites }, () => world.sessions[Math.floor(random() * sessionCount)] as string);
      const bare = await measureBareNotify(url, (k) => writes[k % writes.length] as string);

      server = await startServerProcess({ DATABASE_URL: url, ...testKeysEnv });
      const baseUrl = server.url;
      for (let p = 0; p < clientProcesses; p++) clients.push(subscriberProcess());
      const opening = now();
      await Promise.all(clients.map((client, p) => client.ask({
        kind: 'open',
        baseUrl,
        subscribers: world.subscribers.flatMap((s, index) => (index % clientProcesses === p ? [{ index, token: s.token }] : [])),
      }, 'opened')));
      const openSeconds = (now() - opening) / 1000;
      for (const client of clients) client.child.send({ kind: 'measure' } satisfies ToSubscribers);

      // One delivery due per write and subscriber that may select the session.
      const viewers = new Map(world.sessions.map((session) => [session, world.subscribers.filter((s) => s.visible.has(session)).length]));
      const dueOf = writes.map((session) => viewers.get(session) as number);
      const due = dueOf.reduce((sum, n) => sum + n, 0);
      const loadBefore = loadavg()[0] as number;
      // The server's histograms as the measured writes begin: their figures then leave the warm-up out,
      // but for the few warm-up changes still on their way.
      let measuredWritesBegin: () => void = () => undefined;
      const serverBefore = new Promise<void>((resolve) => {
        measuredWritesBegin = resolve;
      }).then(() => Promise.all([deliveryLagBuckets(baseUrl), stageLagBuckets(baseUrl)]));
      const xminPolls = pollXmin(url);
      const clientPids = clients.map((client) => client.child.pid as number);
      const clientCpuBefore = await cpuSecondsOf(clientPids);
      const { result: writer, nodeSeconds, databaseSeconds } = await serverCpuWhile(url, server.child.pid as number, async () => {
        const written = await writeAndSignal(url, writes, measuredWritesBegin);
        await awaitDeliveries(clients, due);
        return written;
      });
      const clientSeconds = cpuSecondsBetween(clientCpuBefore, await cpuSecondsOf(clientPids));
      const settled = settledAfterCommit(await xminPolls.stop(), writer.committed, writer.txids);
      const loadAfter = loadavg()[0] as number;
      const { rows: logged } = await db.query<{ txid: string; seq: number }>(
        "select txid::text as txid, seq from change_log where txid = any ($1::text[]::xid8[]) and table_name = 'training_sessions'", [writer.txids]);
      const writeOfTxid = new Map(writer.txids.map((txid, k) => [txid, k]));
      const writeOfSeq = new Map(logged.map((row) => [row.seq, writeOfTxid.get(row.txid) as number]));
      const [lagBefore, stagesBefore] = await serverBefore;
      const lagAfter = await deliveryLagBuckets(baseUrl);
      const stagesAfter = await stageLagBuckets(baseUrl);
      const results = await Promise.all(clients.map((client) => client.ask({ kind: 'finish' }, 'results')));
      const matched = matchDeliveries(world, writes, dueOf, writeOfSeq, writer.committed, results.map((r) => r.deliveries));
      const writesToStreams = results.reduce((sum, r) => sum + r.chunks, 0);
      const checks = { ...matched.checks, streamsEndedEarly: results.reduce((sum, r) => sum + r.ended, 0) };

      // The server's own view over this run's writes: from the writing transaction's start to the socket write.
      const lagCount = (lagAfter.get('+Inf') ?? 0) - (lagBefore.get('+Inf') ?? 0);
      const serverDeliveryLag = Object.fromEntries([...lagAfter].map(([le, n]) => [`<= ${le} s`, `${(100 * (n - (lagBefore.get(le) ?? 0)) / Math.max(1, lagCount)).toFixed(1)}%`]));

      // The server's two steps, for all 1,000 subscribers: building their scopes (once per stream, then
      // kept in the session's tables), and one authorisation over the kept scopes for batches of these sizes.
      const streams = world.subscribers.map((s) => ({ account: s.userId }));
      const kept = createSubscriberScopes<{ account: string }>(db, { inc: () => undefined });
      const authoriseMs: Record<string, number> = {};
      try {
        const frontier = await currentFrontier(db);
        let started = now();
        await kept.authorise(streams, frontier, logged.slice(-1).map((row) => row.seq));
        authoriseMs['build 1,000 scopes, authorise 1 change'] = round(now() - started);
        for (const size of [1, 10, 100, 500]) {
          started = now();
          await kept.authorise(streams, frontier, logged.slice(-size).map((row) => row.seq));
          authoriseMs[`authorise ${size} change(s)`] = round(now() - started);
        }
      } finally {
        await kept.close();
      }

      // Where the time goes, per change (server) and per event (client): each from the writing transaction's
      // start (the server's) or its commit (the writer's), so each later stage includes the earlier ones.
      const stageQuantiles = (stage: string) => {
        const after = stagesAfter.get(stage) ?? new Map<number, number>();
        return { p50: bucketQuantile(stagesBefore.get(stage), after, 0.5), p90: bucketQuantile(stagesBefore.get(stage), after, 0.9), p99: bucketQuantile(stagesBefore.get(stage), after, 0.99) };
      };
      const stagesMs = {
        'database: commit → xmin past it, readable (per change)': summarise(settled),
        'server: transaction start → read by the feed (per change)': stageQuantiles('read'),
        'server: → authorised (per change)': stageQuantiles('authorised'),
        'server: → written to every socket (per change)': stageQuantiles('written'),
        'client: commit → event received (per event)': summarise(matched.latencies),
      };
      console.log('\nstream-latency: stages, milliseconds');
      console.table(stagesMs);
      const serverCpu = {
        loadAverage: `${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}`,
        nodeCpuSeconds: round(nodeSeconds),
        databaseCpuSeconds: round(databaseSeconds),
        cpuMicrosecondsPerDeliveredEvent: round(((nodeSeconds + databaseSeconds) * 1e6) / Math.max(1, matched.checks.delivered)),
        // The subscriber processes share the two cores with the server: what receiving costs them.
        subscriberProcessesCpuSeconds: round(clientSeconds),
        subscriberCpuMicrosecondsPerEvent: round((clientSeconds * 1e6) / Math.max(1, matched.checks.delivered)),
        // One chunk per write to a stream: how many writes the rounds made (fewer when the server falls behind and rounds grow).
        writesToStreams,
      };
      console.log(`server CPU over the measured writes (warm-up included) and the drain: ${JSON.stringify(serverCpu)}`);

      const bareLatency = summarise(bare.latencies);
      const streamLatency = summarise(matched.latencies);
      const lastSubscriberLatency = summarise(matched.lastSubscriber);
      const ratio = (value: number | string, base: number | string) => (typeof value === 'number' && typeof base === 'number' && base > 0 ? `${(value / base).toFixed(1)}x` : '-');
      console.log('\nstream-latency: commit → delivery, milliseconds');
      console.table({
        'bare: NOTIFY in the write → LISTEN': bareLatency,
        'SSE: commit → event at a subscriber': { ...streamLatency, 'p50 vs bare': ratio(streamLatency.p50, bareLatency.p50), 'p99 vs bare': ratio(streamLatency.p99, bareLatency.p99) },
        'SSE: commit → its last subscriber': lastSubscriberLatency,
      });
      const bareName = 'bare: paced writes with NOTIFY inside, committed/s';
      const measurements: Measurement[] = [
        { name: bareName, rate: bare.rate },
        { name: 'SSE: paced writes, NOTIFY after, committed/s', rate: writer.rate, baseline: bareName },
        { name: 'SSE: events delivered within the wait, per second written', rate: matched.latencies.filter(Number.isFinite).length / (measuredWrites / changesPerSecond) },
      ];
      await report('stream-latency', {
        engine: 'postgres',
        subscribers: Object.fromEntries(subscriberMix),
        sessions: sessionCount,
        openForSelfEnrollment: `${openShare * 100}% of sessions`,
        changesPerSecond,
        writes: { warmUp: warmUpWrites, measured: measuredWrites, bareMeasured: bareMeasuredWrites, connections: writerConnections },
        meanFanOut: round(due / writes.length),
        openStreamsSeconds: round(openSeconds),
        latencyMs: { bare: bareLatency, stream: streamLatency, lastSubscriberOfChange: lastSubscriberLatency, streamOfThoseDelivered: summarise(matched.latencies.filter(Number.isFinite)) },
        checks,
        stagesMs,
        serverCpu,
        serverDeliveryLag,
        clientEventLoopLagMs: results.map((r) => r.loopLagMs),
        writerEventLoopLagMs: writer.loopLagMs,
        authorisationMsFor1000Subscribers: authoriseMs,
      }, measurements);
      if (checks.missing > 0) console.log(`\nNOT KEEPING UP: ${checks.missing} of ${checks.due} due deliveries had not arrived ${drainDeadlineMs / 1000} s after the last write`);
      if (checks.duplicates > 0 || checks.unexpected > 0 || checks.streamsEndedEarly > 0) {
        throw new Error(`duplicates, changes a subscriber may not select, or streams the server ended: ${JSON.stringify(checks)}`);
      }
    } finally {
      for (const client of clients) client.child.kill();
      await server?.stop();
      await db.close();
    }
  });
}

/** The subscriber side, in a process of its own: opens its streams, records each change event's seq and arrival time. */
function serveAsSubscriberProcess(): void {
  const send = (message: FromSubscribers, then?: () => void) => process.send?.(message, undefined, {}, then);
  const loopLag = monitorEventLoopDelay({ resolution: 5 });
  loopLag.enable();
  const deliveries: number[] = [];
  const connections: TimedSseConnection[] = [];
  let chunksBefore = 0;
  const chunks = () => connections.reduce((sum, connection) => sum + connection.chunks(), 0);
  let finished = false;
  let ended = 0;

  const openStream = async (baseUrl: string, index: number, token: string) => {
    // Arrival is when the bytes reach this process's loop: client lag is in the figure, and reported beside it.
    const connection = openTimedSseConnection(new URL(`/v1/stream?topics=${topics}`, baseUrl), { accept: 'text/event-stream', authorization: `Bearer ${token}` }, (event, at) => {
      if (event.event === 'change' && event.id) deliveries.push(index, Number(event.id.slice(event.id.indexOf('.') + 1)), at);
    });
    connections.push(connection);
    connection.socket.on('close', () => {
      if (!finished) ended++;
    });
    await connection.opened;
  };

  process.on('message', (message: ToSubscribers) => {
    switch (message.kind) {
      case 'open': {
        const { baseUrl, subscribers } = message;
        void inParallel(subscribers.length, openConcurrency, async (k) => {
          const subscriber = subscribers[k] as { index: number; token: string };
          await openStream(baseUrl, subscriber.index, subscriber.token);
        }).then(() => send({ kind: 'opened' }), (error: unknown) => {
          console.error(error);
          process.exit(1);
        });
        break;
      }
      case 'measure':
        loopLag.reset();
        chunksBefore = chunks();
        break;
      case 'count':
        send({ kind: 'count', received: deliveries.length / 3 });
        break;
      case 'finish': {
        finished = true;
        for (const connection of connections) connection.socket.destroy();
        send({ kind: 'results', deliveries: Float64Array.from(deliveries), chunks: chunks() - chunksBefore, ended, loopLagMs: lagSummary(loopLag) }, () => process.disconnect());
        break;
      }
    }
  });
}

if (process.argv.includes(subscriberProcessFlag) && process.send) serveAsSubscriberProcess();
