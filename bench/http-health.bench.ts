import autocannon from 'autocannon';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openPgliteDatabase } from '../src/platform/db/pglite-database.js';
import { readMigrationFiles } from '../src/platform/db/migrations/migration-files.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { createLogger } from '../src/platform/shared/logger.js';
import { report } from './report.js';
import { benchKeyring } from './server-process.js';

async function requestsPerSecond(url: string): Promise<number> {
  const result = await autocannon({ url, connections: 64, duration: 5 });
  return result.requests.average;
}

/**
 * HTTP overhead of Unitrain's stack (request ids, error handling, schemas, serialisation) over a bare
 * Fastify route returning the same JSON, both under 64 concurrent connections in the same run.
 */
export async function run(): Promise<void> {
  const bare = Fastify();
  bare.get('/health', async () => ({ status: 'OK', uptime_seconds: Math.round(process.uptime()) }));
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

  const db = await openPgliteDatabase({ kind: 'memory' }, createQueryLog(null, 0));
  await migrateUp(db);
  const keyring = benchKeyring;
  const auth = { accessTokenTtlSeconds: 900, refreshTokenTtlDays: 30, publicRateLimitPerMinute: 100 };
  const logger = createLogger({ logLevel: 'warn', logFormat: 'json' });
  const app = await buildApp({ db, logger, redis: null, migrations: await readMigrationFiles(), keyring, auth, stream: loadConfig({}, false).stream, publicUrl: null });
  const appUrl = await app.listen({ port: 0, host: '127.0.0.1' });

  const measurements = [
    { name: 'bare Fastify: GET /health', rate: await requestsPerSecond(`${bareUrl}/health`) },
    { name: 'Unitrain: GET /health', rate: await requestsPerSecond(`${appUrl}/health`), baseline: 'bare Fastify: GET /health' },
    { name: 'Unitrain: GET /ready (database round trip)', rate: await requestsPerSecond(`${appUrl}/ready`), baseline: 'bare Fastify: GET /health' },
  ];
  await report('http-health', { connections: 64, seconds: 5 }, measurements);
  await Promise.all([bare.close(), app.close()]);
  await db.close();
}
