import { randomInt } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, testKeyring, tokenFor } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { describeValue, expectNoServerError, hostileValues } from '../../../test/hostile-input.js';

// Every body parameter and header of the auth routes gets every hostile value, through the real
// application on the real database: a client error, never a 500 and never a token.
const context = useTestApp();
let token: string;

beforeAll(async () => {
  const user = await createUser(context.db, testKeyring, { role: 'IC' });
  token = await tokenFor(context.app, user.email, user.password);
});

/** A fresh address per request: this test is about input, not about the lockout the failures would cause. */
const someAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

describe('hostile input to the auth routes', () => {
  it.each([
    ['/v1/auth/login', 'email', { email: 'someone@example.org', password: 'a password here' }],
    ['/v1/auth/login', 'password', { email: 'someone@example.org', password: 'a password here' }],
    ['/v1/auth/refresh', 'refresh_token', { refresh_token: 'x' }],
  ] as const)('POST %s body.%s', async (url, field, valid) => {
    for (const value of hostileValues) {
      const response = await context.app.inject({ method: 'POST', url, payload: { ...valid, [field]: value }, remoteAddress: someAddress() });
      expectNoServerError(response, `${field}=${describeValue(value)}`);
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
    }
  });

  it('POST /v1/auth/logout body.refresh_token', async () => {
    for (const value of hostileValues) {
      const response = await context.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(token), payload: { refresh_token: value } });
      expectNoServerError(response, `refresh_token=${describeValue(value)}`);
    }
  });

  it('the Authorization header', async () => {
    for (const value of hostileValues) {
      // A header cannot carry NUL or line breaks at all (the HTTP layer refuses them before us).
      const text = typeof value === 'string' ? [...value].filter((c) => c >= ' ' && c !== '\u202e').join('') : JSON.stringify(value);
      for (const header of [text, `Bearer ${text}`]) {
        const response = await context.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: header } });
        expectNoServerError(response, `authorization=${describeValue(header)}`);
        expect(response.statusCode).toBe(401);
      }
    }
  });
});
