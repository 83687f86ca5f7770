import autocannon from 'autocannon';
import pg from 'pg';
import type { Actor } from '../src/platform/db/actor.js';
import { applyActor, asTx, type Db } from '../src/platform/db/database.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { checkConsistency } from '../src/platform/consistency/index.js';
import { createAccount } from '../src/domains/users/index.js';
import { createAccessTokens } from '../src/platform/security/access-tokens.js';
import { createFieldCipher } from '../src/platform/security/field-cipher.js';
import { pgbenchRate } from './pgbench.js';
import { backendCpuWhile, controlApplicationName, cpuSecondsOf } from './process-cpu.js';
import { type Measurement, report } from './report.js';
import { createBenchSessionsAndStudents, withScratchDatabase } from './scratch.js';
import { benchKeyring, serverEnv, startServer } from './server-process.js';

const clients = 64;
const sessionCount = 256;
/** Measured enrollments per round, after a warm-up of their own; the order SQL, HTTP, HTTP, SQL cancels drift. */
const perRound = 10_000;
const warmUpPerRound = 500;
const roundOrder = ['sql', 'http', 'http', 'sql'] as const;
/** The raw transaction runs this long before the rounds and again after them. */
const rawSeconds = 10;

/** One enrollment: a distinct student profile into one of the sessions (round robin). */
interface Enrollment {
  session: string;
  student: string;
}

/**
 * A side's measured enrollments per second, and the CPU milliseconds each cost the PostgreSQL backends
 * and (HTTP) the server process: a cost the loaded machine moves much less than it moves the rate.
 */
interface SideResult {
  rate: number;
  cpuMs: { postgres: number; server?: number };
}

/** Runs the warm-up, then the measured enrollments. */
type Side = (warmUp: Enrollment[], measured: Enrollment[]) => Promise<SideResult>;

const keyring = benchKeyring;

const perSecond = async (count: number, work: () => Promise<unknown>) => {
  const started = performance.now();
  await work();
  return count / ((performance.now() - started) / 1000);
};

const msEach = (seconds: number, count: number) => Number(((seconds * 1000) / count).toFixed(3));

/**
 * Waits until the server's worker is idle: the relay past every event, every enrollment of a student
 * with an account relayed to its booking-notification job (the SQL round before an HTTP round leaves its
 * events to this server, whose work must not be counted against the HTTP round), and no job waiting or
 * running. A condition on the rows, not a quiet spell: a worker that has not begun its first relay looks
 * quiet too. A student without an account is sent no notice, so their enrollment queues no job (decision 0074).
 */
