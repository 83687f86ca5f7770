import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';

export interface RateLimitDeps {
  /** Counters shared by every process when given; otherwise each process counts in memory. */
  redis: Redis | null;
  publicPerMinute: number;
}

/**
 * General limits for the routes open to signed-out callers (sign-in, refresh, certificate
 * verification, the public catalogue): `publicPerMinute` requests per client address and route.
 * Routes opt in with `config: publicRoute`. Signed-in routes are not limited here.
 */
export async function registerRateLimits(app: FastifyInstance, deps: RateLimitDeps): Promise<void> {
  const { redis } = deps;
  if (redis) {
    // The shared client never queues commands while disconnected: connect it before traffic comes.
    app.addHook('onReady', async () => {
      if (redis.status === 'wait') await redis.connect().catch(() => undefined);
    });
  }
  await app.register(rateLimit, {
    global: false,
    max: deps.publicPerMinute,
    timeWindow: 60_000,
    ...(redis ? { redis, nameSpace: 'unitrain:rate-limit:' } : {}),
    // An unreachable Redis must not lock everybody out; sign-in has its own database-backed lockout.
    skipOnError: true,
    errorResponseBuilder: (_request, context) => {
      const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new AppError('RATE_LIMITED', `too many requests; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    },
  });
}

/** Route `config` of a route open to signed-out callers: the general public limit applies. */
export const publicRoute = { rateLimit: {} };
