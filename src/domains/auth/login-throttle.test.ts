import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildTestApp, createUser, testKeyring } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { createRedisClient } from '../../platform/cache/redis-client.js';
import { lockSecondsAfter, loginThrottlePolicy } from './login-throttle.js';

// Real database and application; failures are counted in the database, so a second application on
// the same database (another process, in production) sees the same lockouts.
const context = useTestApp();

/** Every test signs in from its own address, so the per-address count of one test never reaches another. */
const newAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const attempt = (target: FastifyInstance, email: string, password: string, remoteAddress: string) =>
  target.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password }, remoteAddress });
/** Lets every current lock run out, as waiting for it would (moving the clock instead of sleeping through it). */
const expireLocks = () => context.db.query(`update login_failures set locked_until = now() - interval '1 millisecond' where locked_until > now()`);

describe('sign-in lockout', () => {
  it('grows 1 s, 2 s, 4 s … from the fifth failure on, capped at 15 minutes', () => {
    const { accountThreshold: t } = loginThrottlePolicy;
    expect([t - 1, t, t + 1, t + 2, t + 3].map((n) => lockSecondsAfter(n, t))).toEqual([0, 1, 2, 4, 8]);
    expect(lockSecondsAfter(t + 40, t)).toBe(900);
  });

  it('after five failures refuses even the right password with 429 and Retry-After, then lets it in and forgets the failures', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IC' });
    const from = newAddress();
    for (let i = 0; i < loginThrottlePolicy.accountThreshold; i++) {
      expect((await attempt(context.app, user.email, 'wrong password!', from)).statusCode).toBe(401);
    }
    const locked = await attempt(context.app, user.email, user.password, from);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('1');
    expect(locked.json()).toMatchObject({ error: { code: 'RATE_LIMITED', details: { retryAfterSeconds: 1 } } });
    await expireLocks();
    expect((await attempt(context.app, user.email, user.password, from)).statusCode).toBe(200);
    // The account's count starts again: one failure is far from a lockout.
    expect((await attempt(context.app, user.email, 'wrong password!', from)).statusCode).toBe(401);
    expect((await attempt(context.app, user.email, user.password, from)).statusCode).toBe(200);
  });

  it('locks longer after each further failure, from any address, and on another server of the same database', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IT' });
    const other = await buildTestApp(context.db);
    try {
      for (let i = 0; i < loginThrottlePolicy.accountThreshold; i++) await attempt(context.app, user.email, 'wrong password!', newAddress());
      await expireLocks();
      expect((await attempt(context.app, user.email, 'wrong password!', newAddress())).statusCode).toBe(401);
      const { rows } = await context.db.query<{ failures: number; seconds: number }>(
        `select failures, extract(epoch from locked_until - last_failed_at)::int as seconds from login_failures where scope = 'ACCOUNT' and failures > 1`,
      );
      expect(rows).toContainEqual({ failures: loginThrottlePolicy.accountThreshold + 1, seconds: 2 });
      // However slow the machine, the lock still holds when the other server is asked: it is moved a minute on.
      await context.db.query(
        `update login_failures set locked_until = now() + interval '60 seconds' where scope = 'ACCOUNT' and failures = $1`,
        [loginThrottlePolicy.accountThreshold + 1],
      );
      const locked = await attempt(other, user.email, user.password, newAddress());
      expect(locked.statusCode).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(50);
    } finally {
      await other.close();
    }
  });

  it('locks an unknown e-mail exactly like a known one, so lockouts reveal no accounts', async () => {
    const from = newAddress();
    for (let i = 0; i < loginThrottlePolicy.accountThreshold; i++) {
      expect((await attempt(context.app, 'no-such-account@example.org', 'whatever it is', from)).statusCode).toBe(401);
    }
    const locked = await attempt(context.app, 'No-Such-Account@example.org', 'whatever it is', newAddress());
    expect(locked.statusCode).toBe(429);
  });

  it('locks an address that fails on many accounts, without locking those accounts for other addresses', async () => {
    const user = await createUser(context.db, testKeyring, { role: 'IN' });
    const guesser = newAddress();
    for (let i = 0; i < loginThrottlePolicy.addressThreshold; i++) {
      expect((await attempt(context.app, `victim-${i}@example.org`, 'password123456', guesser)).statusCode).toBe(401);
    }
    expect((await attempt(context.app, user.email, user.password, guesser)).statusCode).toBe(429);
    expect((await attempt(context.app, user.email, user.password, newAddress())).statusCode).toBe(200);
  });

  it('keeps only keyed hashes: no e-mail or address in the clear', async () => {
    const { rows } = await context.db.query<{ key: string }>('select key from login_failures');
    expect(rows.length).toBeGreaterThan(0);
    for (const { key } of rows) expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('public rate limit', () => {
  it('answers 429 with Retry-After in the error shape past the limit per address and route', async () => {
    const limited = await buildTestApp(context.db, { auth: { accessTokenTtlSeconds: 900, refreshTokenTtlDays: 30, publicRateLimitPerMinute: 3 } });
    try {
      const from = newAddress();
      const refresh = (remoteAddress: string) => limited.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: 'unknown' }, remoteAddress });
      for (let i = 0; i < 3; i++) expect((await refresh(from)).statusCode).toBe(401);
      const refused = await refresh(from);
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(refused.json()).toMatchObject({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/^too many requests/) } });
      expect((await refresh(newAddress())).statusCode).toBe(401);
      const me = await limited.inject({ method: 'GET', url: '/v1/me', remoteAddress: from });
      expect(me.statusCode).toBe(401);
    } finally {
      await limited.close();
    }
  });

  it.runIf(process.env['REDIS_URL'])('shares the count between servers through Redis', async () => {
    const settings = { accessTokenTtlSeconds: 900, refreshTokenTtlDays: 30, publicRateLimitPerMinute: 2 };
    const clients = [createRedisClient(process.env['REDIS_URL'] as string), createRedisClient(process.env['REDIS_URL'] as string)];
    const [first, second] = await Promise.all(clients.map((redis) => buildTestApp(context.db, { redis, auth: settings })));
    try {
      await Promise.all([first?.ready(), second?.ready()]);
      const from = newAddress();
      const refresh = (target: FastifyInstance) => target.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: 'unknown' }, remoteAddress: from });
      expect((await refresh(first as FastifyInstance)).statusCode).toBe(401);
      expect((await refresh(second as FastifyInstance)).statusCode).toBe(401);
      expect((await refresh(first as FastifyInstance)).statusCode).toBe(429);
    } finally {
      await Promise.all([first?.close(), second?.close()]);
      await Promise.all(clients.map((redis) => redis.quit()));
    }
  });
});
