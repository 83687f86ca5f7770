import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, testKeyring, tokenFor, type TestUser } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';

// Real database with its row-level security, the real application through inject, real sign-ins.
const context = useTestApp();
let sa: TestUser;
let ad: TestUser;
let saToken: string;
let adToken: string;

beforeAll(async () => {
  sa = await createUser(context.db, testKeyring, { role: 'SA' });
  ad = await createUser(context.db, testKeyring, { role: 'AD' });
  saToken = await tokenFor(context.app, sa.email, sa.password);
  adToken = await tokenFor(context.app, ad.email, ad.password);
});

const newUser = (overrides: Record<string, unknown> = {}) => ({
  role: 'IC',
  email: `person-${randomUUID()}@example.org`,
  password: 'twelve chars or more',
  first_name: 'Ada',
  last_name: 'Lovelace',
  ...overrides,
});

const create = (token: string, body: object) => context.app.inject({ method: 'POST', url: '/v1/users', headers: bearer(token), payload: body });
const read = (token: string, id: string) => context.app.inject({ method: 'GET', url: `/v1/users/${id}`, headers: bearer(token) });
const patch = (token: string, id: string, body: object) => context.app.inject({ method: 'PATCH', url: `/v1/users/${id}`, headers: bearer(token), payload: body });

describe('POST /v1/users', () => {
  it('creates an account with its profile, encrypted e-mail and phone, and the account can sign in', async () => {
    const body = newUser({ phone: '+44 20 7946 0000' });
    const response = await create(adToken, body);
    expect(response.statusCode).toBe(201);
    const created = response.json();
    expect(created).toMatchObject({
      role: 'IC', status: 'ACTIVE', email: body.email, phone: '+44 20 7946 0000', first_name: 'Ada', last_name: 'Lovelace', provider_ids: [], version: 1,
    });
    const { rows } = await context.db.query<Record<string, string>>(
      `select u.email_ciphertext, u.password_hash, p.phone_ciphertext, p.email_ciphertext as profile_email, p.role
         from users u join profiles p on p.user_id = u.id where u.id = $1`,
      [created.id],
    );
    expect(rows[0]?.['email_ciphertext']).toMatch(/^v1\.test1\./);
    expect(rows[0]?.['phone_ciphertext']).toMatch(/^v1\.test1\./);
    expect(JSON.stringify(rows)).not.toContain(body.email);
    expect(rows[0]?.['password_hash']).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await tokenFor(context.app, body.email, body.password)).toMatch(/^ey/);
  });

  it('makes an AP account a member of its provider', async () => {
    const { rows } = await context.db.query<{ id: string }>(`insert into authorized_providers (name) values ($1) returning id`, [`Provider ${randomUUID()}`]);
    const providerId = rows[0]?.id as string;
    const response = await create(saToken, newUser({ role: 'AP', provider_id: providerId }));
    expect(response.statusCode).toBe(201);
    expect(response.json().provider_ids).toEqual([providerId]);
    const misplaced = await create(saToken, newUser({ role: 'IC', provider_id: providerId }));
    expect(misplaced.statusCode).toBe(400);
    expect(misplaced.json().error.details.field).toBe('body.provider_id');
    const unknown = await create(saToken, newUser({ role: 'AP', provider_id: randomUUID() }));
    expect(unknown.statusCode).toBe(422);
  });

  it('refuses a password shorter than 12 characters, naming the field', async () => {
    const response = await create(saToken, newUser({ password: 'short-pass1' }));
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.password' } });
  });

  it('refuses an e-mail already taken, whatever its case, with 409 EMAIL_TAKEN', async () => {
    const body = newUser();
    expect((await create(saToken, body)).statusCode).toBe(201);
    const again = await create(saToken, newUser({ email: body.email.toUpperCase() }));
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'EMAIL_TAKEN', details: { field: 'body.email' } });
  });

  it('is for SA and AD only: 403 for other roles, 401 signed out', async () => {
    const instructor = await createUser(context.db, testKeyring, { role: 'IC' });
    const token = await tokenFor(context.app, instructor.email, instructor.password);
    expect((await create(token, newUser())).statusCode).toBe(403);
    expect((await context.app.inject({ method: 'POST', url: '/v1/users', payload: newUser() })).statusCode).toBe(401);
  });
});

