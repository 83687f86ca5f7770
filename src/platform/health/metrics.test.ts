import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildTestApp, createUser, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { testEngine } from '../../../test/engine.js';
import { until } from '../../../test/until.js';
import { createQueryLog, fingerprintOf } from '../db/query-log.js';
import { testLogger } from '../../../test/logger.js';

// /metrics of the real application on a real database (embedded, or PostgreSQL when DATABASE_URL is set),
// after real requests. Every statement counts as slow here (SLOW_QUERY_MS 0), so the slow-statement series
// can be checked by a statement's fingerprint. The replica series are in db/read-replica.test.ts.
let database: TestDatabase;
let app: FastifyInstance;
let token: string;

beforeAll(async () => {
  database = await createMigratedDatabase({ queryLog: createQueryLog(testLogger, 0) });
  app = await buildTestApp(database.db);
  const admin = await createUser(database.db, testKeyring, { role: 'AD' });
  token = await mintAccessToken(testKeyring, { userId: admin.id, role: 'AD' });
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

async function scrape(): Promise<string> {
  const response = await app.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  return response.body;
}

/** The value of one series, labels written as Prometheus prints them; NaN when absent. */
function valueOf(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  it('has request durations by route pattern, method and status', async () => {
    for (let i = 0; i < 2; i += 1) expect((await app.inject({ method: 'GET', url: '/v1/courses', headers: bearer(token) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/courses' })).statusCode).toBe(401);
    const text = await scrape();
    expect(valueOf(text, 'unitrain_http_request_duration_seconds_count{route="/v1/courses",method="GET",status="200"}')).toBe(2);
    expect(valueOf(text, 'unitrain_http_request_duration_seconds_count{route="/v1/courses",method="GET",status="401"}')).toBe(1);
    expect(valueOf(text, 'unitrain_http_request_duration_seconds_bucket{le="+Inf",route="/v1/courses",method="GET",status="200"}')).toBe(2);
  });

  it('has the database pool on PostgreSQL (none on the embedded engine, which has one connection)', async () => {
    const text = await scrape();
    if (testEngine === 'postgres') {
      expect(valueOf(text, 'unitrain_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
      expect(valueOf(text, 'unitrain_db_pool_connections{state="idle"}')).toBeGreaterThanOrEqual(0);
      expect(valueOf(text, 'unitrain_db_pool_connections{state="waiting"}')).toBe(0);
    } else {
      expect(text).not.toMatch(/^unitrain_db_pool_connections\{/m);
    }
  });

  it('counts slow statements by fingerprint, never by text or parameters', async () => {
    expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    const text = await scrape();
    expect(valueOf(text, `unitrain_db_slow_statements_total{fingerprint="${fingerprintOf('select 1')}"}`)).toBeGreaterThanOrEqual(1);
    expect(valueOf(text, `unitrain_db_slow_statement_seconds_total{fingerprint="${fingerprintOf('select 1')}"}`)).toBeGreaterThan(0);
  });

  it('has the job queue by status, dead letters included', async () => {
    await database.db.query(`insert into jobs (handler, status, attempts, max_attempts, finished_at) values ('metrics.test', 'DEAD', 1, 1, now())`);
    await database.db.query(`insert into jobs (handler, run_after) values ('metrics.test', now() + interval '1 day')`);
    const text = await scrape();
    expect(valueOf(text, 'unitrain_jobs{status="DEAD"}')).toBe(1);
    expect(valueOf(text, 'unitrain_jobs{status="PENDING"}')).toBe(1);
  });

  it('counts reads by where they went: all to the one database without a replica, and no replica series', async () => {
    const before = valueOf(await scrape(), 'unitrain_db_reads_total{route="no_replica"}');
    expect((await app.inject({ method: 'GET', url: '/v1/courses', headers: bearer(token) })).statusCode).toBe(200);
    const text = await scrape();
    expect(valueOf(text, 'unitrain_db_reads_total{route="no_replica"}')).toBe(before + 1);
    expect(text).not.toMatch(/^unitrain_db_replica_(up|lag_seconds|lag_bytes)\{/m);
  });

  it('has the stream subscribers and the cache figures', async () => {
    // The process's own writes (the accounts made above) bypass the cache until its change feed has read them.
    await until(async () => {
      expect((await app.inject({ method: 'GET', url: '/v1/dashboard', headers: bearer(token) })).statusCode).toBe(200);
      return valueOf(await scrape(), 'unitrain_cache_hits_total{layer="l1"}') >= 1;
    }, 'a cached dashboard');
    const text = await scrape();
    expect(valueOf(text, 'unitrain_stream_subscribers')).toBe(0);
    expect(valueOf(text, 'unitrain_cache_misses_total')).toBeGreaterThanOrEqual(1);
    expect(valueOf(text, 'unitrain_cache_hits_total{layer="l1"}')).toBeGreaterThanOrEqual(1);
    expect(valueOf(text, 'unitrain_cache_entries')).toBeGreaterThanOrEqual(1);
  });

  it('serves every series the Grafana dashboard in ops/ plots', async () => {
    const dashboard = JSON.parse(await readFile(new URL('../../../ops/grafana-dashboard.json', import.meta.url), 'utf8')) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>;
    };
    const plotted = new Set(dashboard.panels.flatMap((panel) => panel.targets ?? [])
      .flatMap((target) => target.expr.match(/unitrain_[a-z_]+/g) ?? [])
      .map((name) => name.replace(/_(bucket|count|sum)$/, '')));
    const served = new Set([...(await scrape()).matchAll(/^# HELP (\S+) /gm)].map((match) => match[1]));
    expect([...plotted].filter((name) => !served.has(name))).toEqual([]);
    expect(plotted).toContain('unitrain_db_replica_lag_seconds');
  });
});
