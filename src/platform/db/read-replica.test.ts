import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildTestApp, createUser, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { runCli } from '../../../test/cli.js';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { serverUrl, testEngine, testKeysEnv } from '../../../test/engine.js';
import { startStreamingReplica, type StreamingReplica } from '../../../test/private-postgres.js';
import { until } from '../../../test/until.js';
import { readAfterHeader } from '../http/read-your-writes.js';
import type { Actor, Role } from './actor.js';
import { databaseRoles, type Db, type ReadRoute } from './database.js';
import { openPostgresDatabase } from './postgres-database.js';
import { createQueryLog } from './query-log.js';

// A real streaming replica of the test server (pg_basebackup -R, one per file) and the real application
// reading through it; the primary is the test server. The replica's lag is measured by a clock the test
// moves, so "falls behind" is decided without waiting. PostgreSQL only: the embedded engine has no replica.
const maxLagMs = 1_000;
let replica: StreamingReplica;
let replicaUrl: string;
let database: TestDatabase;
let db: Db;
let app: FastifyInstance;
let clockMs = 0;
const tokens = new Map<Role, string>();
const actors = new Map<Role, Actor>();

const read = (route: ReadRoute) => db.readCounts().get(route) ?? 0;

async function call(role: Role | 'anon', method: 'GET' | 'POST', url: string, options: { payload?: object; headers?: Record<string, string> } = {}) {
  const token = role === 'anon' ? undefined : tokens.get(role);
  return app.inject({ method, url, headers: { ...(token ? bearer(token) : {}), ...options.headers }, ...(options.payload ? { payload: options.payload } : {}) });
}

const ok = (response: LightMyRequestResponse) => {
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response;
};

/** A metric's value from /metrics (the first series of that name, whatever its labels). */
async function metric(name: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return Number(line?.[1]);
}

/** Another process's write: a connection of its own to the primary, so this process's cache sees it only through its feed. */
async function elsewhere(sql: string, params: unknown[]): Promise<void> {
  const client = new pg.Client({ connectionString: database.url as string });
  await client.connect();
  try {
    await client.query(sql, params);
  } finally {
    await client.end();
  }
}

