import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildTestApp, mintAccessToken, testKeyring } from '../../../test/auth.js';
import type { Db } from './database.js';
import { openPostgresDatabase } from './postgres-database.js';
import { createQueryLog } from './query-log.js';

// A real driver pointed at a port where nothing listens: what every request meets while the database
// server is down or restarting. The answer must say "retry", not "bug".
let db: Db;
let app: FastifyInstance;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  db = await openPostgresDatabase({ url: `postgres://postgres@127.0.0.1:${await closedPort()}/gone`, replicaUrl: null, poolMax: 1 }, createQueryLog(null, 0));
  app = await buildTestApp(db);
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('a database that cannot be reached', () => {
  it('answers 503 SERVICE_UNAVAILABLE in the usual error shape, for a request and for a stream', async () => {
    const token = await mintAccessToken(testKeyring, { userId: '00000000-0000-4000-8000-000000000001', role: 'SA' });
    for (const url of ['/v1/locations', '/v1/stream?topics=sessions']) {
      const response = await app.inject({ method: 'GET', url, headers: bearer(token) });
      expect(response.statusCode, url).toBe(503);
      expect(response.json(), url).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE', message: 'the database is not available; retry shortly' } });
    }
  });

  it('answers 503 to every public verification read together in one statement (decision 0064), and to the next one', async () => {
    const codes = ['7KQ2-M9XD-4HVA-0RTE', '7KQ2-M9XD-4HVA-0RTF', '7KQ2-M9XD-4HVA-0RTE'];
    const together = await Promise.all(codes.map((code) => app.inject({ method: 'GET', url: `/v1/verify/${code}` })));
    const later = await app.inject({ method: 'GET', url: `/v1/verify/${codes[1]}` });
    for (const response of [...together, later]) {
      expect(response.statusCode, response.body).toBe(503);
      expect(response.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    }
  });
});