async function jobsDrained(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: controlApplicationName });
  await client.connect();
  try {
    for (let waited = 0; ; waited += 250) {
      const { rows: [jobs] } = await client.query<{ waiting: number; unqueued: number; unrelayed: number }>(
        `select (select count(*) from jobs where status = 'RUNNING' or (status = 'PENDING' and run_after <= now()))::integer as waiting,
                (select count(*) from domain_events e where e.event_type = 'enrollment.enrolled' and e.payload ->> 'student_id' is not null
                    and not exists (select 1 from jobs j where j.event_seq = e.seq and j.handler = 'notifications.enrollment'))::integer as unqueued,
                (select count(*) from domain_events e, jobs p
                  where p.idempotency_key = 'relay.position' and (e.txid, e.seq) > ((p.payload ->> 'txid')::xid8, (p.payload ->> 'seq')::bigint))::integer as unrelayed`,
      );
      if (jobs?.waiting === 0 && jobs.unqueued === 0 && jobs.unrelayed === 0) return;
      if (waited > 300_000) throw new Error(`after 5 minutes ${jobs?.waiting} jobs still waiting, ${jobs?.unqueued} enrollments without their job and ${jobs?.unrelayed} events not relayed`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await client.end();
  }
}

/**
 * After the rounds: the last SQL round's events are relayed and run by a server started for them (no
 * worker runs during a SQL round), then every enrollment must have exactly the booking-notification jobs
 * it should: one for a student with an account, none for a student profile without one (decision 0074).
 * Before, the run ended with that round's events never relayed: they were ahead of the relay position,
 * not lost, but counting jobs against events then showed a round's worth missing.
 */
async function everyEnrollmentQueuedOnce(db: Db, url: string, enrollments: number): Promise<void> {
  const server = await startServer(serverEnv(url, clients));
  try {
    await jobsDrained(url);
  } finally {
    await server.stop();
  }
  const { rows: [count] } = await db.query<{ events: number; jobs: number; uneven: number }>(
    `select count(*)::integer as events, coalesce(sum(n), 0)::integer as jobs, count(*) filter (where n <> case when addressed then 1 else 0 end)::integer as uneven
       from (select count(j.id) as n, e.payload ->> 'student_id' is not null as addressed
               from domain_events e left join jobs j on j.event_seq = e.seq and j.handler = 'notifications.enrollment'
              where e.event_type = 'enrollment.enrolled' group by e.seq, e.payload ->> 'student_id') per_event`,
  );
  if (count?.uneven !== 0 || count.events !== enrollments) throw new Error(`${count?.events} enrollment events for ${enrollments} enrollments; ${count?.uneven} do not have exactly the booking-notification jobs they should (one with an account, none without; ${count?.jobs} jobs)`);
}

/** An administrator (staff of every session), sessions with room for everyone, and the students, written as the owner. */
async function prepareWorld(db: Db, students: number): Promise<{ actor: Actor & { userId: string }; sessions: string[]; studentIds: string[] }> {
  const userId = await createAccount(
    { db, cipher: createFieldCipher(keyring) },
    { role: 'SA', email: 'bench-admin@example.test', password: 'a bench password, never used', firstName: 'Bench', lastName: 'Admin', providerId: null },
  );
  const world = await createBenchSessionsAndStudents(db, { instructorId: userId, courseCode: 'BENCH-1', sessions: sessionCount, students });
  return { actor: { userId, role: 'SA', providerId: null }, sessions: world.sessions, studentIds: world.students };
}

/**
 * The bare engine: per enrollment a transaction with the application's own claims statement
 * (`applyActor`, sent over the raw connection) and `enroll_student`, over `clients` pooled connections.
 */
function enrollDirectly(url: string, actor: Actor): Side {
  const enroll = async (client: pg.PoolClient, item: Enrollment) => {
    const tx = asTx({ query: async (sql, params) => ({ rows: [], rowCount: (await client.query(sql, params as unknown[])).rowCount ?? 0 }), exec: async () => undefined });
    await client.query('begin');
    await applyActor(tx, actor);
    const { rows } = await client.query<{ outcome: string }>('select outcome from enroll_student($1, null, $2)', [item.session, item.student]);
    await client.query('commit');
    if (rows[0]?.outcome !== 'ENROLLED') throw new Error(`enroll_student answered ${rows[0]?.outcome}`);
  };
  const runAll = async (pool: pg.Pool, work: Enrollment[]) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        const client = await pool.connect();
        try {
          for (let item = work[next++]; item; item = work[next++]) await enroll(client, item);
        } finally {
          client.release();
        }
      }),
    );
  };
  return async (warmUp, measured) => {
    const pool = new pg.Pool({ connectionString: url, max: clients });
    try {
      await runAll(pool, warmUp);
      const { result: rate, cpuSeconds } = await backendCpuWhile(url, () => perSecond(measured.length, () => runAll(pool, measured)));
      return { rate, cpuMs: { postgres: msEach(cpuSeconds, measured.length) } };
    } finally {
      await pool.end();
    }
  };
}

/**
 * Through Unitrain: a real `unitrain serve` process (its pool as large as the SQL side's) answering
 * `POST /v1/sessions/:id/enrollments` for the administrator's token, from `clients` connections at once.
 */
