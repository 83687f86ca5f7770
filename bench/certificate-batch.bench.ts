import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Tx } from '../src/platform/db/database.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { wrapPglite } from '../src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { typeParsers } from '../src/platform/db/type-parsers.js';
import { certificateHandlers } from '../src/domains/certificates/index.js';
import { createDispatcher, defaultDispatcherSettings } from '../src/platform/jobs/index.js';
import { createFieldCipher } from '../src/platform/security/field-cipher.js';
import { createLogger } from '../src/platform/shared/logger.js';
import { cpuSecondsBetween, cpuSecondsOf } from './process-cpu.js';
import { type Measurement, report } from './report.js';
import { withScratchDatabase } from './scratch.js';

const learners = 10_000;
const builtInVersion = '00000000-0000-4000-8000-0000000000c2';
const builtInTemplate = '00000000-0000-4000-8000-0000000000c1';
const logger = createLogger({ logLevel: 'silent', logFormat: 'json' });
/** The handler mails nothing here; a cipher is part of its dependencies. */
const cipher = createFieldCipher({ encryptionKeys: [{ id: 'bench', key: randomBytes(32) }], blindIndexKey: randomBytes(32) });

type Mode = 'bare' | 'equivalent' | 'batch';
const labels: Record<Mode, string> = {
  bare: `bare: one INSERT … SELECT of ${learners} certificate rows, no audit, no events, no results`,
  equivalent: `bare, the goal's rows: ${learners} certificate rows, then their events and audit rows, three INSERT … SELECT`,
  batch: `batch job: ${learners} certificates in chunks of 1,000 (rows, events, audit, change log, results, progress)`,
};
/** Mirrored, after one round of each that is not counted. */
const rounds: Mode[] = ['bare', 'equivalent', 'batch', 'batch', 'equivalent', 'bare'];

interface World { courseId: string; locationId: string; userId: string }

async function createWorld(db: Db): Promise<World> {
  const { rows: [location] } = await db.query<{ id: string }>("insert into locations (name, city, country, timezone) values ('Bench hall', 'Leeds', 'GB', 'Europe/London') returning id");
  const { rows: [course] } = await db.query<{ id: string }>(
    "insert into courses (code, title, duration_minutes, certifies, certificate_validity_months) values ('BENCH-' || gen_random_uuid(), 'First aid', 450, true, 24) returning id");
  const { rows: [user] } = await db.query<{ id: string }>("insert into users (email_ciphertext, email_hmac, role) values ('c', 'bench-' || gen_random_uuid(), 'SA') returning id");
  return { courseId: course!.id, locationId: location!.id, userId: user!.id };
}

/** A roster of `learners` completed lines, each a student profile with a name (setup, not measured). */
async function createRoster(db: Db, world: World): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.query("select set_config('unitrain.audit', 'off', true)");
    const { rows: [roster] } = await tx.query<{ id: string }>(
      "insert into rosters (name, course_id, location_id, instructor_name, roster_type) values ('Bench roster', $1, $2, 'Anna Example', 'CERTIFICATE') returning id",
      [world.courseId, world.locationId]);
    await tx.query(
      `with profiles as (
         insert into student_enrollment_profiles (first_name, last_name)
         select 'Learner', 'Number ' || n from generate_series(1, $2::integer) as n returning id
       )
       insert into student_roster_members (roster_id, student_profile_id, completion_status, practical_score, written_score)
       select $1, id, 'COMPLETED', 90, 85 from profiles`,
      [roster!.id, learners]);
    await tx.exec('analyze student_roster_members; analyze student_enrollment_profiles');
    return roster!.id;
  });
}

/** The floor: the same rows (columns and printed snapshot) written by one plain statement, triggers for audit and change capture off. */
async function bare(db: Db, rosterId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("select set_config('unitrain.audit', 'off', true)");
    await bareInsert(tx, rosterId);
  });
}

async function bareInsert(tx: Tx, rosterId: string): Promise<void> {
  await tx.query(
    `insert into certificates (student_profile_id, roster_member_id, roster_id, course_id, location_id, course_name, recipient_name,
                               template_id, template_version_id, issue_date, expiry_date, verification_code, snapshot)
     select m.student_profile_id, m.id, r.id, r.course_id, r.location_id, c.title, p.first_name || ' ' || p.last_name, $2, $3,
            current_date, current_date + interval '24 months', upper(substr(replace(m.id::text, '-', ''), 1, 16)),
            jsonb_build_object('printed', jsonb_build_object('recipient_name', p.first_name || ' ' || p.last_name, 'course_name', c.title,
                               'practical_score', m.practical_score, 'written_score', m.written_score), 'verification_code', upper(substr(replace(m.id::text, '-', ''), 1, 16)))
       from student_roster_members m join rosters r on r.id = m.roster_id join courses c on c.id = r.course_id
       join student_enrollment_profiles p on p.id = m.student_profile_id
      where m.roster_id = $1`,
    [rosterId, builtInTemplate, builtInVersion]);
}

/**
 * The least the goal's words ask of the engine ("rows, events and audit written"): the bare insert, then
 * one certificate.issued event and one audit row (the row's image as JSON, as the audit trigger writes
 * it) per certificate, each by one plain statement in the same transaction. No results, progress,
 * change log or chunks.
 */
async function equivalent(db: Db, rosterId: string, world: World): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("select set_config('unitrain.audit', 'off', true)");
    await bareInsert(tx, rosterId);
    await tx.query(
      `insert into domain_events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id)
       select 'certificate', c.id, c.version, 'certificate.issued',
              jsonb_build_object('enrollment_id', c.enrollment_id, 'roster_member_id', c.roster_member_id, 'roster_id', c.roster_id,
                                 'course_id', c.course_id, 'user_id', c.user_id, 'expiry_date', c.expiry_date, 'batch_id', c.batch_id), $2
         from certificates c where c.roster_id = $1`, [rosterId, world.userId]);
    await tx.query(
      `insert into audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values)
       select $2, null, 'certificates', 'INSERT', c.id, null, to_jsonb(c) from certificates c where c.roster_id = $1`, [rosterId, world.userId]);
  });
}

