// scratch, not committed: profiles only the cached-dashboard and bare-route load windows.
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { readMigrationFiles } from '../src/platform/db/migrations/migration-files.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { seedDatabase } from '../src/seed/index.js';
import { createAccessTokens } from '../src/platform/security/access-tokens.js';
import { createFieldCipher } from '../src/platform/security/field-cipher.js';
import { createLogger } from '../src/platform/shared/logger.js';
import { withScratchDatabase } from './scratch.js';
import { benchKeyring } from './server-process.js';

const route = process.env['ROUTE'] ?? '/v1/dashboard';
await withScratchDatabase(process.env['DATABASE_URL'] as string, async (url) => {
  const db = await openPostgresDatabase({ url, replicaUrl: null, poolMax: 8 }, createQueryLog(null, 0));
  await migrateUp(db);
  await seedDatabase(db, createFieldCipher(benchKeyring), { size: 'small', seed: 1, today: new Date().toISOString().slice(0, 10) });
  const { rows: [sa] } = await db.query<{ id: string }>(`select id from users where role = 'SA' and status = 'ACTIVE' order by id limit 1`);
  const token = (await createAccessTokens(benchKeyring.tokenSigningKey, { ttlSeconds: 3_600 }).issue({ userId: sa!.id, role: 'SA', providerId: null })).token;
  const headers = { authorization: `Bearer ${token}` };
  const config = loadConfig({}, false);
  const app = await buildApp({ db, logger: createLogger({ logLevel: 'warn', logFormat: 'json' }), redis: null, migrations: await readMigrationFiles(), keyring: benchKeyring, auth: { ...config.auth, publicRateLimitPerMinute: 1_000_000 }, stream: config.stream, publicUrl: null, cache: { l1MaxEntries: 10_000, ttlSeconds: 300 } });
  const appUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const sample = await (await fetch(`${appUrl}${route}`, { headers })).json();
  const bare = Fastify();
  bare.get(route, async () => sample);
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  for (const [name, target, h] of [['warm', appUrl, headers], ['bare', bareUrl, {}], ['unitrain', appUrl, headers], ['bare2', bareUrl, {}], ['unitrain2', appUrl, headers]] as const) {
    if (name === 'unitrain') await session.post('Profiler.start');
    const cpu0 = process.cpuUsage();
    const result = await autocannon({ url: `${target}${route}`, connections: 32, duration: 5, headers: h });
    const cpu = process.cpuUsage(cpu0);
    console.log(name, Math.round(result.requests.average), 'req/s', ((cpu.user + cpu.system) / 1000 / result.requests.total).toFixed(3), 'ms CPU/request (with the load generator)', 'non2xx', result.non2xx);
    if (name === 'unitrain') {
      const { profile } = await session.post('Profiler.stop');
      await writeFile('/tmp/rp/dash.cpuprofile', JSON.stringify(profile));
    }
  }
  const m = await (await fetch(`${appUrl}/metrics`)).text();
  console.log(m.split('\n').filter((l) => l.startsWith('unitrain_signed_in') || l.startsWith('unitrain_cache_hits') || l.startsWith('unitrain_cache_bypass')).join('\n'));
  await Promise.all([app.close(), bare.close()]);
  await db.close();
});