function enrollOverHttp(url: string, token: string): Side {
  const runAll = async (baseUrl: string, work: Enrollment[]) => {
    let next = 0;
    const result = await autocannon({
      url: baseUrl, connections: clients, amount: work.length,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      requests: [{
        method: 'POST',
        setupRequest: (request) => {
          const item = work[next++ % work.length] as Enrollment;
          return { ...request, path: `/v1/sessions/${item.session}/enrollments`, body: JSON.stringify({ student_profile_id: item.student }) };
        },
      }],
    });
    if (result['2xx'] !== work.length || result.errors > 0) {
      throw new Error(`the server answered ${result['2xx']} of ${work.length} requests with 2xx (${result.non2xx} others, ${result.errors} errors)`);
    }
  };
  return async (warmUp, measured) => {
    const server = await startServer(serverEnv(url, clients));
    try {
      await runAll(server.url, warmUp);
      await jobsDrained(url);
      const serverBefore = (await cpuSecondsOf([server.pid])).get(server.pid) ?? 0;
      // The rate counts the requests; the CPU also what the server's worker does for them after them (relay, jobs).
      const { result: rate, cpuSeconds } = await backendCpuWhile(url, async () => {
        const requests = await perSecond(measured.length, () => runAll(server.url, measured));
        await jobsDrained(url);
        return requests;
      });
      const serverSeconds = ((await cpuSecondsOf([server.pid])).get(server.pid) ?? 0) - serverBefore;
      return { rate, cpuMs: { postgres: msEach(cpuSeconds, measured.length), server: msEach(serverSeconds, measured.length) } };
    } finally {
      await server.stop();
    }
  };
}

/** The raw transaction's tables, apart from the application's (no RLS, audit, events, change capture). */
const rawSchema = `
  create schema raw_anchor;
  create table raw_anchor.training_sessions (id uuid primary key, max_capacity int not null, current_enrollment int not null default 0,
    updated_at timestamptz not null default now(), check (current_enrollment <= max_capacity));
  create table raw_anchor.session_enrollments (id uuid primary key default gen_random_uuid(),
    session_id uuid not null references raw_anchor.training_sessions(id), student_id uuid not null, status text not null,
    enrollment_date timestamptz not null, unique (session_id, student_id));
  insert into raw_anchor.training_sessions (id, max_capacity) select md5('s'||n)::uuid, 1000000000 from generate_series(1,10000) n;
  analyze raw_anchor.training_sessions;`;

/** ../shared/bench/raw-enroll.sh's transaction: a capacity-guarded UPDATE and an INSERT, four round trips, prepared. */
const rawTransaction = `\\set n random(1, 10000)
BEGIN;
UPDATE raw_anchor.training_sessions SET current_enrollment = current_enrollment + 1, updated_at = now()
  WHERE id = md5('s' || :n)::uuid AND current_enrollment < max_capacity RETURNING id, current_enrollment, max_capacity;
INSERT INTO raw_anchor.session_enrollments (session_id, student_id, status, enrollment_date)
  VALUES (md5('s' || :n)::uuid, gen_random_uuid(), 'enrolled', now()) RETURNING id;
COMMIT;
`;

/**
 * Enrollments per second through the HTTP API against the same SQL run directly, on real PostgreSQL,
 * in the same run, 64 concurrent clients each. Both sides enroll distinct students (profiles without
 * accounts) into the same sessions as the same administrator, one transaction with the actor's claims
 * per enrollment, from this process. The HTTP side does more per enrollment, and that is what the ratio
 * shows: HTTP parsing, verifying the token, reloading the caller's account, validating, reading the new
 * row back and serialising it.
 */
