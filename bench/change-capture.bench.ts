import { PGlite } from '@electric-sql/pglite';
import type { Actor } from '../src/platform/db/actor.js';
import type { Db } from '../src/platform/db/database.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { pgliteExtensions, wrapPglite } from '../src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { typeParsers } from '../src/platform/db/type-parsers.js';
import { type Measurement, report } from './report.js';
import { createBenchSessionsAndStudents, withScratchDatabase } from './scratch.js';

/** Concurrent writers on PostgreSQL; the embedded engine has one connection, so its writers queue. */
const clients = 16;
const sessionCount = 64;
const perRound = 2_000;
const warmUpPerRound = 200;
/** Capture as migration 0021 installs it, the same keys as row-level triggers, or no capture at all. */
type Mode = 'statement' | 'row' | 'off';
/**
 * Each mode twice, mirrored, so that drift over the run (table growth, autovacuum) hits all alike,
 * after a first round that is not counted: whichever mode ran first came out a third slower.
 */
const roundOrder: Mode[] = ['off', 'statement', 'row', 'off', 'off', 'row', 'statement'];
/** Statements per round that update every session at once (rows per second are reported). */
const batchesPerRound = 200;
type Workload = 'enroll' | 'update' | 'batch';
const workloadLabels: Record<Workload, string> = {
  enroll: 'enroll_student',
  update: 'update one training_session',
  batch: `update ${sessionCount} training_sessions per statement (rows/s)`,
};

/**
 * The row-level alternative, built from the same key expressions (change_capture_tables()) as the
 * shipped statement-level functions: one function call and one INSERT per changed row.
 */
const createRowLevelCapture = `
DO $$
DECLARE
  captured record;
BEGIN
  FOR captured IN SELECT * FROM change_capture_tables() LOOP
    EXECUTE format(
      $create$
      CREATE FUNCTION %1$I() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $body$
      DECLARE changed %7$I;
      BEGIN
        IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, %2$s, %3$s, %4$s, %5$s FROM (SELECT (changed).*) r %6$s;
        RETURN NULL;
      END;
      $body$
      $create$,
      captured.table_name || '_capture_row', captured.location_key, captured.provider_key, captured.instructor_key,
      captured.user_key, CASE WHEN captured.parent IS NULL THEN '' ELSE 'LEFT JOIN ' || captured.parent END, captured.table_name);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION %I()',
      captured.table_name || '_capture_row', captured.table_name, captured.table_name || '_capture_row');
  END LOOP;
END
$$`;

/** Enables the triggers of one mode and disables the others', as the owner. */
async function switchTo(db: Db, mode: Mode): Promise<void> {
  await db.query(`
    DO $$
    DECLARE
      captured record;
      suffix text;
    BEGIN
      FOR captured IN SELECT table_name FROM change_capture_tables() LOOP
        FOREACH suffix IN ARRAY ARRAY['insert', 'update', 'delete', 'row'] LOOP
          EXECUTE format('ALTER TABLE %I %s TRIGGER %I', captured.table_name,
            CASE WHEN (suffix = 'row') = ('${mode}' = 'row') AND '${mode}' <> 'off' THEN 'ENABLE' ELSE 'DISABLE' END,
            captured.table_name || '_capture_' || suffix);
        END LOOP;
      END LOOP;
    END
    $$`);
}

interface World {
  actor: Actor;
  sessions: string[];
  students: string[];
}

/** An administrator claim (no account needed: the writes run under its claims), sessions with room for everyone, and students. */
async function prepareWorld(db: Db, students: number): Promise<World> {
  const { rows: [instructor] } = await db.query<{ id: string }>(
    `insert into users (email_ciphertext, email_hmac, role) values ('bench', 'bench-instructor', 'SA') returning id`,
  );
  const instructorId = instructor?.id as string;
  const world = await createBenchSessionsAndStudents(db, { instructorId, courseCode: 'BENCH-CC', sessions: sessionCount, students });
  return { actor: { userId: instructorId, role: 'SA', providerId: null }, ...world };
}

/** `count` writes from `writers` concurrent workers, one withActor transaction each; returns writes per second. */
async function writesPerSecond(count: number, write: (k: number) => Promise<unknown>, writers = clients): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: writers }, async () => {
    for (let k = next++; k < count; k = next++) await write(k);
  }));
  return count / ((performance.now() - started) / 1000);
}

