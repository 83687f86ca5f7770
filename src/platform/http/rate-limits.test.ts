import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestApp, testAuthSettings } from '../../../test/auth.js';
import { useTestDatabase } from '../../../test/database.js';
import { createRedisClient } from '../cache/redis-client.js';

// Real: the database, the application and its HTTP handling (inject, with the client's address set); a Redis
// client pointed at a port where nothing listens (Redis down). The in-memory windows run on the app's
// monotonic clock, which the tests move instead of waiting a minute.
const context = useTestDatabase();
const limited = { auth: { ...testAuthSettings, publicRateLimitPerMinute: 2 } };
const keys = (target: FastifyInstance, remoteAddress: string) => target.inject({ method: 'GET', url: '/.well-known/jwks.json', remoteAddress });

async function withApp(overrides: Parameters<typeof buildTestApp>[1], test: (target: FastifyInstance) => Promise<void>): Promise<void> {
  const target = await buildTestApp(context.db, { ...limited, ...overrides });
  try {
    await test(target);
  } finally {
    await target.close();
  }
}

describe('the public rate limit', () => {
  it('lets a client in again once its window has ended, and says how long is left until then', async () => {
    let now = 1_000_000;
    await withApp({ monotonicNow: () => now }, async (target) => {
      expect((await keys(target, '10.1.0.1')).statusCode).toBe(200);
      now += 20_000;
      expect((await keys(target, '10.1.0.1')).statusCode).toBe(200);
      now += 10_000;
      const refused = await keys(target, '10.1.0.1');
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBe('30');
      expect(refused.json()).toEqual({ error: { code: 'RATE_LIMITED', message: 'too many requests; try again in 30 s', details: { retryAfterSeconds: 30 } } });
      now += 29_999;
      expect((await keys(target, '10.1.0.1')).headers['retry-after']).toBe('1');
      now += 1;
      expect((await keys(target, '10.1.0.1')).statusCode).toBe(200);
      expect((await keys(target, '10.1.0.1')).statusCode).toBe(200);
      expect((await keys(target, '10.1.0.1')).statusCode).toBe(429);
    });
  });

  it('counts an IPv6 client by its /64 network, and an IPv4-mapped address as the IPv4 one', async () => {
    await withApp({}, async (target) => {
      expect((await keys(target, '2001:db8:aa:1::1')).statusCode).toBe(200);
      expect((await keys(target, '2001:0db8:00aa:0001:ffff::2')).statusCode).toBe(200);
      expect((await keys(target, '2001:db8:aa:1:1:2:3:4')).statusCode).toBe(429);
      expect((await keys(target, '2001:db8:aa:2::1')).statusCode).toBe(200);
      expect((await keys(target, '10.1.0.2')).statusCode).toBe(200);
      expect((await keys(target, '::ffff:10.1.0.2')).statusCode).toBe(200);
      expect((await keys(target, '10.1.0.2')).statusCode).toBe(429);
    });
  });

  describe('with Redis down', () => {
    const deadRedis = createRedisClient('redis://127.0.0.1:1');
    afterAll(() => deadRedis.disconnect());

    it('lets every request through, the public limit and a keyed one alike, rather than lock everybody out', async () => {
      await withApp({ redis: deadRedis }, async (target) => {
        for (let i = 0; i < 4; i++) expect((await keys(target, '10.1.0.3')).statusCode).toBe(200);
        // Past the public limit (2) and the reset route's keyed limit per address typed (5 an hour).
        for (let i = 0; i < 7; i++) {
          const reset = await target.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: 'nobody@example.org' }, remoteAddress: '10.1.0.3' });
          expect(reset.statusCode).toBe(202);
        }
      });
    });
  });
});
