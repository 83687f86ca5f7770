import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import { AppError } from '../../errors.js';

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

export interface KeyedLimit {
  /** What is limited, e.g. `password-reset:address`: part of every counter's key. */
  name: string;
  max: number;
  timeWindowMs: number;
  /** The counter a request counts on (runs after validation: it may read the body). */
  keyOf: (request: FastifyRequest) => string;
}

/**
 * A preHandler that counts each request on its own key (an e-mail's blind index, a client address) in
 * the store of the general limits (Redis when configured), and refuses with RATE_LIMITED and a
 * Retry-After once a key passed `max` in the window. Several can run on one route, beside `publicRoute`.
 */
export function keyedLimit(app: FastifyInstance, limit: KeyedLimit): preHandlerAsyncHookHandler {
  const check = app.createRateLimit({ max: limit.max, timeWindow: limit.timeWindowMs, keyGenerator: (request) => `${limit.name}:${limit.keyOf(request)}` });
  return async (request) => {
    const result = await check(request);
    if (!result.isAllowed && result.isExceeded) {
      const retryAfterSeconds = Math.max(1, result.ttlInSeconds);
      throw new AppError('RATE_LIMITED', `too many requests; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
  };
}