describe('GET /v1/users', () => {
  it('pages newest first with a cursor, filters by role and status, and counts the matches', async () => {
    const role = 'IN';
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await createUser(context.db, testKeyring, { role })).id);
    await context.db.query(`update users set status = 'INACTIVE' where id = $1`, [made[0]]);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/v1/users?role=${role}&status=ACTIVE&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await context.app.inject({ method: 'GET', url: query, headers: bearer(saToken) });
      expect(response.statusCode).toBe(200);
      const page = response.json();
      expect(page.total).toBe(4);
      seen.push(...page.items.map((item: { id: string; role: string; status: string }) => item.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(2);
    expect(seen).toEqual(made.slice(1).reverse());
  });

  it('answers the users named by id in one request (one id, several, unknown ones left out) and refuses more than 200 or a non-uuid', async () => {
    const made = [(await createUser(context.db, testKeyring, { role: 'IT' })).id, (await createUser(context.db, testKeyring, { role: 'IC' })).id];
    const several = await context.app.inject({ method: 'GET', url: `/v1/users?id=${made[0]}&id=${made[1]}&id=${randomUUID()}`, headers: bearer(adToken) });
    expect(several.statusCode).toBe(200);
    expect(several.json().items.map((item: { id: string }) => item.id).sort()).toEqual([...made].sort());
    expect(several.json().total).toBe(2);
    const one = await context.app.inject({ method: 'GET', url: `/v1/users?id=${made[0]}`, headers: bearer(adToken) });
    expect(one.json().items.map((item: { id: string }) => item.id)).toEqual([made[0]]);
    // Row-level security still decides: an AD asking for an SA by id does not get it.
    const hidden = await context.app.inject({ method: 'GET', url: `/v1/users?id=${sa.id}`, headers: bearer(adToken) });
    expect(hidden.json()).toMatchObject({ items: [], total: 0 });
    const tooMany = await context.app.inject({ method: 'GET', url: `/v1/users?${Array.from({ length: 201 }, () => `id=${randomUUID()}`).join('&')}`, headers: bearer(saToken) });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.details.field).toMatch(/^querystring\.id/);
    const notUuid = await context.app.inject({ method: 'GET', url: '/v1/users?id=nobody', headers: bearer(saToken) });
    expect(notUuid.statusCode).toBe(400);
  });

  it('finds people by the start of a name (any case, wildcards taken literally) or an exact e-mail, where the caller may see them', async () => {
    const found = await createUser(context.db, testKeyring, { role: 'IT', email: 'grace.hopper@example.test', firstName: 'Grace', lastName: 'Hopper' });
    await createUser(context.db, testKeyring, { role: 'IT', email: 'gracie.other@example.test', firstName: 'Gracie', lastName: 'Other' });
    const ids = async (q: string, token = adToken) => {
      const response = await context.app.inject({ method: 'GET', url: `/v1/users?q=${encodeURIComponent(q)}`, headers: bearer(token) });
      expect(response.statusCode).toBe(200);
      return response.json().items.map((item: { id: string }) => item.id) as string[];
    };
    expect(await ids('hopp')).toEqual([found.id]);
    expect(await ids('grace h')).toEqual([found.id]);
    expect((await ids('GRAC')).length).toBe(2);
    expect(await ids('Grace.Hopper@example.test')).toEqual([found.id]);
    expect(await ids('grace.hopper@example')).toEqual([]);
    expect(await ids('%')).toEqual([]);
    expect(await ids('_race')).toEqual([]);
    const empty = await context.app.inject({ method: 'GET', url: '/v1/users?q=', headers: bearer(adToken) });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.details.field).toBe('querystring.q');
  });

  it('refuses a cursor it did not issue and an unknown filter value', async () => {
    const badCursor = await context.app.inject({ method: 'GET', url: '/v1/users?cursor=bm90LWEtY3Vyc29y', headers: bearer(saToken) });
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json().error.details.field).toBe('querystring.cursor');
    const badRole = await context.app.inject({ method: 'GET', url: '/v1/users?role=ROOT', headers: bearer(saToken) });
    expect(badRole.statusCode).toBe(400);
    expect(badRole.json().error.details.field).toBe('querystring.role');
  });
});

