import { fileURLToPath } from 'node:url';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { createAccount } from '../src/domains/users/index.js';
import { createAccessTokens } from '../src/platform/security/access-tokens.js';
import { createFieldCipher } from '../src/platform/security/field-cipher.js';
import { generateLoad } from './wrk.js';
import { pgbenchRate } from './pgbench.js';
import { cpuMsPerRequest, type ServerProcesses } from './process-cpu.js';
import { type Measurement, report } from './report.js';
import { withScratchDatabase } from './scratch.js';
import { benchKeyring, serverEnv, startServer } from './server-process.js';

const connections = 64;
/** The server's database connections (its pool); pgbench runs with this many clients and with `connections`. */
const poolMax = 16;
const bareServerPath = fileURLToPath(new URL('./bare-server.js', import.meta.url));
const seconds = 5;

/**
 * `seconds` of requests from `connections` connections, made by wrk in a process of its own (decision 0110:
 * autocannon, in this process, spent about as much CPU on an answer as the server did making it, on the same
 * two cores); every answer must be below 400.
 */
const load = (url: string, headers: Record<string, string> = {}) => generateLoad(url, { connections, seconds, headers });

/**
 * The rate of `seconds` of requests to `url`, the CPU each request cost the server process and its
 * PostgreSQL backends, and what it cost the load generator.
 */
async function measured(url: string, headers: Record<string, string>, processes: ServerProcesses) {
  const { rate, requests, generatorCpuMs, cpuMs } = await cpuMsPerRequest(processes, () => load(url, headers));
  return { rate, cpuMsPerRequest: { ...cpuMs, generator: Number((generatorCpuMs / requests).toFixed(3)) } };
}

const selectByPrimaryKey = 'select id, role, status, email_ciphertext, version from users where id = :user_id;\n';

/**
 * An authenticated read through the whole stack (a `unitrain serve` process on PostgreSQL: token,
 * the signed-in account, a transaction with the caller's claims, RLS, serialisation) against, in the
 * same run, its two anchors measured as it is: a bare Fastify route answering the same JSON, in a
 * process of its own started the same way and loaded by the same generator over the same connections;
 * and pgbench's select by primary key, a process of its own, with the server's number of database
 * connections and with the number of HTTP connections. The HTTP load comes from wrk, a C generator in a
 * process of its own, as pgbench's clients do.
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
    const auth = { authorization: `Bearer ${token}` };

    const server = await startServer(serverEnv(url, poolMax));
    try {
      const meJson = await (await fetch(`${server.url}/v1/me`, { headers: auth })).text();
      const bare = await startServer({ BARE_ME_JSON: meJson }, [bareServerPath]);
      try {
        // Each read twice (decision 0094): answered from the answer cache, as a client gets it, and with
        // `Cache-Control: no-cache`, which loads it from PostgreSQL as before the cache served it.
        const cachedAuth = auth;
        const uncachedAuth = { ...auth, 'cache-control': 'no-cache' };
        const paths = [
          { path: '/v1/me', label: 'GET /v1/me' },
          { path: '/v1/locations?limit=20', label: 'GET /v1/locations?limit=20' },
        ];
        // A warm-up of each path: connections opened, statements planned, code optimised.
        await load(`${bare.url}/v1/me`);
        for (const { path } of paths) {
          await load(`${server.url}${path}`, uncachedAuth);
          await load(`${server.url}${path}`, cachedAuth);
        }
        const bareName = `bare Fastify: GET /v1/me (same JSON, no database), own process, ${connections} connections`;
        const pgbenchName = (clients: number) => `pgbench: select a user by primary key, prepared, ${clients} clients`;
        const bareMe = await measured(`${bare.url}/v1/me`, {}, { server: bare.pid, databaseUrl: url });
        const pgbenchWith = (clients: number) => pgbenchRate(url, selectByPrimaryKey, { clients, seconds, variables: { user_id: userId } });
        const pgbench = { pool: await pgbenchWith(poolMax), http: await pgbenchWith(connections) };
        const passes: Array<{ name: string; rate: number; cpu: { server: number; postgres: number; generator: number } }> = [];
        for (const { path, label } of paths) {
          for (const [how, headers] of [['cached', cachedAuth], ['uncached: Cache-Control: no-cache', uncachedAuth]] as const) {
            const result = await measured(`${server.url}${path}`, headers, { server: server.pid, databaseUrl: url });
            passes.push({ name: `Unitrain: ${label}, ${how}`, rate: result.rate, cpu: result.cpuMsPerRequest });
          }
        }
        const measurements: Measurement[] = [{ name: bareName, rate: bareMe.rate }];
        if (pgbench.pool !== null && pgbench.http !== null) {
          measurements.push({ name: pgbenchName(poolMax), rate: pgbench.pool }, { name: pgbenchName(connections), rate: pgbench.http });
        } else {
          console.log('authenticated-read: pgbench is not on the PATH, so the select by primary key (issue 17 goal 2) is not measured');
        }
        for (const pass of passes) {
          measurements.push({ name: pass.name, rate: pass.rate, baseline: bareName });
          if (pgbench.pool !== null && pgbench.http !== null) {
            measurements.push(
              { name: `${pass.name} (vs pgbench, ${poolMax})`, rate: pass.rate, baseline: pgbenchName(poolMax) },
              { name: `${pass.name} (vs pgbench, ${connections})`, rate: pass.rate, baseline: pgbenchName(connections) },
            );
          }
        }
        // CPU per request of each server process (and of its PostgreSQL backends, and of the load generator): the load changes it less than the rate.
        const cpuMsPerRequest = { bare: { server: bareMe.cpuMsPerRequest.server, generator: bareMe.cpuMsPerRequest.generator }, ...Object.fromEntries(passes.map((pass) => [pass.name.replace('Unitrain: ', ''), pass.cpu])) };
        // What the cached passes were: the server's own count of answers by source (a bypass is a load).
        const metricsText = await (await fetch(`${server.url}/metrics`)).text();
        const cacheCounts = Object.fromEntries(
          metricsText.split('\n').filter((line) => /^unitrain_cache_(hits|misses|bypasses)_total/.test(line)).map((line) => [line.split(' ')[0], Number(line.split(' ').at(-1))]),
        );
        await report('authenticated-read', { engine: 'postgres', connections, poolMax, seconds, cpuMsPerRequest, cacheCounts }, measurements);
      } finally {
        await bare.stop();
      }
    } finally {
      await server.stop();
    }
  });
}
