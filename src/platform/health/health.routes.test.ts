import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testAppDeps } from '../../../test/auth.js';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { buildApp } from '../../app.js';
import { createRedisClient } from '../cache/redis-client.js';
import { migrateDown } from '../db/migrations/migrator.js';
import { testLogger } from '../../../test/logger.js';

// Real database (PGlite copy or a PostgreSQL database), real Fastify through inject; Redis is real when REDIS_URL is set.
// The tests that break their database (drop it, roll a migration back) get one of their own.
let database: TestDatabase;
let app: FastifyInstance;

async function openDatabaseAndApp(): Promise<void> {
  database = await createMigratedDatabase();
  app = await buildApp(await testAppDeps(database.db, { logger: testLogger }));
}

async function closeDatabaseAndApp(): Promise<void> {
  await app.close();
  await database.drop().catch(() => undefined);
}

describe('readiness of a database that breaks', () => {
  beforeEach(openDatabaseAndApp);
  afterEach(closeDatabaseAndApp);

  it('/ready turns 503 when the database is gone', async () => {
    await database.drop();
    const response = await app.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'UNAVAILABLE', checks: { database: { ok: false } } });
  });

  it('/ready turns 503 when a migration is not applied', async () => {
    await migrateDown(database.db, { steps: 1 });
    const response = await app.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks.migrations).toMatchObject({ ok: false, message: expect.stringMatching(/pending/) });
  });
});

describe('health and readiness', () => {
  beforeAll(openDatabaseAndApp);
  afterAll(closeDatabaseAndApp);

  it('/health answers while the process is alive', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'OK' });
  });

  it('/ready reports the database round trip and current migrations', async () => {
    const started = performance.now();
    const response = await app.inject({ method: 'GET', url: '/ready' });
    const requestMs = performance.now() - started;
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe('READY');
    expect(body.checks.database.ok).toBe(true);
    // A measured time, in milliseconds: within the request's own duration (not seconds, not a constant).
    expect(body.checks.database.round_trip_ms).toBeTypeOf('number');
    expect(body.checks.database.round_trip_ms).toBeGreaterThan(0);
    expect(body.checks.database.round_trip_ms).toBeLessThanOrEqual(requestMs + 0.01);
    expect(body.checks.migrations).toMatchObject({ ok: true });
  });

  it('/ready checks Redis when one is configured, and turns 503 when it does not answer', async () => {
    const unreachable = createRedisClient('redis://127.0.0.1:1');
    const withDeadRedis = await buildApp(await testAppDeps(database.db, { logger: testLogger, redis: unreachable }));
    const response = await withDeadRedis.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks.redis).toMatchObject({ ok: false });
    await withDeadRedis.close();
    unreachable.disconnect();
  });

  it.runIf(process.env['REDIS_URL'])('/ready is ready with a live Redis', async () => {
    const redis = createRedisClient(process.env['REDIS_URL'] as string);
    const withRedis = await buildApp(await testAppDeps(database.db, { logger: testLogger, redis }));
    const response = await withRedis.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json().checks.redis).toMatchObject({ ok: true });
    await withRedis.close();
    await redis.quit();
  });

  it('serves the OpenAPI document generated from the route schemas at /docs', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/health', '/ready']));
    expect(document.paths['/ready'].get.responses).toHaveProperty('503');
  });

  it('gives every response a request id, and keeps a well-formed one the caller sent', async () => {
    const generated = await app.inject({ method: 'GET', url: '/health' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'trace-123' } });
    expect(kept.headers['x-request-id']).toBe('trace-123');
    const replaced = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'bad id\n' } });
    expect(replaced.headers['x-request-id']).not.toBe('bad id\n');
  });
});