describe('PATCH /v1/users/:id', () => {
  it('changes role, status and names at the version read, and answers a stale version with 409 and the current user', async () => {
    const target = (await create(adToken, newUser())).json();
    const changed = await patch(adToken, target.id, { version: target.version, role: 'IP', first_name: 'Augusta' });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ role: 'IP', first_name: 'Augusta', last_name: 'Lovelace', version: target.version + 1 });
    const { rows } = await context.db.query<{ role: string }>('select role from profiles where user_id = $1', [target.id]);
    expect(rows[0]?.role).toBe('IP');
    const stale = await patch(adToken, target.id, { version: target.version, status: 'INACTIVE' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'VERSION_CONFLICT', details: { field: 'body.version', current: { role: 'IP', version: target.version + 1 } } });
  });

  it('needs a version and at least one change', async () => {
    const target = (await create(saToken, newUser())).json();
    expect((await patch(saToken, target.id, { role: 'IT' })).json().error.details.field).toBe('body.version');
    expect((await patch(saToken, target.id, { version: 1 })).statusCode).toBe(400);
    expect((await patch(saToken, randomUUID(), { version: 1, role: 'IT' })).statusCode).toBe(404);
  });
});

describe('POST /v1/users/:id/deactivate', () => {
  it('deactivates another account, refuses the own one, and 404s an unknown id', async () => {
    const target = (await create(saToken, newUser())).json();
    const response = await context.app.inject({ method: 'POST', url: `/v1/users/${target.id}/deactivate`, headers: bearer(saToken) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'INACTIVE', version: 2 });
    const own = await context.app.inject({ method: 'POST', url: `/v1/users/${sa.id}/deactivate`, headers: bearer(saToken) });
    expect(own.statusCode).toBe(409);
    const unknown = await context.app.inject({ method: 'POST', url: `/v1/users/${randomUUID()}/deactivate`, headers: bearer(saToken) });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('an AD and system administrators (row-level security refuses, the API says 404 or 403)', () => {
  it('cannot see an SA: 404 for the account, absent from lists', async () => {
    expect((await read(adToken, sa.id)).statusCode).toBe(404);
    const list = await context.app.inject({ method: 'GET', url: '/v1/users?role=SA', headers: bearer(adToken) });
    expect(list.json()).toMatchObject({ items: [], total: 0 });
    expect((await read(saToken, sa.id)).statusCode).toBe(200);
  });

  it('cannot create an SA (403), nor make anyone an SA (403)', async () => {
    const created = await create(adToken, newUser({ role: 'SA' }));
    expect(created.statusCode).toBe(403);
    const target = (await create(adToken, newUser())).json();
    const promoted = await patch(adToken, target.id, { version: target.version, role: 'SA' });
    expect(promoted.statusCode).toBe(403);
    expect((await read(saToken, target.id)).json().role).toBe('IC');
  });

  it('cannot change or deactivate an SA: 404, and the SA is unchanged', async () => {
    const other = await createUser(context.db, testKeyring, { role: 'SA' });
    expect((await patch(adToken, other.id, { version: 1, role: 'IT' })).statusCode).toBe(404);
    expect((await context.app.inject({ method: 'POST', url: `/v1/users/${other.id}/deactivate`, headers: bearer(adToken) })).statusCode).toBe(404);
    expect((await read(saToken, other.id)).json()).toMatchObject({ role: 'SA', status: 'ACTIVE', version: 1 });
  });
});
