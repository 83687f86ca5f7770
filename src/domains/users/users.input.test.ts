import { randomInt, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, testKeyring, tokenFor } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { describeValue, expectNoServerError, hostileValues } from '../../../test/hostile-input.js';

// Every body, path and query parameter of the users routes gets every hostile value, through the
// real application on the real database: a client error or a clean success, never a 500.
const context = useTestApp();
let token: string;
let targetId: string;

beforeAll(async () => {
  const admin = await createUser(context.db, testKeyring, { role: 'SA' });
  token = await tokenFor(context.app, admin.email, admin.password);
  targetId = (await createUser(context.db, testKeyring, { role: 'IT' })).id;
});

const validCreate = () => ({ role: 'IC', email: `p-${randomUUID()}@example.org`, password: 'long enough password', first_name: 'A', last_name: 'B' });
const currentVersion = async () => (await context.db.query<{ version: number }>('select version from users where id = $1', [targetId])).rows[0]?.version;
const usersCount = async () => (await context.db.query<{ n: number }>('select count(*)::int as n from users')).rows[0]?.n;

describe('hostile input to the users routes', () => {
  it.each(['role', 'email', 'password', 'first_name', 'last_name', 'phone', 'provider_id'])('POST /v1/users body.%s', async (field) => {
    for (const value of hostileValues) {
      const payload = { ...validCreate(), [field]: value };
      const response = await context.app.inject({ method: 'POST', url: '/v1/users', headers: bearer(token), payload });
      expectNoServerError(response, `${field}=${describeValue(value)}`);
      // Stored as sent: a name that is an injection string is just a name.
      if (response.statusCode === 201 && typeof value === 'string' && (field === 'first_name' || field === 'last_name')) expect(response.json()[field]).toBe(value);
    }
  });

  it.each(['version', 'role', 'status', 'first_name', 'last_name'])('PATCH /v1/users/:id body.%s', async (field) => {
    for (const value of hostileValues) {
      const payload = { version: await currentVersion(), first_name: 'Same', [field]: value };
      const response = await context.app.inject({ method: 'PATCH', url: `/v1/users/${targetId}`, headers: bearer(token), payload });
      expectNoServerError(response, `${field}=${describeValue(value)}`);
    }
  });

  it.each(['role', 'status', 'limit', 'cursor'])('GET /v1/users ?%s', async (parameter) => {
    const before = await usersCount();
    for (const value of hostileValues) {
      const query = new URLSearchParams({ [parameter]: typeof value === 'string' ? value.slice(0, 4000) : JSON.stringify(value) });
      const response = await context.app.inject({ method: 'GET', url: `/v1/users?${query}`, headers: bearer(token) });
      expectNoServerError(response, `${parameter}=${describeValue(value)}`);
      if (response.statusCode === 200) expect(response.json().total).toBeLessThanOrEqual(before as number);
    }
  });

  it.each([
    ['GET', ''],
    ['PATCH', ''],
    ['POST', '/deactivate'],
  ] as const)('%s /v1/users/:id%s with a hostile id', async (method, suffix) => {
    for (const value of hostileValues) {
      const id = encodeURIComponent(typeof value === 'string' ? value.slice(0, 4000) || ' ' : JSON.stringify(value));
      const response = await context.app.inject({ method, url: `/v1/users/${id}${suffix}`, headers: bearer(token), ...(method === 'PATCH' ? { payload: { version: 1, role: 'IT' } } : {}) });
      expectNoServerError(response, `id=${describeValue(value)}`);
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
    }
  });

  it('refuses a body that is not a JSON object, and one over the size limit', async () => {
    for (const payload of ['null', '[]', '"text"', '{"role":', '{}'.padEnd(11 * 1024 * 1024, ' ')]) {
      const response = await context.app.inject({ method: 'POST', url: '/v1/users', headers: { ...bearer(token), 'content-type': 'application/json' }, payload });
      expectNoServerError(response, `body ${payload.slice(0, 20)}`);
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
    }
  });

  it('never lets the injected values touch the table: the target user is intact', async () => {
    const response = await context.app.inject({ method: 'GET', url: `/v1/users/${targetId}`, headers: bearer(token), remoteAddress: `10.9.${randomInt(256)}.1` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: targetId, role: expect.stringMatching(/^(SA|AD|AP|IC|IP|IT|IN)$/) });
  });
});
