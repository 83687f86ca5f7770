import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, mintAccessToken, testKeyring, type TestUser } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';

const context = useTestApp();
const tokens: Record<string, string> = {};
const users: Record<string, TestUser> = {};

async function as(name: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}) {
  return context.app.inject({ method, url, headers: { ...bearer(tokens[name] as string), ...headers }, ...(payload ? { payload } : {}) });
}

beforeAll(async () => {
  for (const role of ['SA', 'AD', 'AP', 'IT'] as const) {
    users[role] = await createUser(context.db, testKeyring, { role });
    tokens[role] = await mintAccessToken(testKeyring, { userId: users[role].id, role });
  }
});

describe('locations through the API', () => {
  it('creates a location with its defaults, and gives it an ETag of its version', async () => {
    const response = await as('SA', 'POST', '/v1/locations', { name: 'Harbour Training Centre', city: 'Leith', country: 'GB', timezone: 'Europe/London' });
    expect(response.statusCode).toBe(201);
    expect(response.headers['etag']).toBe('"1"');
    expect(response.json()).toMatchObject({ name: 'Harbour Training Centre', city: 'Leith', country: 'GB', status: 'ACTIVE', version: 1, address_line1: null });
  });

  it('pages through a sorted, filtered list with cursors and says how many match', async () => {
    for (const name of ['Alpha Hall', 'Beta Hall', 'Gamma Hall', 'Delta Hall', 'Epsilon Hall']) {
      expect((await as('AD', 'POST', '/v1/locations', { name, status: name.startsWith('E') ? 'INACTIVE' : 'ACTIVE' })).statusCode).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `status=ACTIVE&sort=name&direction=desc&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await as('IT', 'GET', `/v1/locations?${query}`)).json<{ items: { name: string }[]; next_cursor: string | null; total: number }>();
      expect(page.total).toBe(5);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.name));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['Harbour Training Centre', 'Gamma Hall', 'Delta Hall', 'Beta Hall', 'Alpha Hall']);
  });

  it('pages by a timestamp without repeating or losing rows created within one millisecond', async () => {
    const { rows } = await context.db.query<{ id: string }>(
      `insert into locations (name, created_at)
       select 'Microsecond ' || n, timestamptz '2001-02-03 04:05:06.007' + n * interval '1 microsecond'
         from generate_series(1, 6) n returning id`,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `sort=created_at&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await as('IT', 'GET', `/v1/locations?${query}`)).json<{ items: { id: string }[]; next_cursor: string | null }>();
      seen.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.slice(0, 6)).toEqual(rows.map((row) => row.id));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('answers a listed location\'s timestamps as it answers the location read alone (decision 0078)', async () => {
    // A list reads its timestamps as text and writes them as they are; reading one row goes through Dates.
    const { rows } = await context.db.query<{ id: string }>(
      `insert into locations (name, status, created_at, updated_at)
       select 'Stamped ' || n, 'INACTIVE', timestamptz '2001-02-03 04:05:06' + n * interval '0.099999 second', timestamptz '1999-12-31 23:59:59.999999+00' + n * interval '1 microsecond'
         from generate_series(0, 4) n returning id`,
    );
    const listed = (await as('IT', 'GET', '/v1/locations?status=INACTIVE&sort=created_at&limit=500')).json<{ items: Record<string, unknown>[] }>().items;
    for (const { id } of rows) {
      const alone = (await as('IT', 'GET', `/v1/locations/${id}`)).json<Record<string, unknown>>();
      expect(listed.find((item) => item['id'] === id)).toEqual(alone);
    }
    expect(listed.filter((item) => rows.some((row) => row.id === item['id'])).map((item) => item['created_at'])).toEqual(
      ['2001-02-03T04:05:06.000Z', '2001-02-03T04:05:06.099Z', '2001-02-03T04:05:06.199Z', '2001-02-03T04:05:06.299Z', '2001-02-03T04:05:06.399Z'],
    );
  });

  it('refuses a value a nullable field cannot take instead of storing null', async () => {
    const created = (await as('SA', 'POST', '/v1/locations', { name: 'Nullable Hall', city: 'Perth' })).json<{ id: string }>();
    for (const [field, value] of [['city', ''], ['country', ''], ['country', 'gb'], ['address_line1', 'x'.repeat(201)]] as const) {
      const response = await as('SA', 'PATCH', `/v1/locations/${created.id}`, { [field]: value, version: 1 });
      expect(response.statusCode, `${field}=${JSON.stringify(value)}`).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: `body.${field}` } } });
    }
    expect((await as('SA', 'GET', `/v1/locations/${created.id}`)).json()).toMatchObject({ city: 'Perth', country: null, version: 1 });
    expect((await as('SA', 'PATCH', `/v1/locations/${created.id}`, { city: null, version: 1 })).json()).toMatchObject({ city: null, version: 2 });
  });

  it('refuses bad input with the offending field, and changes nothing', async () => {
    const before = (await as('SA', 'GET', '/v1/locations?limit=1')).json<{ total: number }>().total;
    const badCountry = await as('SA', 'POST', '/v1/locations', { name: 'Nowhere', country: 'Scotland' });
    expect(badCountry.statusCode).toBe(400);
    expect(badCountry.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.country' } } });
    const unknownField = await as('SA', 'POST', '/v1/locations', { name: 'Nowhere', capacity: 3 });
    expect(unknownField.statusCode).toBe(400);
    expect((await as('SA', 'GET', '/v1/locations?cursor=not-a-cursor')).json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'querystring.cursor' } } });
    expect((await as('SA', 'GET', '/v1/locations?sort=city')).statusCode).toBe(400);
    expect((await as('SA', 'GET', '/v1/locations/not-a-uuid')).statusCode).toBe(400);
    expect((await as('SA', 'GET', '/v1/locations?limit=1')).json<{ total: number }>().total).toBe(before);
  });

  it('answers 404 for a location that does not exist and 401 when signed out', async () => {
    const missing = await as('SA', 'GET', '/v1/locations/00000000-0000-4000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await context.app.inject({ method: 'GET', url: '/v1/locations' })).statusCode).toBe(401);
  });

  it('changes a location only at the version the client read: stale gets 409 with the current row', async () => {
    const created = (await as('SA', 'POST', '/v1/locations', { name: 'Versioned Hall' })).json<{ id: string }>();
    const changed = await as('SA', 'PATCH', `/v1/locations/${created.id}`, { city: 'Perth', version: 1 });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ city: 'Perth', version: 2 });
    expect(changed.headers['etag']).toBe('"2"');

    const stale = await as('AD', 'PATCH', `/v1/locations/${created.id}`, { city: 'Dundee', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ error: { code: 'VERSION_CONFLICT', details: { current: { city: 'Perth', version: 2 } } } });

    const viaHeader = await as('AD', 'PATCH', `/v1/locations/${created.id}`, { city: 'Dundee' }, { 'if-match': '"2"' });
    expect(viaHeader.json()).toMatchObject({ city: 'Dundee', version: 3 });
    expect((await as('AD', 'PATCH', `/v1/locations/${created.id}`, { city: 'Oban' })).json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.version' } } });
  });

  it('lets exactly one of two concurrent changes at the same version win', async () => {
    const created = (await as('SA', 'POST', '/v1/locations', { name: 'Contested Hall' })).json<{ id: string }>();
    const results = await Promise.all(['Ayr', 'Troon'].map((city) => as('SA', 'PATCH', `/v1/locations/${created.id}`, { city, version: 1 })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const final = (await as('SA', 'GET', `/v1/locations/${created.id}`)).json<{ version: number }>();
    expect(final.version).toBe(2);
  });

  it('follows the access matrix: every signed-in role reads, only administrators write, the rest get 403', async () => {
    const created = (await as('SA', 'POST', '/v1/locations', { name: 'Guarded Hall' })).json<{ id: string }>();
    expect((await as('IT', 'GET', `/v1/locations/${created.id}`)).statusCode).toBe(200);
    expect((await as('IT', 'POST', '/v1/locations', { name: 'Trainee Hall' })).json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((await as('AP', 'PATCH', `/v1/locations/${created.id}`, { city: 'Elgin', version: 1 })).statusCode).toBe(403);
    expect((await as('IT', 'DELETE', `/v1/locations/${created.id}`)).statusCode).toBe(403);
    expect((await as('AD', 'DELETE', `/v1/locations/${created.id}`)).statusCode).toBe(204);
    expect((await as('AD', 'GET', `/v1/locations/${created.id}`)).statusCode).toBe(404);
  });
});
