import { describe, expect, it } from 'vitest';
import { bearer, createUser, testKeyring, type TestUser } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';

// Real database (a migrated copy on PGlite, or PostgreSQL with DATABASE_URL), the real application through inject.
const context = useTestApp();

const login = (email: string, password: string) => context.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
const refresh = (token: string) => context.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: token } });
const tokensOf = async (user: TestUser) => {
  const response = await login(user.email, user.password);
  expect(response.statusCode).toBe(200);
  return response.json<{ access_token: string; refresh_token: string }>();
};

async function familyRows(userId: string) {
  const { rows } = await context.db.query<{ id: string; family_id: string; revoked_at: Date | null; replaced_by: string | null }>(
    'select id, family_id, revoked_at, replaced_by from auth_sessions where user_id = $1 order by created_at, id',
    [userId],
  );
  return rows;
}

describe('POST /v1/auth/login', () => {
  it('signs in with e-mail and password: a bearer token, a refresh token, the user, and last_login_at set', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IC', email: 'Grace.Hopper@Example.org' });
    const response = await login('  grace.hopper@example.org ', user.password);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { id: user.id, role: 'IC', email: 'Grace.Hopper@Example.org' } });
    expect(body.access_token.split('.')).toHaveLength(3);
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const me = await context.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(body.access_token) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: user.id, role: 'IC', status: 'ACTIVE', email: 'Grace.Hopper@Example.org', first_name: 'Test', provider_ids: [] });
    const stored = await context.db.query<{ last_login_at: Date | null; refresh_token_hash: string }>(
      'select u.last_login_at, s.refresh_token_hash from users u join auth_sessions s on s.user_id = u.id where u.id = $1',
      [user.id],
    );
    expect(stored.rows[0]?.last_login_at).toBeInstanceOf(Date);
    expect(stored.rows[0]?.refresh_token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.rows[0]?.refresh_token_hash).not.toContain(body.refresh_token);
  });

  it('answers a wrong password and an unknown e-mail with the same 401 INVALID_CREDENTIALS', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IT' });
    const wrongPassword = await login(user.email, 'not the right password');
    const unknownEmail = await login('nobody-here@example.org', user.password);
    for (const response of [wrongPassword, unknownEmail]) {
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: { code: 'INVALID_CREDENTIALS', message: 'the e-mail or password is wrong' } });
    }
  });

  // That an unknown e-mail costs the same argon2id verification as a wrong password is checked in
  // src/platform/security/passwords.test.ts (the same work, not a duration: timings flake on a busy machine).

  it('refuses an inactive account with the same answer, even with the right password', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IP' });
    await context.db.query(`update users set status = 'INACTIVE' where id = $1`, [user.id]);
    const response = await login(user.email, user.password);
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('INVALID_CREDENTIALS');
  });
});

describe('POST /v1/auth/refresh', () => {
  it('rotates: a new pair, the old row revoked and replaced by the new one in the same family', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'AP' });
    const first = await tokensOf(user);
    const response = await refresh(first.refresh_token);
    expect(response.statusCode).toBe(200);
    const second = response.json();
    expect(second).toMatchObject({ token_type: 'Bearer', user: { id: user.id, role: 'AP', email: user.email } });
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const [old, current] = await familyRows(user.id);
    expect(old?.revoked_at).toBeInstanceOf(Date);
    expect(old?.replaced_by).toBe(current?.id);
    expect(current).toMatchObject({ family_id: old?.family_id, revoked_at: null, replaced_by: null });
    expect((await context.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(second.access_token) })).statusCode).toBe(200);
  });

  it('treats a rotated token presented again as stolen: 401 REFRESH_TOKEN_REUSED, and the newest token stops working too', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IC' });
    const first = await tokensOf(user);
    const second = (await refresh(first.refresh_token)).json<{ refresh_token: string }>();
    const third = (await refresh(second.refresh_token)).json<{ refresh_token: string }>();
    const replay = await refresh(first.refresh_token);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('REFRESH_TOKEN_REUSED');
    expect((await familyRows(user.id)).every((row) => row.revoked_at !== null)).toBe(true);
    const newest = await refresh(third.refresh_token);
    expect(newest.statusCode).toBe(401);
    expect(newest.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('lets exactly one of two concurrent refreshes with the same token win', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IT' });
    const { refresh_token } = await tokensOf(user);
    const results = await Promise.all([refresh(refresh_token), refresh(refresh_token)]);
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 401]);
    expect(results.find((r) => r.statusCode === 401)?.json().error.code).toBe('REFRESH_TOKEN_REUSED');
    const rows = await familyRows(user.id);
    expect(rows).toHaveLength(2);
    expect(rows.filter((row) => row.replaced_by !== null)).toHaveLength(1);
  });

  it('refuses an unknown token, an expired one, and one of a deactivated account with 401 UNAUTHENTICATED', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IN' });
    expect((await refresh('x'.repeat(43))).json().error.code).toBe('UNAUTHENTICATED');
    const expiring = await tokensOf(user);
    await context.db.query(`update auth_sessions set expires_at = now() - interval '1 second' where user_id = $1`, [user.id]);
    expect((await refresh(expiring.refresh_token)).statusCode).toBe(401);
    const live = await tokensOf(user);
    await context.db.query(`update users set status = 'INACTIVE' where id = $1`, [user.id]);
    const refused = await refresh(live.refresh_token);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('UNAUTHENTICATED');
  });
});

