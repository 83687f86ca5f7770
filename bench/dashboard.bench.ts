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
import { refreshAnalyticsViews } from '../src/domains/reports/index.js';
import { seedDatabase, type SeedSize } from '../src/seed/index.js';
import { createAccessTokens } from '../src/platform/security/access-tokens.js';
import { createFieldCipher } from '../src/platform/security/field-cipher.js';
import { createLogger } from '../src/platform/shared/logger.js';
import { report } from './report.js';
import { benchKeyring } from './server-process.js';

/** p95 of `count` serial runs of `operation`, in milliseconds, after a warm-up. */
async function p95(operation: () => Promise<unknown>, count = 200): Promise<number> {
  for (let i = 0; i < 20; i += 1) await operation();
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await operation();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length * 0.95)] as number;
}

async function requestsPerSecond(url: string, headers: Record<string, string> = {}): Promise<number> {
  const result = await autocannon({ url, connections: 32, duration: 5, headers });
  return result.requests.average;
}

/**
 * The dashboard on seeded data (BENCH_SEED_SIZE, default small; `large` is 1M enrollments on PostgreSQL):
 * uncached, its one statement through the whole HTTP stack against the same statement run bare in a
 * transaction with the SA's claims; cached, requests per second against a bare Fastify route returning
 * the same JSON; and how long refreshing the analytics views takes. Everything in one run.
 */
export async function run(): Promise<void> {
  const url = process.env['DATABASE_URL'];
  const size = (process.env['BENCH_SEED_SIZE'] ?? 'small') as SeedSize;
  const db: Db = url
    ? await openPostgresDatabase({ url, replicaUrl: null, poolMax: 8 }, createQueryLog(null, 0))
    : await openPgliteDatabase({ kind: 'memory' }, createQueryLog(null, 0));
  await migrateUp(db);
  const keyring = benchKeyring;
  await seedDatabase(db, createFieldCipher(keyring), { size, seed: 1, today: new Date().toISOString().slice(0, 10) });
  const refreshStarted = performance.now();
  await db.transaction((tx) => refreshAnalyticsViews(tx));
  const refreshMs = performance.now() - refreshStarted;

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
  const bareSqlP95 = await p95(() => db.withActor(actor, (tx) => readDashboard(tx, now)));
  const uncachedP95 = await p95(() => fetch(`${uncachedUrl}/v1/dashboard`, { headers }).then((response) => response.arrayBuffer()));
  const cachedP95 = await p95(() => fetch(`${cachedUrl}/v1/dashboard`, { headers }).then((response) => response.arrayBuffer()), 2_000);
  const bareRps = await requestsPerSecond(`${bareUrl}/v1/dashboard`);
  const cachedRps = await requestsPerSecond(`${cachedUrl}/v1/dashboard`, headers);
  const bareCatalogueRps = await requestsPerSecond(`${bareUrl}/v1/catalogue`);
  const cachedCatalogueRps = await requestsPerSecond(`${cachedUrl}/v1/catalogue`);

  const perSecond = (ms: number) => 1000 / ms;
  await report('dashboard', { engine: url ? 'postgres' : 'pglite', seed: size, connections: 32, refreshMs: Math.round(refreshMs), p95Ms: {
    bareSql: +bareSqlP95.toFixed(2), uncachedHttp: +uncachedP95.toFixed(2), cachedHttp: +cachedP95.toFixed(2),
  } }, [
    { name: 'bare SQL: the dashboard statement (1 / p95)', rate: perSecond(bareSqlP95) },
    { name: 'Unitrain uncached: GET /v1/dashboard (1 / p95)', rate: perSecond(uncachedP95), baseline: 'bare SQL: the dashboard statement (1 / p95)' },
    { name: 'Unitrain cached: GET /v1/dashboard (1 / p95)', rate: perSecond(cachedP95), baseline: 'bare SQL: the dashboard statement (1 / p95)' },
    { name: 'bare Fastify: the same JSON (req/s)', rate: bareRps },
    // Signed in: the account is reloaded from the database on every request (authenticate.ts), cache or not.
    { name: 'Unitrain cached: GET /v1/dashboard (req/s)', rate: cachedRps, baseline: 'bare Fastify: the same JSON (req/s)' },
    { name: 'bare Fastify: the catalogue JSON (req/s)', rate: bareCatalogueRps },
    { name: 'Unitrain cached: GET /v1/catalogue (req/s)', rate: cachedCatalogueRps, baseline: 'bare Fastify: the catalogue JSON (req/s)' },
  ]);
  await Promise.all([bare.close(), uncachedApp.close(), cachedApp.close()]);
  await db.close();
}