export async function run(): Promise<void> {
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) {
    console.log('\nenrollment-throughput — skipped: it needs DATABASE_URL (a PostgreSQL server where it may create a scratch database); the embedded engine has one connection, so 64 concurrent clients would only queue');
    return;
  }
  await withScratchDatabase(serverUrl, async (url) => {
    const db = await openPostgresDatabase({ url, replicaUrl: null, poolMax: 4 }, createQueryLog(null, 0));
    try {
      await migrateUp(db);
      await db.exec(rawSchema);
      const rawCpuMs: (number | null)[] = [];
      // Its backends' CPU per transaction as well (pgbench's own process, the client, is not counted; nor are the HTTP side's load generator and the SQL side's client).
      const raw = async () => {
        const { result: rate, cpuSeconds } = await backendCpuWhile(url, () => pgbenchRate(url, rawTransaction, { clients, seconds: rawSeconds }));
        rawCpuMs.push(rate === null ? null : msEach(cpuSeconds, rate * rawSeconds));
        return rate;
      };
      const rawRates = [await raw()];
      const roundSize = warmUpPerRound + perRound;
      const world = await prepareWorld(db, roundOrder.length * roundSize);
      const work = world.studentIds.map((student, k): Enrollment => ({ student, session: world.sessions[k % sessionCount] as string }));
      const token = (await createAccessTokens(keyring.tokenSigningKey, { ttlSeconds: 3600 }).issue({ userId: world.actor.userId, role: 'SA', providerId: null })).token;
      const sides: Record<'sql' | 'http', Side> = { sql: enrollDirectly(url, world.actor), http: enrollOverHttp(url, token) };

      const rates = { sql: [] as number[], http: [] as number[] };
      const cpuMsPerEnrollment = { sql: [] as SideResult['cpuMs'][], http: [] as SideResult['cpuMs'][], raw: rawCpuMs };
      for (const [round, name] of roundOrder.entries()) {
        const slice = work.slice(round * roundSize, (round + 1) * roundSize);
        const side = await sides[name](slice.slice(0, warmUpPerRound), slice.slice(warmUpPerRound));
        rates[name].push(side.rate);
        cpuMsPerEnrollment[name].push(side.cpuMs);
      }

      rawRates.push(await raw());
      await everyEnrollmentQueuedOnce(db, url, work.length);
      const consistency = await checkConsistency(db);
      const { rows: [enrolled] } = await db.query<{ n: number }>(`select count(*)::integer as n from session_enrollments where status = 'ENROLLED'`);
      if (consistency.violations.length > 0 || enrolled?.n !== work.length) {
        throw new Error(`after the run: ${enrolled?.n} enrolled of ${work.length}, ${consistency.violations.length} consistency violation(s)`);
      }
      // Equal work per round: a side's rate is its enrollments over the sum of its rounds' times.
      const rateOf = (rounds: number[]) => rounds.length / rounds.reduce((sum, rate) => sum + 1 / rate, 0);
      const sqlName = `SQL: claims + enroll_student, ${clients} pooled connections`;
      const rawName = `raw engine: capacity-guarded UPDATE + INSERT (pgbench, ${clients} clients, no RLS, audit, events or change capture)`;
      const httpName = `HTTP: POST /v1/sessions/:id/enrollments, ${clients} clients`;
      const measurements: Measurement[] = [
        { name: sqlName, rate: rateOf(rates.sql) },
        { name: httpName, rate: rateOf(rates.http), baseline: sqlName },
      ];
      if (rawRates.every((rate) => rate !== null)) {
        measurements.unshift({ name: rawName, rate: rateOf(rawRates as number[]) });
        measurements.push({ name: `${httpName} (vs raw)`, rate: rateOf(rates.http), baseline: rawName });
      } else {
        console.log('enrollment-throughput: pgbench is not on the PATH, so the raw transaction (issue 17 goal 1) is not measured');
      }
      const rounds = Object.fromEntries(Object.entries(rates).map(([name, list]) => [name, list.map(Math.round)]));
      await report('enrollment-throughput', { engine: 'postgres', clients, sessions: sessionCount, perRound, rounds, rawRounds: rawRates.map((rate) => (rate === null ? null : Math.round(rate))), cpuMsPerEnrollment, consistency: 'no violations' }, measurements);
    } finally {
      await db.close();
    }
  });
}
