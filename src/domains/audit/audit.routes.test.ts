import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, mintAccessToken, testKeyring, type TestUser } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import type { Role } from '../../platform/db/actor.js';

// Real database and the real application through inject, with real accounts and signed access tokens.
const context = useTestApp();
const users = {} as Record<Role, TestUser>;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  for (const role of ['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'] as const) {
    users[role] = await createUser(context.db, testKeyring, { role });
    tokens[role] = await mintAccessToken(testKeyring, { userId: users[role].id, role });
  }
});

const get = (url: string, role: Role | null = 'SA') =>
  context.app.inject({ method: 'GET', url, headers: role ? bearer(tokens[role]) : {} });

/** Locations changed by an actor through withActor, as a service would; returns their ids. */
async function changeLocations(actorId: string, role: Role, names: string[]): Promise<string[]> {
  return context.db.withActor({ userId: actorId, role, providerId: null }, async (tx) => {
    const { rows } = await tx.query<{ id: string }>('insert into locations (name) select unnest($1::text[]) returning id', [names]);
    const ids = rows.map((r) => r.id);
    await tx.query(`update locations set city = 'Lille' where id = $1`, [ids[0]]);
    return ids;
  });
}

describe('GET /v1/audit', () => {
  it('shows an administrator who changed what through the API: actor, request id, address and user agent', async () => {
    const created = await context.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: { ...bearer(tokens.SA), 'x-request-id': 'audit-route-1', 'user-agent': 'audit-test/1.0' },
      payload: { role: 'IN', email: `audited-${randomUUID()}@example.org`, first_name: 'Audre', last_name: 'Lorde', password: 'a long enough password' },
    });
    expect(created.statusCode).toBe(201);
    const userId = created.json<{ id: string }>().id;

    const response = await get(`/v1/audit?table=users&row_id=${userId}`);
    expect(response.statusCode).toBe(200);
    const page = response.json();
    expect(page).toMatchObject({ total: 1, next_cursor: null });
    expect(page.items).toEqual([
      expect.objectContaining({
        actor_id: users.SA.id, actor_role: 'SA', table_name: 'users', operation: 'INSERT', row_id: userId, old_values: null,
        request_id: 'audit-route-1', ip: '127.0.0.1', user_agent: 'audit-test/1.0',
      }),
    ]);
    const values = page.items[0].new_values;
    expect(values).toMatchObject({ id: userId, role: 'IN', email_ciphertext: expect.stringMatching(/^v1\./) });
    expect(values).not.toHaveProperty('password_hash');
    expect(JSON.stringify(page)).not.toContain('@example.org');
  });

  it('runs under row-level security: an AD does not see the entries about an SA account', async () => {
    const aboutSa = `/v1/audit?table=users&row_id=${users.SA.id}`;
    expect((await get(aboutSa, 'SA')).json()).toMatchObject({ total: 1, items: [{ operation: 'INSERT', row_id: users.SA.id }] });
    expect((await get(aboutSa, 'AD')).json()).toEqual({ total: 0, items: [], next_cursor: null });
    expect((await get(`/v1/audit?table=users&row_id=${users.IN.id}`, 'AD')).json().total).toBe(1);
  });

  it('filters by table, row, actor, operation and time, and counts the matches', async () => {
    const actor = users.AD.id;
    const [first] = await changeLocations(actor, 'AD', ['Filter One', 'Filter Two', 'Filter Three']);
    const byActor = await get(`/v1/audit?actor_id=${actor}&table=locations`);
    expect(byActor.json()).toMatchObject({ total: 4 });
    expect((await get(`/v1/audit?actor_id=${actor}&operation=UPDATE`)).json()).toMatchObject({ total: 1, items: [{ row_id: first, old_values: { city: null }, new_values: { city: 'Lille' } }] });
    expect((await get(`/v1/audit?row_id=${first}`)).json().total).toBe(2);
    expect((await get(`/v1/audit?actor_id=${actor}&operation=DELETE`)).json()).toMatchObject({ total: 0, items: [] });

    const occurred = byActor.json().items.map((item: { occurred_at: string }) => item.occurred_at).sort();
    const hourBefore = new Date(Date.parse(occurred[0]) - 3_600_000).toISOString();
    const hourAfter = new Date(Date.parse(occurred.at(-1)) + 3_600_000).toISOString();
    expect((await get(`/v1/audit?actor_id=${actor}&from=${encodeURIComponent(hourBefore)}&to=${encodeURIComponent(hourAfter)}`)).json().total).toBe(4);
    expect((await get(`/v1/audit?actor_id=${actor}&from=${encodeURIComponent(hourAfter)}`)).json().total).toBe(0);
    expect((await get(`/v1/audit?actor_id=${actor}&to=${encodeURIComponent(hourBefore)}`)).json().total).toBe(0);
  });

  it('pages newest first with an opaque cursor until next_cursor is null', async () => {
    const actor = randomUUID();
    await changeLocations(actor, 'SA', ['Page One', 'Page Two', 'Page Three', 'Page Four', 'Page Five', 'Page Six']);
    const ids: number[] = [];
    let url = `/v1/audit?actor_id=${actor}&limit=3`;
    for (let pages = 1; ; pages++) {
      const page = (await get(url)).json<{ items: { id: number }[]; next_cursor: string | null; total: number }>();
      expect(page.total).toBe(7);
      ids.push(...page.items.map((item) => item.id));
      if (page.next_cursor === null) {
        expect(pages).toBe(3);
        break;
      }
      url = `/v1/audit?actor_id=${actor}&limit=3&cursor=${page.next_cursor}`;
    }
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });

  it('refuses every role but SA and AD with 403, and a signed-out caller with 401', async () => {
    for (const role of ['AP', 'IC', 'IP', 'IT', 'IN'] as const) {
      for (const url of ['/v1/audit', `/v1/audit/activity/${users.SA.id}`]) {
        const response = await get(url, role);
        expect({ role, url, status: response.statusCode, code: response.json().error.code }).toEqual({ role, url, status: 403, code: 'FORBIDDEN' });
      }
    }
    expect((await get('/v1/audit', 'AD')).statusCode).toBe(200);
    expect((await get('/v1/audit', null)).statusCode).toBe(401);
  });

  it('answers bad filters with 400 naming the field, never a 500', async () => {
    const cases: [string, string][] = [
      ['limit=0', 'querystring.limit'],
      ['limit=501', 'querystring.limit'],
      ['operation=TRUNCATE', 'querystring.operation'],
      ['row_id=not-a-uuid', 'querystring.row_id'],
      ['actor_id=1%27%20or%201=1--', 'querystring.actor_id'],
      ['table=users;drop%20table%20audit_log', 'querystring.table'],
      ['from=yesterday', 'querystring.from'],
      ['colour=red', 'querystring.colour'],
      [`cursor=${Buffer.from('audit:abc').toString('base64url')}`, 'querystring.cursor'],
      [`cursor=${'x'.repeat(65)}`, 'querystring.cursor'],
    ];
    for (const [query, field] of cases) {
      const response = await get(`/v1/audit?${query}`);
      expect({ query, status: response.statusCode, field: response.json().error?.details?.field }).toEqual({ query, status: 400, field });
    }
    const outOfRange = await get(`/v1/audit?from=${encodeURIComponent('0000-01-01T00:00:00Z')}`);
    expect(outOfRange.statusCode).toBe(400);
  });
});

describe('GET /v1/audit/activity/:userId', () => {
  it("summarises a person's changes per day and table for an administrator", async () => {
    const actor = users.IC.id;
    await changeLocations(actor, 'SA', ['Activity One', 'Activity Two']);
    const response = await get(`/v1/audit/activity/${actor}?days=7`, 'AD');
    expect(response.statusCode).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(response.json()).toEqual({
      user_id: actor,
      days: 7,
      by_day: [{ day: today, table_name: 'locations', inserts: 2, updates: 1, deletes: 0, total: 3 }],
      totals: { inserts: 2, updates: 1, deletes: 0, total: 3 },
    });
  });

  it('answers a bad user id or day count with 400', async () => {
    expect((await get('/v1/audit/activity/nobody')).json().error.details.field).toBe('params.userId');
    for (const days of ['0', '367', 'week']) {
      expect((await get(`/v1/audit/activity/${users.SA.id}?days=${days}`)).json().error.details.field).toBe('querystring.days');
    }
  });
});
