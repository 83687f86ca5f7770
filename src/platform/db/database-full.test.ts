import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildTestApp, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { serverUrl, testEngine } from '../../../test/engine.js';
import type { Db } from './database.js';
import { openPostgresDatabase } from './postgres-database.js';
import { createQueryLog } from './query-log.js';

// A server that refuses a new connection for want of resources (class 53: here its connection limit,
// 53300 "too many connections") is unavailable for a while, like one restarting: 503 with Retry-After,
// not a 500 (seen on a cold start while other processes held every connection).
describe.runIf(testEngine === 'postgres')('a database that refuses connections: too many', () => {
  const role = `unitrain_full_${randomUUID().slice(0, 8)}`;
  let db: Db;
  let app: FastifyInstance;

  const asOwner = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    // A role allowed no connection at all: every connection it opens meets the limit.
    await asOwner(`create role ${role} login connection limit 0`);
    const url = new URL(serverUrl());
    url.username = role;
    db = await openPostgresDatabase({ url: url.toString(), replicaUrl: null, poolMax: 1 }, createQueryLog(null, 0));
    app = await buildTestApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await asOwner(`drop role if exists ${role}`);
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After to a read and to a write', async () => {
    const token = await mintAccessToken(testKeyring, { userId: '00000000-0000-4000-8000-000000000001', role: 'SA' });
    const requests = [
      { method: 'GET' as const, url: '/v1/locations' },
      { method: 'POST' as const, url: '/v1/locations', payload: { name: 'Full hall', country: 'GB' } },
    ];
    for (const request of requests) {
      const response = await app.inject({ ...request, headers: bearer(token) });
      expect(response.statusCode, `${request.method} ${request.url}: ${response.body}`).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    }
  });
});