describe('POST /v1/auth/logout', () => {
  it('with a refresh token signs out of that sign-in only; without one, of every sign-in', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'AD' });
    const phone = await tokensOf(user);
    const laptop = await tokensOf(user);
    const tablet = await tokensOf(user);
    const one = await context.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(phone.access_token), payload: { refresh_token: phone.refresh_token } });
    expect(one.statusCode).toBe(204);
    expect((await refresh(phone.refresh_token)).statusCode).toBe(401);
    const stillIn = await refresh(laptop.refresh_token);
    expect(stillIn.statusCode).toBe(200);
    const all = await context.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(tablet.access_token) });
    expect(all.statusCode).toBe(204);
    expect((await refresh(tablet.refresh_token)).statusCode).toBe(401);
    expect((await refresh(stillIn.json().refresh_token)).statusCode).toBe(401);
  });

  it("needs a signed-in caller, and cannot sign anyone else out with their refresh token", async () => {
    expect((await context.app.inject({ method: 'POST', url: '/v1/auth/logout' })).statusCode).toBe(401);
    const victim = await createUser(context.db, testKeyring, { role: 'IC' });
    const attacker = await createUser(context.db, testKeyring, { role: 'IC' });
    const victimTokens = await tokensOf(victim);
    const attackerTokens = await tokensOf(attacker);
    const response = await context.app.inject({
      method: 'POST', url: '/v1/auth/logout', headers: bearer(attackerTokens.access_token), payload: { refresh_token: victimTokens.refresh_token },
    });
    expect(response.statusCode).toBe(204);
    expect((await refresh(victimTokens.refresh_token)).statusCode).toBe(200);
  });
});

describe('GET /v1/me', () => {
  it('is 401 signed out, with the error shape', async () => {
    const response = await context.app.inject({ method: 'GET', url: '/v1/me' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
  });
});

describe('POST /v1/me/password', () => {
  it('changes the password after checking the current one, and signs other sign-ins out', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IT' });
    const first = await tokensOf(user);
    const change = (current: string, next: string) =>
      context.app.inject({ method: 'POST', url: '/v1/me/password', headers: bearer(first.access_token), payload: { current_password: current, new_password: next } });

    expect((await change('not the password', 'a brand new passphrase')).json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.current_password' } } });
    expect((await change(user.password, 'short')).json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.new_password' } } });
    expect((await login(user.email, user.password)).statusCode).toBe(200);

    expect((await change(user.password, 'a brand new passphrase')).statusCode).toBe(204);
    expect((await refresh(first.refresh_token)).statusCode).toBe(401);
    expect((await login(user.email, user.password)).statusCode).toBe(401);
    expect((await login(user.email, 'a brand new passphrase')).statusCode).toBe(200);
  });

  it('needs a signed-in caller', async () => {
    const response = await context.app.inject({ method: 'POST', url: '/v1/me/password', payload: { current_password: 'x', new_password: 'y'.repeat(12) } });
    expect(response.statusCode).toBe(401);
  });
});