/** A scratch database on the server DATABASE_URL names, opened with a pool for the writers. */
function withServerDatabase(serverUrl: string, fn: (db: Db) => Promise<void>): Promise<void> {
  return withScratchDatabase(serverUrl, async (url) => {
    const db = await openPostgresDatabase({ url, replicaUrl: null, poolMax: clients }, createQueryLog(null, 0));
    try {
      await fn(db);
    } finally {
      await db.close();
    }
  });
}

async function withEmbeddedDatabase(fn: (db: Db) => Promise<void>): Promise<void> {
  const pglite = await PGlite.create({ parsers: typeParsers, extensions: pgliteExtensions });
  const db = wrapPglite(pglite, createQueryLog(null, 0), () => pglite.close());
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * Write throughput with change capture (statement-level, as shipped), with the same capture as
 * row-level triggers, and with none (its triggers disabled), in the same run on the same database:
 * enrollments (enroll_student: an enrollment insert and a session update, so two change rows) and
 * session title updates (one change row), each one withActor transaction as an administrator, and
 * statements that update every session at once (where one trigger call per statement pays off).
 */
export async function run(): Promise<void> {
  const serverUrl = process.env['DATABASE_URL'];
  const engine = serverUrl ? 'postgres' : 'pglite';
  const open = serverUrl ? (fn: (db: Db) => Promise<void>) => withServerDatabase(serverUrl, fn) : withEmbeddedDatabase;
  await open(async (db) => {
    await migrateUp(db);
    await db.query(createRowLevelCapture);
    const roundSize = warmUpPerRound + perRound;
    const world = await prepareWorld(db, roundOrder.length * roundSize);
    const sessionOf = (k: number) => world.sessions[k % sessionCount] as string;
    const rates: Record<Workload, Record<Mode, number[]>> = {
      enroll: { statement: [], row: [], off: [] },
      update: { statement: [], row: [], off: [] },
      batch: { statement: [], row: [], off: [] },
    };
    for (const [round, mode] of roundOrder.entries()) {
      await switchTo(db, mode);
      const students = world.students.slice(round * roundSize, (round + 1) * roundSize);
      const enroll = (k: number) => db.withActor(world.actor, async (tx) => {
        const { rows } = await tx.query<{ outcome: string }>('select outcome from enroll_student($1, null, $2)', [sessionOf(k), students[k]]);
        if (rows[0]?.outcome !== 'ENROLLED') throw new Error(`enroll_student answered ${rows[0]?.outcome}`);
      });
      const update = (k: number) => db.withActor(world.actor, (tx) =>
        tx.query('update training_sessions set title = $2 where id = $1', [sessionOf(k), `Capture ${round}.${k}`]));
      const counted = round === 0 ? [] : undefined;
      await writesPerSecond(warmUpPerRound, enroll);
      (counted ?? rates.enroll[mode]).push(await writesPerSecond(perRound, (k) => enroll(warmUpPerRound + k)));
      await writesPerSecond(warmUpPerRound, update);
      (counted ?? rates.update[mode]).push(await writesPerSecond(perRound, update));
      // Rows per second: each statement changes every session. One writer: concurrent ones would
      // deadlock, each locking the same rows in its own order.
      const updateAll = (k: number) => db.withActor(world.actor, (tx) =>
        tx.query('update training_sessions set title = $2 where id = any($1::uuid[])', [world.sessions, `Batch ${round}.${k}`]));
      await writesPerSecond(batchesPerRound / 10, updateAll, 1);
      (counted ?? rates.batch[mode]).push(sessionCount * await writesPerSecond(batchesPerRound, updateAll, 1));
    }
    await switchTo(db, 'statement');
    const { rows: [logged] } = await db.query<{ n: number }>('select count(*)::integer as n from change_log');

    // Equal work per round: a mode's rate is its writes over the sum of its rounds' times.
    const rateOf = (rounds: number[]) => rounds.length / rounds.reduce((sum, rate) => sum + 1 / rate, 0);
    const measurements: Measurement[] = (['enroll', 'update', 'batch'] as const).flatMap((workload) => {
      const label = workloadLabels[workload];
      const baseline = `${label}: no change capture`;
      return [
        { name: baseline, rate: rateOf(rates[workload].off) },
        { name: `${label}: statement-level capture (shipped)`, rate: rateOf(rates[workload].statement), baseline },
        { name: `${label}: row-level capture`, rate: rateOf(rates[workload].row), baseline },
      ];
    });
    const rounds = Object.fromEntries(Object.entries(rates).map(([w, byMode]) => [w, Object.fromEntries(Object.entries(byMode).map(([m, list]) => [m, list.map(Math.round)]))]));
    await report('change-capture', { engine, clients: serverUrl ? clients : 1, perRound, rounds, changeLogRows: logged?.n }, measurements);
  });
}
