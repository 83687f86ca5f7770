import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Db } from '../src/platform/db/database.js';
import { openPgliteDatabase } from '../src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { readMigrationFiles } from '../src/platform/db/migrations/migration-files.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { newVerificationCode } from '../src/domains/certificates/verification-code.js';
import { createLogger } from '../src/platform/shared/logger.js';
import { signedOutActor } from '../src/platform/db/actor.js';
import { publicVerificationAnswers, verifyCertificate } from '../src/domains/certificates/certificates.repository.js';
import { cpuSecondsBetween, cpuSecondsOf } from './process-cpu.js';
import { measureSerial, report } from './report.js';
import { withScratchDatabase } from './scratch.js';
import { benchKeyring } from './server-process.js';

/**
 * Certificates: each verified once in the first-time pass, so every one of its requests misses the cache;
 * enough for several seconds of it, so that warming up is a small part of the pass (decision 0077).
 */
const codesCount = 60_000;
/** Codes the pass over codes verified before goes round. */
const warmCodesCount = 1_000;

/** CPU seconds of PostgreSQL's backends on the benchmark's database (none on the embedded engine, which runs in this process). */
type BackendCpu = () => Promise<Map<number, number>>;

interface Load {
  rate: number;
  /** CPU milliseconds per request: this process (the server and the load generator alike) and the database's backends. */
  cpuMs: { process: number; database: number };
}

