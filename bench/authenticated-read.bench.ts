import autocannon from 'autocannon';
import Fastify from 'fastify';
import pg from 'pg';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { createAccount } from '../src/domains/users/index.js';
import { createAccessTokens } from '../src/platform/security/access-tokens.js';
import { createFieldCipher } from '../src/platform/security/field-cipher.js';
import { cpuSecondsBetween, cpuSecondsOf } from './process-cpu.js';
import { type Measurement, report } from './report.js';
import { withScratchDatabase } from './scratch.js';
import { benchKeyring, serverEnv, startServer } from './server-process.js';

const connections = 64;
/** Database connections on both sides: the server's pool and the raw driver's. */
const poolMax = 16;
const seconds = 5;

/** `seconds` of requests from `connections` connections; every answer must be a 2xx. */
async function load(url: string, headers: Record<string, string> = {}) {
  const result = await autocannon({ url, connections, duration: seconds, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} answers not 2xx, ${result.errors} errors`);
  return result;
}

async function httpRate(url: string, headers: Record<string, string> = {}): Promise<number> {
  return (await load(url, headers)).requests.average;
}

/** The PostgreSQL backends connected to the benchmark's own database (the server's pool, after a warm-up). */
async function backendsOf(databaseUrl: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    return rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

/**
 * The rate, and the CPU milliseconds each request cost the server's PostgreSQL backends and the server
 * process: a cost that a busy machine changes much less than it changes the rate.
 */
async function measured(url: string, headers: Record<string, string>, processes: { server: number; databaseUrl: string }) {
  const before = { db: await cpuSecondsOf(await backendsOf(processes.databaseUrl)), node: await cpuSecondsOf([processes.server]) };
  const result = await load(url, headers);
  // Backends the pool opened during the run count from their start.
  const after = { db: await cpuSecondsOf(await backendsOf(processes.databaseUrl)), node: await cpuSecondsOf([processes.server]) };
  const perRequestMs = (cpu: number) => Number(((cpu * 1000) / result.requests.total).toFixed(3));
  return {
    rate: result.requests.average,
    cpuMsPerRequest: { postgres: perRequestMs(cpuSecondsBetween(before.db, after.db)), server: perRequestMs(cpuSecondsBetween(before.node, after.node)) },
  };
}

/** `connections` concurrent loops over a pool of `poolMax`, each running `sql` for `seconds`: statements per second. */
async function rawRate(url: string, sql: string, params: unknown[]): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: poolMax });
  try {
    const deadline = performance.now() + seconds * 1000;
    let count = 0;
    await Promise.all(Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        await pool.query(sql, params);
        count += 1;
      }
    }));
    return count / seconds;
  } finally {
    await pool.end();
  }
}

/**
 * An authenticated read through the whole stack (a `unitrain serve` process on PostgreSQL: token,
 * the signed-in account, a transaction with the caller's claims, RLS, serialisation) against, in the
 * same run, a bare Fastify route answering the same kind of JSON and the raw driver's select by primary
 * key over the same number of database connections.
 */
export async function run(): Promise<void> {
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) {
    console.log('\nauthenticated-read — skipped: it needs DATABASE_URL (a PostgreSQL server where it may create a scratch database)');
    return;
  }
  await withScratchDatabase(serverUrl, async (url) => {
    const db = await openPostgresDatabase({ url, replicaUrl: null, poolMax: 2 }, createQueryLog(null, 0));
    let userId: string;
    try {
      await migrateUp(db);
      userId = await createAccount(
        { db, cipher: createFieldCipher(benchKeyring) },
        { role: 'SA', email: 'bench-reader@example.test', password: 'a bench password, never used', firstName: 'Bench', lastName: 'Reader', providerId: null },
      );
      await db.query(`insert into locations (name, city, country) select 'Hall ' || n, 'Leeds', 'GB' from generate_series(1, 50) n`);
    } finally {
      await db.close();
    }
    const token = (await createAccessTokens(benchKeyring.tokenSigningKey, { ttlSeconds: 3600 }).issue({ userId, role: 'SA', providerId: null })).token;

    const bare = Fastify();
    bare.get('/v1/me', async () => ({ id: userId, role: 'SA', first_name: 'Bench', last_name: 'Reader', email: 'bench-reader@example.test' }));
    const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });
    const server = await startServer(serverEnv(url, poolMax));
    try {
      const auth = { authorization: `Bearer ${token}` };
      // A warm-up of each path: connections opened, statements planned, code optimised.
      await httpRate(`${server.url}/v1/me`, auth);
      await httpRate(`${server.url}/v1/locations?limit=20`, auth);
      const bareName = 'bare Fastify: GET /v1/me (same JSON, no database)';
      const rawName = `raw pg: select a user by primary key, ${poolMax} connections`;
      const bareRate = await httpRate(`${bareUrl}/v1/me`);
      const rawRateMeasured = await rawRate(url, 'select id, role, status, email_ciphertext, version from users where id = $1', [userId]);
      const me = await measured(`${server.url}/v1/me`, auth, { server: server.pid, databaseUrl: url });
      const locations = await measured(`${server.url}/v1/locations?limit=20`, auth, { server: server.pid, databaseUrl: url });
      const measurements: Measurement[] = [
        { name: bareName, rate: bareRate },
        { name: rawName, rate: rawRateMeasured },
        { name: 'Unitrain: GET /v1/me', rate: me.rate, baseline: bareName },
        { name: 'Unitrain: GET /v1/me (vs raw pg)', rate: me.rate, baseline: rawName },
        { name: 'Unitrain: GET /v1/locations?limit=20', rate: locations.rate, baseline: bareName },
      ];
      const cpuMsPerRequest = { '/v1/me': me.cpuMsPerRequest, '/v1/locations': locations.cpuMsPerRequest };
      await report('authenticated-read', { engine: 'postgres', connections, poolMax, seconds, cpuMsPerRequest }, measurements);
    } finally {
      await server.stop();
      await bare.close();
    }
  });
}