describe.skipIf(testEngine !== 'postgres')('read replicas (PostgreSQL only: the embedded engine has no replica)', () => {
  beforeAll(async () => {
    replica = await startStreamingReplica(serverUrl());
    database = await createMigratedDatabase();
    replicaUrl = replica.url(new URL(database.url as string).pathname.slice(1));
    await replica.catchUp();
    db = await openPostgresDatabase(
      { url: database.url as string, replicaUrl, poolMax: 4, replicaMaxLagMs: maxLagMs, clock: () => clockMs },
      createQueryLog(null, 0),
    );
    app = await buildTestApp(db);
    for (const role of ['SA', 'AD', 'IT'] as const) {
      const user = await createUser(db, testKeyring, { role });
      tokens.set(role, await mintAccessToken(testKeyring, { userId: user.id, role }));
      actors.set(role, { userId: user.id, role, providerId: null });
    }
    await replica.catchUp();
  }, 120_000);

  // A test that fails with replay paused must not leave it paused for the next one.
  afterEach(async () => {
    if (replica?.running) await replica.resumeReplay();
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
    await database?.drop();
    await replica?.remove();
  });

  it('serves reads from the replica, as the actor: the same role, claims and row-level security as on the primary', async () => {
    ok(await call('AD', 'POST', '/v1/courses', { payload: { code: 'RR-DRAFT', title: 'A draft only administrators see', duration_minutes: 60 } }));
    await replica.catchUp();
    const it = actors.get('IT') as Actor;
    const where = await db.reader.withActor(it, async (tx) =>
      (await tx.query<{ standby: boolean; role: string; claim: string }>(
        `select pg_is_in_recovery() as standby, current_user as role, current_setting('unitrain.role') as claim`,
      )).rows[0]);
    expect(where).toEqual({ standby: true, role: databaseRoles.IT, claim: 'IT' });
    for (const role of ['AD', 'IT'] as const) {
      const actor = actors.get(role) as Actor;
      const codes = (tx: { query: Db['query'] }) => tx.query<{ code: string }>('select code from courses order by code').then((r) => r.rows.map((row) => row.code));
      const onReplica = await db.reader.withActor(actor, codes);
      expect(onReplica, role).toEqual(await db.withActor(actor, codes));
      expect(onReplica.includes('RR-DRAFT'), role).toBe(role === 'AD');
    }
    const before = read('replica');
    ok(await call('AD', 'GET', '/v1/courses?limit=5'));
    expect(read('replica')).toBe(before + 1);
  });

  it('sends a writer its commit position, and reads after it from the primary until the replica has replayed it', async () => {
    await replica.pauseReplay();
    const created = ok(await call('AD', 'POST', '/v1/courses', { payload: { code: 'RR-YOURS', title: 'Read your writes', duration_minutes: 60 } }));
    const position = created.headers[readAfterHeader] as string;
    expect(position).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(String(created.headers['set-cookie'])).toContain(`unitrain_read_after=${encodeURIComponent(position)}`);
    const { id } = created.json<{ id: string }>();

    const behind = read('behind');
    ok(await call('AD', 'GET', `/v1/courses/${id}`, { headers: { [readAfterHeader]: position } }));
    ok(await call('AD', 'GET', `/v1/courses/${id}`, { headers: { cookie: `unitrain_read_after=${position}` } }));
    expect(read('behind')).toBe(behind + 2);
    // A client that did not write reads the replica, whose data is not older than allowed yet.
    expect((await call('AD', 'GET', `/v1/courses/${id}`)).statusCode).toBe(404);

    await replica.resumeReplay();
    await replica.catchUp();
    const onReplica = read('replica');
    ok(await call('AD', 'GET', `/v1/courses/${id}`, { headers: { [readAfterHeader]: position } }));
    expect(read('replica')).toBe(onReplica + 1);
  });

  it('reads from the primary while the replica is further behind than DATABASE_REPLICA_MAX_LAG_MS, and from the replica again once it caught up', async () => {
    await db.replicaStatus();
    await replica.pauseReplay();
    const { id } = ok(await call('AD', 'POST', '/v1/courses', { payload: { code: 'RR-LAG', title: 'Before', duration_minutes: 60 } })).json<{ id: string }>();
    await elsewhere(`update courses set title = 'After' where id = $1`, [id]);
    expect(await db.replicaStatus()).toMatchObject({ reachable: true, lagging: false });

    clockMs += maxLagMs + 500;
    const status = await db.replicaStatus();
    expect(status).toMatchObject({ reachable: true, lagging: true, lagSeconds: (maxLagMs + 500) / 1000 });
    expect(status?.lagBytes).toBeGreaterThan(0);
    expect(await metric('unitrain_db_replica_lag_seconds')).toBe((maxLagMs + 500) / 1000);
    const lagging = read('lagging');
    expect(ok(await call('AD', 'GET', `/v1/courses/${id}`)).json()).toMatchObject({ title: 'After' });
    expect(read('lagging')).toBe(lagging + 1);

    await replica.resumeReplay();
    await replica.catchUp();
    // Not lagBytes 0: the shared test server keeps writing for other test files.
    expect(await db.replicaStatus()).toMatchObject({ reachable: true, lagging: false, lagSeconds: 0 });
    const onReplica = read('replica');
    expect(ok(await call('AD', 'GET', `/v1/courses/${id}`)).json()).toMatchObject({ title: 'After' });
    expect(read('replica')).toBe(onReplica + 1);
  });

  it('loads a cached answer from the replica only once it has replayed the changes the entry is stamped after', async () => {
    const it = actors.get('IT') as Actor;
    const unread = async () => ok(await call('IT', 'GET', '/v1/dashboard')).json<{ notifications: { unread: number } }>().notifications.unread;
    expect(await unread()).toBe(0);
    await replica.pauseReplay();
    const behind = read('behind');
    await elsewhere(`insert into notifications (user_id, kind, title) values ($1, 'TEST', 'Written while the replica is paused')`, [it.userId]);
    // Until the feed reads the notification the cached 0 stands (earlier tests' changes may end the entry
    // first, and reload it from the replica, which has them). The load that replaces it after the
    // notification must see it, which the replica has not replayed: it reads the primary, once.
    await until(async () => (await unread()) === 1, 'the feed to read the notification and the dashboard to show it');
    expect(read('behind')).toBe(behind + 1);
    expect(await unread()).toBe(1);
    expect(read('behind')).toBe(behind + 1);
  });

  it('has `unitrain doctor` check the replica: passing while it keeps up, naming it while its replay is paused', async () => {
    // The doctor waits up to the allowed lag for the replica: generous while it keeps up (it replays the
    // whole shared test server, busy with other files), short while its replay is paused.
    const env = { ...testKeysEnv, DATABASE_URL: database.url as string, DATABASE_REPLICA_URL: replicaUrl, DATABASE_REPLICA_MAX_LAG_MS: '30000' };
    const healthy = await runCli(['doctor', '--json'], env);
    expect(healthy.code, healthy.stdout + healthy.stderr).toBe(0);
    expect(JSON.parse(healthy.stdout).checks).toContainEqual(expect.objectContaining({ name: 'replica-lag', violations: 0 }));

    await replica.pauseReplay();
    await elsewhere(`update courses set title = title || '.' where code = 'RR-LAG'`, []);
    const behind = await runCli(['doctor', '--json'], { ...env, DATABASE_REPLICA_MAX_LAG_MS: '300' });
    expect(behind.code).toBe(1);
    expect(JSON.parse(behind.stdout).violations).toEqual([
      expect.objectContaining({ check: 'replica-lag', table: 'replica', row_id: new URL(replicaUrl).host, problem: expect.stringMatching(/^the replica is behind the primary by \d+ bytes of WAL$/) }),
    ]);
    await replica.resumeReplay();
    await replica.catchUp();
  });

  it('reads from the primary, without errors, when the replica goes away', async () => {
    await replica.stop();
    const unavailable = read('unavailable');
    ok(await call('AD', 'GET', '/v1/courses?limit=5'));
    ok(await call('anon', 'GET', '/v1/catalogue'));
    ok(await call('IT', 'GET', '/v1/sessions'));
    expect(read('unavailable')).toBeGreaterThan(unavailable);
    expect(await db.replicaStatus()).toMatchObject({ reachable: false });
    expect(await metric('unitrain_db_replica_up')).toBe(0);
    clockMs += 5_000;
    ok(await call('AD', 'GET', '/v1/courses?limit=5'));
  });
});
