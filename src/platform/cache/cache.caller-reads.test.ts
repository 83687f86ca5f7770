import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildTestApp, createUser, mintAccessToken, testKeyring, tokenFor } from '../../../test/auth.js';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { until } from '../../../test/until.js';
import { createEnrollmentWorld, type EnrollmentWorld } from '../../../test/world.js';

// Reads made as a signed-in caller and answered from the answer cache (decision 0094): `/v1/me`, the
// locations list and a location. Real database and HTTP, one process. A change "from elsewhere" is a
// single statement of the test's connection, outside any transaction: the process's commit listener does
// not see it (Db.onCommit) and no NOTIFY is sent, so only the change feed's reading of change_log can end
// the cached answer. Each such test first proves the answer is served from memory, so without the
// invalidation it would wait for the new answer in vain.
let database: TestDatabase;
let world: EnrollmentWorld;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createMigratedDatabase();
  world = await createEnrollmentWorld(database.db);
  app = await buildTestApp(database.db);
});
afterAll(async () => {
  await app?.close();
  await database?.drop();
});

async function metric(name: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  return text.split('\n').filter((line) => line.startsWith(name)).reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

interface Me {
  id: string;
  role: string;
  first_name: string;
  last_login_at: string | null;
  version: number;
}

async function get<T>(url: string, token: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T; etag: unknown }> {
  const response = await app.inject({ method: 'GET', url, headers: { ...bearer(token), ...headers } });
  return { status: response.statusCode, body: response.json<T>(), etag: response.headers.etag };
}

async function me(token: string): Promise<Me> {
  const { status, body } = await get<Me>('/v1/me', token);
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

/** Reads with `read` until one is answered from memory (the process's own writes of the setup read first). */
async function untilServedFromMemory(read: () => Promise<unknown>, what: string): Promise<void> {
  await until(async () => {
    const before = await metric('unitrain_cache_hits_total{layer="l1"}');
    await read();
    return (await metric('unitrain_cache_hits_total{layer="l1"}')) === before + 1;
  }, `${what} to be answered from memory`);
}

describe('reads made as the caller, answered from the answer cache', () => {
  it('serves /v1/me from memory, a change committed elsewhere once the feed has read it, and never the old answer after', async () => {
    const user = await createUser(database.db, testKeyring, { role: 'IT', firstName: 'Before' });
    const token = await mintAccessToken(testKeyring, { userId: user.id, role: 'IT' });
    await untilServedFromMemory(() => me(token), '/v1/me');
    expect((await me(token)).first_name).toBe('Before');
    await database.db.query(`update profiles set first_name = 'After' where user_id = $1`, [user.id]);
    await until(async () => (await me(token)).first_name === 'After', 'the renamed account');
    for (let read = 0; read < 3; read++) expect((await me(token)).first_name).toBe('After');
  });

  it('answers an account whose role changed elsewhere under its new role, and a deactivated one 401', async () => {
    const user = await createUser(database.db, testKeyring, { role: 'AD' });
    const token = await mintAccessToken(testKeyring, { userId: user.id, role: 'AD' });
    await untilServedFromMemory(() => me(token), '/v1/me');
    expect((await me(token)).role).toBe('AD');
    await database.db.query(`update users set role = 'IT' where id = $1`, [user.id]);
    await until(async () => (await me(token)).role === 'IT', 'the new role');
    for (let read = 0; read < 3; read++) expect((await me(token)).role).toBe('IT');
    await untilServedFromMemory(() => me(token), '/v1/me under the new role');
    await database.db.query(`update users set status = 'INACTIVE' where id = $1`, [user.id]);
    await until(async () => (await get('/v1/me', token)).status === 401, 'the deactivation');
    for (let read = 0; read < 3; read++) expect((await get('/v1/me', token)).status).toBe(401);
  });

  it("keeps B's /v1/me in memory through A's sign-in, which ends A's own", async () => {
    const [a, b] = [await createUser(database.db, testKeyring, { role: 'IT' }), await createUser(database.db, testKeyring, { role: 'IT' })];
    const [aToken, bToken] = [await mintAccessToken(testKeyring, { userId: a.id, role: 'IT' }), await mintAccessToken(testKeyring, { userId: b.id, role: 'IT' })];
    await untilServedFromMemory(() => me(aToken), "A's /v1/me");
    await untilServedFromMemory(() => me(bToken), "B's /v1/me");
    expect((await me(aToken)).last_login_at).toBeNull();
    // The sign-in writes A's users row (last_login_at), which A's answer shows.
    await tokenFor(app, a.email, a.password);
    // Served from memory again: the feed has read the sign-in (until then this process's own write loads).
    await untilServedFromMemory(() => me(aToken), "A's /v1/me after its sign-in");
    for (let read = 0; read < 3; read++) expect((await me(aToken)).last_login_at).not.toBeNull();
    const hits = await metric('unitrain_cache_hits_total{layer="l1"}');
    expect((await me(bToken)).last_login_at).toBeNull();
    expect(await metric('unitrain_cache_hits_total{layer="l1"}')).toBe(hits + 1);
  });

  it("ends B's /v1/me on a change to B's own account row committed elsewhere", async () => {
    const b = await createUser(database.db, testKeyring, { role: 'IN' });
    const token = await mintAccessToken(testKeyring, { userId: b.id, role: 'IN' });
    await untilServedFromMemory(() => me(token), '/v1/me');
    expect((await me(token)).last_login_at).toBeNull();
    await database.db.query('update users set last_login_at = now() where id = $1', [b.id]);
    await until(async () => (await me(token)).last_login_at !== null, 'the sign-in time');
    for (let read = 0; read < 3; read++) expect((await me(token)).last_login_at).not.toBeNull();
  });

  it("refuses to change an account's id, which a users change is logged and /v1/me is tagged by", async () => {
    const user = await createUser(database.db, testKeyring, { role: 'IT' });
    await expect(database.db.query('update users set id = gen_random_uuid() where id = $1', [user.id])).rejects.toMatchObject({ code: 'UTTRN' });
  });

  it('serves the writer its own write on its next read', async () => {
    const user = await createUser(database.db, testKeyring, { role: 'SA', firstName: 'Mine' });
    const token = await mintAccessToken(testKeyring, { userId: user.id, role: 'SA' });
    await untilServedFromMemory(() => me(token), '/v1/me');
    const { version } = await me(token);
    const changed = await app.inject({ method: 'PATCH', url: `/v1/users/${user.id}`, headers: bearer(token), payload: { version, first_name: 'Changed' } });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await me(token)).first_name).toBe('Changed');
    const created = await app.inject({ method: 'POST', url: '/v1/locations', headers: bearer(token), payload: { name: 'Written just now', timezone: 'Europe/London' } });
    expect(created.statusCode, created.body).toBe(201);
    const names = (await get<{ items: Array<{ name: string }> }>('/v1/locations?limit=500', token)).body.items.map((item) => item.name);
    expect(names).toContain('Written just now');
  });

  it('loads instead of serving for a client that says it wrote, and for a client that asks for no cached answer', async () => {
    await untilServedFromMemory(() => me(world.tokens.sa), '/v1/me');
    const readAfter = await metric('unitrain_cache_bypasses_total{reason="read_after"}');
    expect((await get<Me>('/v1/me', world.tokens.sa, { 'x-read-after': '0/1' })).body.id).toBe(world.sa.id);
    expect(await metric('unitrain_cache_bypasses_total{reason="read_after"}')).toBe(readAfter + 1);
    const noCache = await metric('unitrain_cache_bypasses_total{reason="no_cache"}');
    expect((await get<Me>('/v1/me', world.tokens.sa, { 'cache-control': 'max-age=0, no-cache' })).body.id).toBe(world.sa.id);
    expect(await metric('unitrain_cache_bypasses_total{reason="no_cache"}')).toBe(noCache + 1);
  });

  it('keys answers by the caller: accounts read in turn each get their own, from memory', async () => {
    const callers = [
      { id: world.sa.id, token: world.tokens.sa },
      { id: world.ap.id, token: world.tokens.ap },
      { id: world.trainee.id, token: world.tokens.trainee },
    ];
    for (const caller of callers) await untilServedFromMemory(() => me(caller.token), `/v1/me of ${caller.id}`);
    const hits = await metric('unitrain_cache_hits_total{layer="l1"}');
    for (let round = 0; round < 3; round++) {
      for (const caller of callers) expect((await me(caller.token)).id).toBe(caller.id);
    }
    expect(await metric('unitrain_cache_hits_total{layer="l1"}')).toBeGreaterThan(hits);
  });

  it('serves the locations list and a location from memory, and a change committed elsewhere once the feed has read it', async () => {
    type Page = { items: Array<{ id: string; name: string }>; total: number };
    const list = () => get<Page>('/v1/locations?limit=500', world.tokens.ad);
    const one = () => get<{ id: string; name: string; version: number }>(`/v1/locations/${world.otherLocationId}`, world.tokens.ad);
    await untilServedFromMemory(list, 'the locations list');
    await untilServedFromMemory(one, 'a location');
    const before = (await one()).body;
    expect((await one()).etag).toBe(`"${before.version}"`);
    await database.db.query(`update locations set name = 'Renamed elsewhere' where id = $1`, [world.otherLocationId]);
    await until(async () => (await list()).body.items.some((item) => item.name === 'Renamed elsewhere'), 'the renamed location in the list');
    await until(async () => (await one()).body.name === 'Renamed elsewhere', 'the renamed location');
    const after = await one();
    expect(after.body.version).toBeGreaterThan(before.version);
    expect(after.etag).toBe(`"${after.body.version}"`);
    expect((await list()).body.items.find((item) => item.id === world.otherLocationId)?.name).toBe('Renamed elsewhere');
  });
});
