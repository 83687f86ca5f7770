import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildTestApp } from '../../../test/auth.js';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { createEnrollmentWorld, type EnrollmentWorld } from '../../../test/world.js';
import { until } from '../../../test/until.js';
import { createRedisClient } from './redis-client.js';

// Real: the database, HTTP, and a Redis client pointed at a port where nothing listens (Redis down).
// One process: its own writes must show on its next read, whether it wrote through a request or not.
let database: TestDatabase;
let world: EnrollmentWorld;
let app: FastifyInstance;
const deadRedis = createRedisClient('redis://127.0.0.1:1');

beforeAll(async () => {
  database = await createMigratedDatabase();
  world = await createEnrollmentWorld(database.db);
  await database.db.query(`insert into notifications (user_id, kind, title) values ($1, 'REMINDER', 'one'), ($1, 'REMINDER', 'two')`, [world.sa.id]);
  app = await buildTestApp(database.db, { redis: deadRedis });
});
afterAll(async () => {
  await app?.close();
  deadRedis.disconnect();
  await database?.drop();
});

async function metric(name: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  return text.split('\n').filter((line) => line.startsWith(name)).reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

async function unread(): Promise<number> {
  const response = await app.inject({ method: 'GET', url: '/v1/dashboard', headers: bearer(world.tokens.sa) });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ notifications: { unread: number } }>().notifications.unread;
}

describe('the answer cache in one process', () => {
  it('serves the dashboard from memory, and the process’s own writes on its next read', async () => {
    expect(await unread()).toBe(2);
    // The world was written by this process: until its feed has read those commits, the answer is loaded
    // anew (its own writes first); after that, from memory.
    await until(async () => {
      const hitsBefore = await metric('unitrain_cache_hits_total{layer="l1"}');
      expect(await unread()).toBe(2);
      return (await metric('unitrain_cache_hits_total{layer="l1"}')) === hitsBefore + 1;
    }, 'the dashboard to be answered from memory');
    // A write through a request of this process…
    const { rows: [first] } = await database.db.query<{ id: string }>(`select id from notifications where user_id = $1 and title = 'one'`, [world.sa.id]);
    expect((await app.inject({ method: 'POST', url: `/v1/notifications/${first!.id}/read`, headers: bearer(world.tokens.sa) })).statusCode).toBe(200);
    expect(await unread()).toBe(1);
    // …and one by other code of the process (a job, a command) on the same database.
    await database.db.transaction((tx) => tx.query(`insert into notifications (user_id, kind, title) values ($1, 'REMINDER', 'three')`, [world.sa.id]));
    expect(await unread()).toBe(2);
  });

  it('answers without errors while Redis is down, from memory and the database', async () => {
    const codes = async () => {
      const response = await app.inject({ method: 'GET', url: '/v1/catalogue' });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ items: unknown[] }>().items.length;
    };
    const first = await codes();
    expect(await codes()).toBe(first);
    expect(await metric('unitrain_cache_errors_total{layer="l2"}')).toBeGreaterThan(0);
    expect(await metric('unitrain_cache_hits_total{layer="l1"}')).toBeGreaterThan(0);
  });

  it('shows the cache, the request durations, the job queue and the pool on /metrics', async () => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/^unitrain_cache_entries [1-9]/m);
    expect(text).toMatch(/^unitrain_http_request_duration_seconds_count\{route="\/v1\/dashboard",method="GET",status="200"\} [1-9]/m);
    expect(text).toMatch(/^unitrain_jobs\{status="DEAD"\} 0$/m);
    if (database.db.engine === 'postgres') expect(text).toMatch(/^unitrain_db_pool_connections\{state="total"\} [1-9]/m);
  });
});
