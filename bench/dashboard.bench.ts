import autocannon from 'autocannon';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Actor } from '../src/platform/db/actor.js';
import type { Db } from '../src/platform/db/database.js';
import { readMigrationFiles } from '../src/platform/db/migrations/migration-files.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { openPgliteDatabase } from '../src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { readDashboard } from '../src/domains/dashboard/index.js';
import { analyticsViews, refreshAnalyticsViews } from '../src/domains/reports/index.js';
import { seedDatabase, type SeedSize } from '../src/seed/index.js';
import { createAccessTokens } from '../src/platform/security/access-tokens.js';
import { createFieldCipher } from '../src/platform/security/field-cipher.js';
import { createLogger } from '../src/platform/shared/logger.js';
import { report } from './report.js';
import { withScratchDatabase } from './scratch.js';
import { benchKeyring } from './server-process.js';

/**
 * p95 of up to `count` serial runs of `operation`, in milliseconds, after a warm-up. At least 40 runs;
 * past those, no more than `budgetMs` of runs: at the large seed one SA dashboard takes seconds.
 */
async function p95(operation: () => Promise<unknown>, count = 200, budgetMs = 90_000): Promise<{ p95: number; runs: number }> {
  for (let i = 0; i < 5; i += 1) await operation();
  const times: number[] = [];
  const started = performance.now();
  while (times.length < count && (times.length < 40 || performance.now() - started < budgetMs)) {
    const runStarted = performance.now();
    await operation();
    times.push(performance.now() - runStarted);
  }
  times.sort((a, b) => a - b);
  return { p95: times[Math.floor(times.length * 0.95)] as number, runs: times.length };
}

/** Milliseconds `operation` takes, once. */
async function timed(operation: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await operation();
  return performance.now() - started;
}

/**
 * Requests per second over 32 connections for 5 s, and the CPU milliseconds this process spent per
 * request meanwhile: the server and the load generator share it, as they do for the bare route, so the
 * ratio of the two costs is what a quiet machine's ratio of rates would be, less the machine's load.
 */