/** What a request does (the batch row, which queues its first chunk), then the job's chunks run to the end. */
async function batch(db: Db, rosterId: string, world: World): Promise<void> {
  const handlers = certificateHandlers({
    cipher, logger, publicUrl: 'https://bench.example',
    mail: { from: 'bench@example.org', outboxDir: '/nonexistent', smtpUrl: null },
  }).filter((handler) => handler.name === 'certificates.batch-chunk');
  await db.query(
    `insert into certificate_batches (roster_id, template_id, template_version_id, requested_by, total_count, verification_base_url)
     values ($1, $2, $3, $4, $5, 'https://bench.example')`, [rosterId, builtInTemplate, builtInVersion, world.userId, learners]);
  await createDispatcher(db, handlers, logger, defaultDispatcherSettings).drain();
}

async function check(db: Db, rosterId: string, mode: Mode): Promise<void> {
  const { rows: [state] } = await db.query<{ certificates: number; events: number }>(
    `select count(*)::integer as certificates,
            (select count(*)::integer from domain_events e where e.event_type = 'certificate.issued' and (e.payload ->> 'roster_id')::uuid = $1) as events
       from certificates where roster_id = $1`, [rosterId]);
  const events = mode === 'bare' ? 0 : learners;
  if (state?.certificates !== learners || state.events !== events) throw new Error(`${mode}: ${state?.certificates} certificates and ${state?.events} events for ${learners} learners`);
}

/** CPU seconds so far of this process and of the database's backends (PostgreSQL; the embedded engine runs in this process). */
async function cpuNow(db: Db, engine: 'postgres' | 'pglite'): Promise<{ node: number; db: Map<number, number> }> {
  const usage = process.cpuUsage();
  const node = (usage.user + usage.system) / 1e6;
  if (engine === 'pglite') return { node, db: new Map() };
  const { rows } = await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()');
  return { node, db: await cpuSecondsOf(rows.map((row) => row.pid)) };
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
  const pglite = await PGlite.create({ parsers: typeParsers });
  const db = wrapPglite(pglite, createQueryLog(null, 0), () => pglite.close());
  try {
    await fn(db, 'pglite');
  } finally {
    await db.close();
  }
}

/**
 * Issuing a batch of 10,000 certificates for one roster (decision 0034): the batch job as it runs in a
 * worker (chunks of 1,000, each one transaction: the set-based issue_certificates with the certificate
 * rows, their certificate.issued events, audit rows, change-log rows and roster count, the learners'
 * results and the batch's progress), against the bare engine writing the same 10,000 certificate rows in
 * one statement with nothing else, and against the same plus their events and audit rows (the rows the
 * goal names; decision 0068). PDFs are not rendered by any (the holders' notice jobs do it later).
 */
export async function run(): Promise<void> {
  await withDatabase(async (db, engine) => {
    await migrateUp(db);
    const world = await createWorld(db);
    const seconds = new Map<Mode, number[]>();
    const cpu = new Map<Mode, { node: number; db: number }[]>();
    const warmedUp = new Set<Mode>();
    const once = async (mode: Mode) => {
      const rosterId = await createRoster(db, world);
      const cpuBefore = await cpuNow(db, engine);
      const started = performance.now();
      if (mode === 'bare') await bare(db, rosterId);
      else if (mode === 'equivalent') await equivalent(db, rosterId, world);
      else await batch(db, rosterId, world);
      const elapsed = (performance.now() - started) / 1000;
      const cpuAfter = await cpuNow(db, engine);
      await check(db, rosterId, mode);
      return { elapsed, cpu: { node: cpuAfter.node - cpuBefore.node, db: cpuSecondsBetween(cpuBefore.db, cpuAfter.db) } };
    };
    for (const mode of rounds) {
      if (!warmedUp.has(mode)) {
        warmedUp.add(mode);
        await once(mode);
      }
      const { elapsed, cpu: used } = await once(mode);
      seconds.set(mode, [...(seconds.get(mode) ?? []), elapsed]);
      cpu.set(mode, [...(cpu.get(mode) ?? []), used]);
    }
    const mean = (list: number[]) => list.reduce((sum, value) => sum + value, 0) / list.length;
    const measurements: Measurement[] = [
      { name: labels.bare, rate: learners / mean(seconds.get('bare')!) },
      { name: labels.equivalent, rate: learners / mean(seconds.get('equivalent')!), baseline: labels.bare },
      { name: labels.batch, rate: learners / mean(seconds.get('batch')!), baseline: labels.bare },
      { name: `${labels.batch} (against the goal's rows)`, rate: learners / mean(seconds.get('batch')!), baseline: labels.equivalent },
    ];
    const perRound = Object.fromEntries([...seconds].map(([mode, list]) => [mode, list.map((s) => Number(s.toFixed(2)))]));
    // CPU seconds per round (this process, and PostgreSQL's backends): the load moves them much less than the elapsed time.
    const cpuPerRound = Object.fromEntries([...cpu].map(([mode, list]) => [mode, list.map((used) => ({ node: Number(used.node.toFixed(2)), db: Number(used.db.toFixed(2)) }))]));
    await report('certificate-batch', { engine, learners, chunk: 1000, secondsPerRound: perRound, cpuSecondsPerRound: cpuPerRound }, measurements);
  });
}
