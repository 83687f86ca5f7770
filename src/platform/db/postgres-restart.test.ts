import { once } from 'node:events';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/auth.js';
import { createEnrollmentWorld, type EnrollmentWorld } from '../../../test/world.js';
import { serverUrl, testEngine } from '../../../test/engine.js';
import { type PrivateCluster, privateClusterUnavailable, startPrivateCluster } from '../../../test/private-postgres.js';
import type { Db } from './database.js';
import { migrateUp } from './migrations/migrator.js';
import { translateDatabaseError } from './postgres-errors.js';
import { openPostgresDatabase } from './postgres-database.js';
import { createQueryLog } from './query-log.js';

// What a client meets while its PostgreSQL server restarts: "retry shortly" (503 with Retry-After),
// never "bug" (500), and every write it was told succeeded is there afterwards.
const skipReason = testEngine !== 'postgres' ? 'runs in the PostgreSQL suite (DATABASE_URL set)' : privateClusterUnavailable;

describe.runIf(testEngine === 'postgres')('a pooled connection the server terminated', () => {
  it("is recognised as the database being unavailable: pg's \"not queryable\" error", async () => {
    // A real client and the real error: the server ends the backend between two of its queries.
    const client = new pg.Client({ connectionString: serverUrl() });
    await client.connect();
    // It reports the loss twice (the server's FATAL message, then the closed socket): both are expected here.
    client.on('error', () => undefined);
    const errored = once(client, 'error');
    const killer = new pg.Client({ connectionString: serverUrl() });
    await killer.connect();
    try {
      const { rows: [backend] } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      await killer.query('select pg_terminate_backend($1)', [backend!.pid]);
      await errored;
      const error = await client.query('select 1').then(
        () => null,
        (failure: unknown) => failure,
      );
      expect((error as Error).message).toBe('Client has encountered a connection error and is not queryable');
      expect(translateDatabaseError(error)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { retryAfterSeconds: 1 } });
    } finally {
      await killer.end();
      await client.end().catch(() => undefined);
    }
  });
});

describe.skipIf(skipReason !== null)('writes while PostgreSQL restarts', () => {
  let cluster: PrivateCluster;
  let db: Db;
  let app: FastifyInstance;
  let baseUrl: string;
  let world: EnrollmentWorld;

  beforeAll(async () => {
    cluster = await startPrivateCluster();
    const url = await cluster.createDatabase('unitrain');
    db = await openPostgresDatabase({ url, replicaUrl: null, poolMax: 8 }, createQueryLog(null, 0));
    await migrateUp(db);
    world = await createEnrollmentWorld(db);
    app = await buildTestApp(db);
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await cluster?.remove();
  });

  it('answer 201 or 503 with Retry-After, never 500; every 201 is stored', async () => {
    const answers: { status: number; retryAfter: string | null; code?: string; id?: string }[] = [];
    let writing = true;
    const writer = async (n: number) => {
      for (let i = 0; writing; i++) {
        const response = await fetch(`${baseUrl}/v1/locations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${world.tokens.sa}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `Restart hall ${n}-${i}` }),
        });
        const body = (await response.json()) as { id?: string; error?: { code: string } };
        answers.push({ status: response.status, retryAfter: response.headers.get('retry-after'), code: body.error?.code, id: body.id });
      }
    };
    const writers = Array.from({ length: 8 }, (_, n) => writer(n));
    const answered = async (count: number) => {
      while (answers.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    // Writes before, across and after each restart: `restart` returns once the server accepts connections again.
    for (let round = 0; round < 3; round++) {
      await answered(answers.length + 50);
      await cluster.restart();
    }
    await answered(answers.length + 50);
    writing = false;
    await Promise.all(writers);

    const statuses = new Set(answers.map((answer) => answer.status));
    expect([...statuses].filter((status) => status !== 201 && status !== 503)).toEqual([]);
    const unavailable = answers.filter((answer) => answer.status === 503);
    // Every request in flight when the server went down met the outage.
    expect(unavailable.length).toBeGreaterThan(0);
    for (const answer of unavailable) expect(answer).toMatchObject({ retryAfter: '1', code: 'SERVICE_UNAVAILABLE' });
    const acknowledged = answers.flatMap((answer) => (answer.status === 201 && answer.id ? [answer.id] : []));
    const { rows } = await db.query<{ stored: number }>('select count(*)::int as stored from locations where id = any($1::uuid[])', [acknowledged]);
    expect(rows[0]!.stored).toBe(acknowledged.length);
  });
});