async function requestsPerSecond(url: string, headers: Record<string, string> = {}): Promise<{ rate: number; cpuMs: number }> {
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({ url, connections: 32, duration: 5, headers });
  const cpu = process.cpuUsage(cpuBefore);
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} answers not 2xx, ${result.errors} errors`);
  return { rate: result.requests.average, cpuMs: +((cpu.user + cpu.system) / 1000 / result.requests.total).toFixed(3) };
}

/**
 * The dashboard on seeded data (BENCH_SEED_SIZE, default small; `large` is 1M enrollments on PostgreSQL,
 * in a scratch database of DATABASE_URL's server): uncached, its one statement through the whole HTTP
 * stack against the same statement run bare in a transaction with the SA's claims; cached, p95 against
 * that bare statement and requests per second against a bare Fastify route returning the same JSON; and
 * the scheduled refresh of the analytics views (CONCURRENTLY, under its lock, recorded) against a bare
 * REFRESH MATERIALIZED VIEW of each. Everything in one run.
 */
export async function run(): Promise<void> {
  const url = process.env['DATABASE_URL'];
  if (url) await withScratchDatabase(url, (scratchUrl) => measure(scratchUrl));
  else await measure(null);
}

async function measure(url: string | null): Promise<void> {
  const size = (process.env['BENCH_SEED_SIZE'] ?? 'small') as SeedSize;
  const db: Db = url
    ? await openPostgresDatabase({ url, replicaUrl: null, poolMax: 8 }, createQueryLog(null, 0))
    : await openPgliteDatabase({ kind: 'memory' }, createQueryLog(null, 0));
  await migrateUp(db);
  const keyring = benchKeyring;
  const seedStarted = performance.now();
  await seedDatabase(db, createFieldCipher(keyring), { size, seed: 1, today: new Date().toISOString().slice(0, 10) });
  const seedMs = performance.now() - seedStarted;
  // The first refresh fills the views (a view never refreshed cannot be refreshed CONCURRENTLY); the timed ones follow.
  await db.transaction((tx) => refreshAnalyticsViews(tx));
  const refreshMs = await timed(() => db.transaction((tx) => refreshAnalyticsViews(tx)));
  // The names come from the list of views, never from input.
  const bareRefreshMs = await timed(() => db.transaction(async (tx) => {
    for (const view of analyticsViews) await tx.query(`refresh materialized view ${view}`);
  }));

  const { rows: [sa] } = await db.query<{ id: string }>(`select id from users where role = 'SA' and status = 'ACTIVE' order by id limit 1`);
  const actor: Actor = { userId: sa!.id, role: 'SA', providerId: null };
  const token = (await createAccessTokens(keyring.tokenSigningKey, { ttlSeconds: 3_600 }).issue({ userId: sa!.id, role: 'SA', providerId: null })).token;
  const headers = { authorization: `Bearer ${token}` };
  const logger = createLogger({ logLevel: 'warn', logFormat: 'json' });
  const config = loadConfig({}, false);
  const deps = { db, logger, redis: null, migrations: await readMigrationFiles(), keyring, auth: { ...config.auth, publicRateLimitPerMinute: 1_000_000 }, stream: config.stream, publicUrl: null };
  const uncachedApp = await buildApp({ ...deps, cache: { l1MaxEntries: 10, ttlSeconds: 0 } });
  const cachedApp = await buildApp({ ...deps, cache: { l1MaxEntries: 10_000, ttlSeconds: 300 } });
  const uncachedUrl = await uncachedApp.listen({ port: 0, host: '127.0.0.1' });
  const cachedUrl = await cachedApp.listen({ port: 0, host: '127.0.0.1' });
  const sample = await (await fetch(`${cachedUrl}/v1/dashboard`, { headers })).json();
  const catalogue = await (await fetch(`${cachedUrl}/v1/catalogue`)).json();
  const bare = Fastify();
  bare.get('/v1/dashboard', async () => sample);
  bare.get('/v1/catalogue', async () => catalogue);
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

  const now = new Date();
  const bareSql = await p95(() => db.withActor(actor, (tx) => readDashboard(tx, now)));
  const uncached = await p95(() => fetch(`${uncachedUrl}/v1/dashboard`, { headers }).then((response) => response.arrayBuffer()));
  const cached = await p95(() => fetch(`${cachedUrl}/v1/dashboard`, { headers }).then((response) => response.arrayBuffer()), 2_000);
  const bareRps = await requestsPerSecond(`${bareUrl}/v1/dashboard`);
  const cachedRps = await requestsPerSecond(`${cachedUrl}/v1/dashboard`, headers);
  const bareCatalogueRps = await requestsPerSecond(`${bareUrl}/v1/catalogue`);
  const cachedCatalogueRps = await requestsPerSecond(`${cachedUrl}/v1/catalogue`);
  const { rows: [counts] } = await db.query<{ enrollments: number; sessions: number }>(
    'select (select count(*) from session_enrollments)::integer as enrollments, (select count(*) from training_sessions)::integer as sessions',
  );

  const perSecond = (ms: number) => 1000 / ms;
  const ms = (value: number) => +value.toFixed(2);
  await report('dashboard', {
    engine: url ? 'postgres' : 'pglite', seed: size, ...counts, seedSeconds: Math.round(seedMs / 1000), connections: 32,
    p95Ms: { bareSql: ms(bareSql.p95), uncachedHttp: ms(uncached.p95), cachedHttp: ms(cached.p95) },
    runs: { bareSql: bareSql.runs, uncachedHttp: uncached.runs, cachedHttp: cached.runs },
    refreshMs: { scheduled: Math.round(refreshMs), bareRefresh: Math.round(bareRefreshMs) },
    requestsPerSecond: { bareDashboard: Math.round(bareRps.rate), cachedDashboard: Math.round(cachedRps.rate), bareCatalogue: Math.round(bareCatalogueRps.rate), cachedCatalogue: Math.round(cachedCatalogueRps.rate) },
    cpuMsPerRequest: { bareDashboard: bareRps.cpuMs, cachedDashboard: cachedRps.cpuMs, bareCatalogue: bareCatalogueRps.cpuMs, cachedCatalogue: cachedCatalogueRps.cpuMs },
  }, [
    { name: 'bare SQL: the dashboard statement (1 / p95)', rate: perSecond(bareSql.p95) },
    { name: 'Unitrain uncached: GET /v1/dashboard (1 / p95)', rate: perSecond(uncached.p95), baseline: 'bare SQL: the dashboard statement (1 / p95)' },
    { name: 'Unitrain cached: GET /v1/dashboard (1 / p95)', rate: perSecond(cached.p95), baseline: 'bare SQL: the dashboard statement (1 / p95)' },
    { name: 'bare SQL: REFRESH MATERIALIZED VIEW, all five (1 / time)', rate: perSecond(bareRefreshMs) },
    { name: 'Unitrain: the scheduled refresh, CONCURRENTLY (1 / time)', rate: perSecond(refreshMs), baseline: 'bare SQL: REFRESH MATERIALIZED VIEW, all five (1 / time)' },
    { name: 'bare Fastify: the same JSON (req/s)', rate: bareRps.rate },
    // Signed in: the account from memory while no change can have altered it (decision 0063).
    { name: 'Unitrain cached: GET /v1/dashboard (req/s)', rate: cachedRps.rate, baseline: 'bare Fastify: the same JSON (req/s)' },
    { name: 'bare Fastify: the same JSON (1 / CPU per request)', rate: 1000 / bareRps.cpuMs },
    { name: 'Unitrain cached: GET /v1/dashboard (1 / CPU per request)', rate: 1000 / cachedRps.cpuMs, baseline: 'bare Fastify: the same JSON (1 / CPU per request)' },
    { name: 'bare Fastify: the catalogue JSON (req/s)', rate: bareCatalogueRps.rate },
    { name: 'Unitrain cached: GET /v1/catalogue (req/s)', rate: cachedCatalogueRps.rate, baseline: 'bare Fastify: the catalogue JSON (req/s)' },
  ]);
  await Promise.all([bare.close(), uncachedApp.close(), cachedApp.close()]);
  await db.close();
}