/** Requests at 64 connections for `seconds`, going round `paths`; or, with `once`, each path once. */
async function requestsPerSecond(url: string, paths: readonly string[], seconds: number, backendCpu: BackendCpu, once = false): Promise<Load> {
  let next = -1;
  const [cpuBefore, dbBefore, started] = [process.cpuUsage(), await backendCpu(), performance.now()];
  // With `amount`, autocannon notices the end only at its next one-second sample (a pass of 2.1 s ended at
  // 3 s): the pass ends with its last answer.
  let lastAnswer = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url, connections: 64, ...(once ? { amount: paths.length } : { duration: seconds }),
      // Each request another certificate, as verifiers of many certificates would send them.
      requests: [{ setupRequest: (request) => ({ ...request, path: paths[(next += 1) % paths.length] as string }) }],
    }, (error, finished) => (error ? reject(error) : resolve(finished)));
    if (once) instance.on('response', () => { lastAnswer = performance.now(); });
  });
  const elapsedSeconds = ((once ? lastAnswer : performance.now()) - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const dbSeconds = cpuSecondsBetween(dbBefore, await backendCpu());
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} answers not 2xx, ${result.errors} errors`);
  const perRequest = (ms: number) => Number((ms / result.requests.total).toFixed(3));
  return { rate: once ? Math.round(result.requests.total / elapsedSeconds) : result.requests.average, cpuMs: { process: perRequest((cpu.user + cpu.system) / 1000), database: perRequest(dbSeconds * 1000) } };
}

/**
 * Public verification (`GET /v1/verify/:code`: code normalised, rate limit counted, the answer from the
 * two-layer cache or an uncounted lookup shared by the codes missed together, the verification counted in memory, JSON answer) at 64 connections, against a
 * bare Fastify route answering a JSON object of the same size from memory, in the same run. Embedded
 * database (PGlite, in memory), or a scratch database on the PostgreSQL server DATABASE_URL names.
 * The goal: at least 50 % of bare.
 */
export async function run(): Promise<void> {
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) {
    const db = await openPgliteDatabase({ kind: 'memory' }, createQueryLog(null, 0));
    await measure(db, 'pglite', async () => new Map()).finally(() => db.close());
    return;
  }
  await withScratchDatabase(serverUrl, async (url) => {
    const db = await openPostgresDatabase({ url, replicaUrl: null, poolMax: 16 }, createQueryLog(null, 0));
    const backendCpu = async () => {
      const { rows } = await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()');
      return cpuSecondsOf(rows.map((row) => row.pid));
    };
    await measure(db, 'postgres (pool of 16)', backendCpu).finally(() => db.close());
  });
}

async function measure(db: Db, engine: string, backendCpu: BackendCpu): Promise<void> {
  const seconds = Number(process.env['BENCH_SECONDS'] ?? 5);
  await migrateUp(db);
  const courseId = randomUUID();
  const locationId = randomUUID();
  await db.query(`insert into courses (id, code, title, duration_minutes) values ($1, 'FA-101', 'First aid', 450)`, [courseId]);
  await db.query(`insert into locations (id, name) values ($1, 'Own hall')`, [locationId]);
  const holderId = randomUUID();
  await db.query(`insert into student_enrollment_profiles (id, first_name, last_name) values ($1, 'Zoë', 'Łukasiewicz-Øster')`, [holderId]);
  const codes = Array.from({ length: codesCount }, () => newVerificationCode());
  await db.query(
    `insert into certificates (student_profile_id, course_id, location_id, course_name, recipient_name, issue_date, expiry_date, verification_code, pdf_sha256, snapshot)
     select $4, $1, $2, 'First aid', 'Zoë Łukasiewicz-Øster', current_date, current_date + 730, code, repeat('ab', 32),
            jsonb_build_object('printed', jsonb_build_object('recipient_name', 'Zoë Łukasiewicz-Øster', 'course_name', 'First aid', 'course_code', 'FA-101',
              'hours', 7.5, 'completed_on', current_date, 'practical_score', 92.5, 'written_score', 88, 'instructor_name', 'Владимир Иванов',
              'location_name', 'Own hall', 'location_place', 'London, GB', 'provider_name', 'Safe Hands Ltd'))
       from unnest($3::text[]) as code`,
    [courseId, locationId, codes, holderId],
  );

  const keyring = benchKeyring;
  // The public limit is on (it runs on every verification), set beyond what the benchmark sends.
  const auth = { accessTokenTtlSeconds: 900, refreshTokenTtlDays: 30, publicRateLimitPerMinute: 1_000_000_000 };
  const logger = createLogger({ logLevel: 'warn', logFormat: 'json' });
  const app = await buildApp({ db, logger, redis: null, migrations: await readMigrationFiles(), keyring, auth, stream: loadConfig({}, false).stream, publicUrl: null });
  const appUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const sample = await app.inject({ method: 'GET', url: `/v1/verify/${codes[0]}` });
  if (sample.statusCode !== 200) throw new Error(`verification answered ${sample.statusCode}: ${sample.body}`);

  const bareApp = Fastify();
  const answer = sample.json<Record<string, unknown>>();
  bareApp.get('/v1/verify/:code', async (request) => ({ ...answer, verification_code: (request.params as { code: string }).code }));
  const bareUrl = await bareApp.listen({ port: 0, host: '127.0.0.1' });

  const paths = codes.map((code) => `/v1/verify/${code}`);
  const bare = await requestsPerSecond(bareUrl, paths, seconds, backendCpu);
  // Every code once: each request is the first for its code, a cache miss and one lookup.
  const cold = await requestsPerSecond(appUrl, paths, seconds, backendCpu, true);
  // Verifiers come back to a code (a QR code scanned again, a register rechecked): codes verified
  // before, the same requests again, answered from the cache (decision 0052).
  const warmPaths = paths.slice(0, warmCodesCount);
  for (const path of warmPaths) await app.inject({ method: 'GET', url: path });
  const warm = await requestsPerSecond(appUrl, warmPaths, seconds, backendCpu);
  // Where the time goes, one request at a time: the counted lookup in a signed-out actor's transaction
  // (before decision 0036), in one statement on the owner connection (the document check), and uncounted
  // (what a verification not in the cache reads).
  let next = 0;
  const counted = await measureSerial(() => db.withActor(signedOutActor({ requestId: null, ip: null, userAgent: null }), (tx) => verifyCertificate(tx, codes[(next += 1) % codesCount] as string, true)));
  const countedStatement = await measureSerial(() => verifyCertificate(db, codes[(next += 1) % codesCount] as string, true));
  const uncounted = await measureSerial(() => verifyCertificate(db, codes[(next += 1) % codesCount] as string, false));
  const today = new Date().toISOString().slice(0, 10);
  const publicFacts = await measureSerial(() => publicVerificationAnswers(db, [codes[(next += 1) % codesCount] as string], today));
  const health = await requestsPerSecond(appUrl, ['/health'], seconds, backendCpu);
  // Closing writes the counts still waiting in memory (decision 0052).
  await Promise.all([bareApp.close(), app.close()]);
  const { rows } = await db.query<{ counted: number }>('select sum(verification_count)::integer as counted from certificate_verifications');
  await report('certificate-verify', { connections: 64, seconds, certificates: codesCount, engine, verificationsCounted: rows[0]?.counted, goal: '>= 50% of bare',
    cpuMsPerRequest: { bare: bare.cpuMs, cold: cold.cpuMs, warm: warm.cpuMs, health: health.cpuMs } }, [
    { name: 'bare Fastify: GET /v1/verify/:code from memory', rate: bare.rate },
    { name: 'Unitrain: GET /v1/verify/:code (counted), every code verified for the first time', rate: cold.rate, baseline: 'bare Fastify: GET /v1/verify/:code from memory' },
    { name: 'Unitrain: GET /v1/verify/:code (counted), every code verified before', rate: warm.rate, baseline: 'bare Fastify: GET /v1/verify/:code from memory' },
    { name: 'Unitrain: GET /health (the stack without the database)', rate: health.rate, baseline: 'bare Fastify: GET /v1/verify/:code from memory' },
    { name: 'database only, serial: counted lookup in an actor transaction', rate: counted },
    { name: 'database only, serial: counted lookup, one statement (the document check)', rate: countedStatement, baseline: 'database only, serial: counted lookup in an actor transaction' },
    { name: 'database only, serial: uncounted lookup, one statement (before decision 0064)', rate: uncounted, baseline: 'database only, serial: counted lookup in an actor transaction' },
    { name: 'database only, serial: the public answer, one SQL function (a verification not cached)', rate: publicFacts, baseline: 'database only, serial: counted lookup in an actor transaction' },
  ]);
}
