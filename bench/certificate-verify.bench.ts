import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Db } from '../src/platform/db/database.js';
import { embeddedDatabaseDir } from '../src/platform/db/open-database.js';
import { openPgliteDatabase } from '../src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { newVerificationCode } from '../src/domains/certificates/verification-code.js';
import { signedOutActor } from '../src/platform/db/actor.js';
import { publicVerificationAnswers, verifyCertificate } from '../src/domains/certificates/certificates.repository.js';
import { cpuMsPerRequest, type ServerProcesses } from './process-cpu.js';
import { measureSerial, report } from './report.js';
import { withScratchDatabase } from './scratch.js';
import { serverEnv, startServer } from './server-process.js';

const connections = 64;
/** The server's database connections (its pool), as in the authenticated-read benchmark. */
const poolMax = 16;
const bareServerPath = fileURLToPath(new URL('./bare-server.js', import.meta.url));
/**
 * Certificates: each verified once in the first-time pass, so every one of its requests misses the cache;
 * enough for several seconds of it, so that warming up is a small part of the pass (decision 0077).
 */
const codesCount = 60_000;
/** Codes the pass over codes verified before goes round. */
const warmCodesCount = 1_000;
/** Codes verified once before the first-time pass (the server's code compiled by its JIT), never in it. */
const warmUpCodesCount = 5_000;
/**
 * The public limit is on (it runs on every verification), at its highest: beyond what the benchmark
 * sends in a minute (60,000 first-time codes and a few seconds of the other passes; a 429 fails the run).
 */
const publicRateLimitPerMinute = 1_000_000;

/** Where the benchmark's certificates are, and how a server process and the benchmark itself reach them. */
interface Target {
  engine: string;
  /** The server process's environment for this database. */
  env: Record<string, string>;
  /** PostgreSQL's URL of the database, whose backends are counted; null for the embedded engine (in the server process). */
  databaseUrl: string | null;
  /** Opens the database in the benchmark's process: while no server holds it (PGlite has one owner). */
  open: () => Promise<Db>;
}

interface Load {
  rate: number;
  /** Answers and requests sent: a duration's end leaves requests in flight that the server may have counted. */
  answered: number;
  sent: number;
  /** CPU milliseconds per request of the server process and of its database's PostgreSQL backends. */
  cpuMs: { server: number; postgres: number };
}

/** Requests at 64 connections for `seconds`, going round `paths`; or, with `once`, each path once. */
function requestsPerSecond(url: string, paths: readonly string[], seconds: number, processes: ServerProcesses, once = false): Promise<Load> {
  return cpuMsPerRequest(processes, async () => {
    let next = -1;
    const started = performance.now();
    // With `amount`, autocannon notices the end only at its next one-second sample (a pass of 2.1 s ended at
    // 3 s): the pass ends with its last answer.
    let lastAnswer = started;
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon({
        url, connections, ...(once ? { amount: paths.length } : { duration: seconds }),
        // Each request another certificate, as verifiers of many certificates would send them.
        requests: [{ setupRequest: (request) => ({ ...request, path: paths[(next += 1) % paths.length] as string }) }],
      }, (error, finished) => (error ? reject(error) : resolve(finished)));
      if (once) instance.on('response', () => { lastAnswer = performance.now(); });
    });
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} answers not 2xx, ${result.errors} errors`);
    const rate = once ? Math.round(result.requests.total / ((lastAnswer - started) / 1000)) : result.requests.average;
    return { rate, answered: result.requests.total, sent: result.requests.sent, requests: result.requests.total };
  });
}

/**
 * Public verification (`GET /v1/verify/:code`: code normalised, rate limit counted, the answer from the
 * two-layer cache or an uncounted lookup shared by the codes missed together, the verification counted in
 * memory, JSON answer) at 64 connections, measured as it runs: a `unitrain serve` process loaded by
 * autocannon in this process, against a bare Fastify route answering a JSON object of the same size from
 * memory, in a process of its own started the same way, in the same run (decision 0090). A scratch
 * database on the PostgreSQL server DATABASE_URL names, or the embedded database (PGlite) in a data
 * directory of its own, which the server process opens as a user's would.
 * The goal: at least 50 % of bare.
 */
export async function run(): Promise<void> {
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) {
    const dataDir = await mkdtemp(join(tmpdir(), 'unitrain-bench-verify-'));
    try {
      await measure({
        engine: 'pglite (embedded, in the server process)', env: { DATA_DIR: dataDir }, databaseUrl: null,
        open: () => openPgliteDatabase({ kind: 'directory', path: embeddedDatabaseDir(dataDir) }, createQueryLog(null, 0)),
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    return;
  }
  await withScratchDatabase(serverUrl, (url) => measure({
    engine: `postgres (pool of ${poolMax})`, env: serverEnv(url, poolMax), databaseUrl: url,
    open: () => openPostgresDatabase({ url, replicaUrl: null, poolMax: 2 }, createQueryLog(null, 0)),
  }));
}

/** The certificates, written as the owner: `count` of them, one holder, every printed fact a verification shows. */
async function insertCertificates(db: Db, count: number): Promise<string[]> {
  await migrateUp(db);
  const courseId = randomUUID();
  const locationId = randomUUID();
  await db.query(`insert into courses (id, code, title, duration_minutes) values ($1, 'FA-101', 'First aid', 450)`, [courseId]);
  await db.query(`insert into locations (id, name) values ($1, 'Own hall')`, [locationId]);
  const holderId = randomUUID();
  await db.query(`insert into student_enrollment_profiles (id, first_name, last_name) values ($1, 'Zoë', 'Łukasiewicz-Øster')`, [holderId]);
  const codes = Array.from({ length: count }, () => newVerificationCode());
  await db.query(
    `insert into certificates (student_profile_id, course_id, location_id, course_name, recipient_name, issue_date, expiry_date, verification_code, pdf_sha256, snapshot)
     select $4, $1, $2, 'First aid', 'Zoë Łukasiewicz-Øster', current_date, current_date + 730, code, repeat('ab', 32),
            jsonb_build_object('printed', jsonb_build_object('recipient_name', 'Zoë Łukasiewicz-Øster', 'course_name', 'First aid', 'course_code', 'FA-101',
              'hours', 7.5, 'completed_on', current_date, 'practical_score', 92.5, 'written_score', 88, 'instructor_name', 'Владимир Иванов',
              'location_name', 'Own hall', 'location_place', 'London, GB', 'provider_name', 'Safe Hands Ltd'))
       from unnest($3::text[]) as code`,
    [courseId, locationId, codes, holderId],
  );
  return codes;
}

/**
 * Every request the server answered was counted once it stopped (closing writes the counts still in memory,
 * decision 0052): each code of the first-time pass once, the codes verified before more often, and no more
 * in all than the requests sent.
 */
async function checkCounts(db: Db, warmCodes: readonly string[], answered: number, sent: number): Promise<number> {
  const { rows: [counts] } = await db.query<{ uncounted: number; miscounted: number; counted: number }>(
    `select count(*) filter (where v.verification_count is null)::integer as uncounted,
            count(*) filter (where v.verification_count < case when c.verification_code = any($1::text[]) then 2 else 1 end
                              or (v.verification_count > 1 and not c.verification_code = any($1::text[])))::integer as miscounted,
            coalesce(sum(v.verification_count), 0)::integer as counted
       from certificates c left join certificate_verifications v on v.certificate_id = c.id`,
    [warmCodes],
  );
  if (!counts || counts.uncounted > 0 || counts.miscounted > 0 || counts.counted < answered || counts.counted > sent) {
    throw new Error(`verifications counted: ${JSON.stringify(counts)}; expected every code counted, the first-time codes once, between ${answered} and ${sent} in all`);
  }
  return counts.counted;
}

async function measure(target: Target): Promise<void> {
  const seconds = Number(process.env['BENCH_SECONDS'] ?? 5);
  // The sample's code and the warm-up's are verified before the first-time pass, and are not in it.
  const db = await target.open();
  const [sampleCode, ...rest] = await insertCertificates(db, 1 + warmUpCodesCount + codesCount).finally(() => db.close());
  const warmUpCodes = rest.slice(0, warmUpCodesCount);
  const codes = rest.slice(warmUpCodesCount);
  const warmCodes = codes.slice(0, warmCodesCount);
  const pathsOf = (some: readonly string[]) => some.map((code) => `/v1/verify/${code}`);
  const paths = pathsOf(codes);
  const warmPaths = pathsOf(warmCodes);

  const server = await startServer({ ...target.env, RATE_LIMIT_PUBLIC_PER_MINUTE: String(publicRateLimitPerMinute) });
  let passes: { bare: Load; cold: Load; warm: Load; health: Load; verifications: { answered: number; sent: number } };
  try {
    const sample = await fetch(`${server.url}/v1/verify/${sampleCode}`);
    const sampleJson = await sample.text();
    if (sample.status !== 200) throw new Error(`verification answered ${sample.status}: ${sampleJson}`);
    const bare = await startServer({ BARE_VERIFY_JSON: sampleJson }, [bareServerPath]);
    try {
      const processes = { server: server.pid, databaseUrl: target.databaseUrl };
      // A warm-up of each server (code optimised, connections opened, statements planned) with codes of its own.
      const warmUp = await requestsPerSecond(server.url, pathsOf(warmUpCodes), seconds, processes, true);
      await requestsPerSecond(bare.url, paths.slice(0, warmUpCodesCount), seconds, { server: bare.pid, databaseUrl: null }, true);
      const barePass = await requestsPerSecond(bare.url, paths, seconds, { server: bare.pid, databaseUrl: null });
      // Every code once: each request is the first for its code, a cache miss and one lookup.
      const cold = await requestsPerSecond(server.url, paths, seconds, processes, true);
      // Verifiers come back to a code (a QR code scanned again, a register rechecked): codes verified
      // before, the same requests again, answered from the cache (decision 0052) once loaded into it again.
      const reload = await requestsPerSecond(server.url, warmPaths, seconds, processes, true);
      const warm = await requestsPerSecond(server.url, warmPaths, seconds, processes);
      const health = await requestsPerSecond(server.url, ['/health'], seconds, processes);
      const verifying = [warmUp, cold, reload, warm];
      const verifications = { answered: 1 + verifying.reduce((sum, load) => sum + load.answered, 0), sent: 1 + verifying.reduce((sum, load) => sum + load.sent, 0) };
      passes = { bare: barePass, cold, warm, health, verifications };
    } finally {
      await bare.stop();
    }
  } finally {
    await server.stop();
  }

  const reopened = await target.open();
  try {
    const counted = await checkCounts(reopened, warmCodes, passes.verifications.answered, passes.verifications.sent);
    await reportFigures(reopened, target, seconds, counted, passes, codes);
  } finally {
    await reopened.close();
  }
}

async function reportFigures(
  db: Db, target: Target, seconds: number, verificationsCounted: number,
  passes: { bare: Load; cold: Load; warm: Load; health: Load }, codes: readonly string[],
): Promise<void> {
  // Where the time goes, one request at a time: the counted lookup in a signed-out actor's transaction
  // (before decision 0036), in one statement on the owner connection (the document check), and uncounted
  // (what a verification not in the cache reads).
  let next = 0;
  const code = () => codes[(next += 1) % codes.length] as string;
  const counted = await measureSerial(() => db.withActor(signedOutActor({ requestId: null, ip: null, userAgent: null }), (tx) => verifyCertificate(tx, code(), true)));
  const countedStatement = await measureSerial(() => verifyCertificate(db, code(), true));
  const uncounted = await measureSerial(() => verifyCertificate(db, code(), false));
  const today = new Date().toISOString().slice(0, 10);
  const publicFacts = await measureSerial(() => publicVerificationAnswers(db, [code()], today));
  const { bare, cold, warm, health } = passes;
  const bareName = `bare Fastify: GET /v1/verify/:code from memory, own process, ${connections} connections`;
  await report('certificate-verify', { connections, seconds, certificates: codes.length, engine: target.engine, verificationsCounted, goal: '>= 50% of bare',
    // The embedded engine runs in the server process: its CPU is the server's.
    cpuMsPerRequest: { bare: bare.cpuMs.server, ...Object.fromEntries(Object.entries({ cold, warm, health }).map(([pass, load]) => [pass, target.databaseUrl === null ? load.cpuMs.server : load.cpuMs])) } }, [
    { name: bareName, rate: bare.rate },
    { name: 'Unitrain: GET /v1/verify/:code (counted), every code verified for the first time', rate: cold.rate, baseline: bareName },
    { name: 'Unitrain: GET /v1/verify/:code (counted), every code verified before', rate: warm.rate, baseline: bareName },
    { name: 'Unitrain: GET /health (the stack without the database)', rate: health.rate, baseline: bareName },
    { name: 'database only, serial: counted lookup in an actor transaction', rate: counted },
    { name: 'database only, serial: counted lookup, one statement (the document check)', rate: countedStatement, baseline: 'database only, serial: counted lookup in an actor transaction' },
    { name: 'database only, serial: uncounted lookup, one statement (before decision 0064)', rate: uncounted, baseline: 'database only, serial: counted lookup in an actor transaction' },
    { name: 'database only, serial: the public answer, one SQL function (a verification not cached)', rate: publicFacts, baseline: 'database only, serial: counted lookup in an actor transaction' },
  ]);
}
