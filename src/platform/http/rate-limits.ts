import type { FastifyInstance, FastifyRequest, onRequestHookHandler, preHandlerHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import { AppError } from '../../errors.js';
import { memoryCounters, type RateLimitCounters, redisCounters } from './rate-limit-counters.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Open to signed-out callers: the general public limit applies (`publicRoute`). */
    publicLimit?: true;
  }
  interface FastifyInstance {
    /** The counters of the limits (Redis's when configured), for `keyedLimit`. */
    rateLimits: Limits;
  }
}

export interface RateLimitDeps {
  /** Counters shared by every process when given; otherwise each process counts in memory. */
  redis: Redis | null;
  publicPerMinute: number;
  /** Milliseconds on a monotonic clock, which the in-memory windows are measured by; tests move it. */
  now: () => number;
}

const redisPrefix = 'unitrain:rate-limit:';
const publicWindowMs = 60_000;

interface Limits {
  countersFor(name: string, windowMs: number): RateLimitCounters;
}

/**
 * General limits for the routes open to signed-out callers (sign-in, refresh, certificate
 * verification, the public catalogue): `publicPerMinute` requests per client address and route, in a
 * fixed window from the first. Routes opt in with `config: publicRoute`. Signed-in routes are not limited
 * here. A callback hook, not an async one: in memory a request is counted and let through without a
 * promise (decision 0100).
 */
export function registerRateLimits(app: FastifyInstance, deps: RateLimitDeps): void {
  const { redis } = deps;
  if (redis) {
    // The shared client never queues commands while disconnected: connect it before traffic comes.
    app.addHook('onReady', async () => {
      if (redis.status === 'wait') await redis.connect().catch(() => undefined);
    });
  }
  const limits: Limits = {
    countersFor: (name, windowMs) => (redis ? redisCounters(redis, `${redisPrefix}${name}:`, windowMs) : memoryCounters(windowMs, deps.now)),
  };
  app.decorate('rateLimits', limits);
  app.addHook('onRoute', (route) => {
    if (route.config?.publicLimit !== true) return;
    // Counters of their own per route: a request's key is then its client alone, no string built per request.
    const hook = limitHook(limits.countersFor(`public:${String(route.method)} ${route.url}`, publicWindowMs), deps.publicPerMinute, clientOf);
    // After the route's own onRequest hooks, where the plugin this replaces put its own.
    route.onRequest = [...(Array.isArray(route.onRequest) ? route.onRequest : route.onRequest ? [route.onRequest] : []), hook];
  });
}

/** Route `config` of a route open to signed-out callers: the general public limit applies. */
export const publicRoute = { publicLimit: true } as const;

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
export function keyedLimit(app: FastifyInstance, limit: KeyedLimit): preHandlerHookHandler {
  return limitHook(app.rateLimits.countersFor(limit.name, limit.timeWindowMs), limit.max, limit.keyOf);
}

function limitHook(counters: RateLimitCounters, max: number, keyOf: (request: FastifyRequest) => string): onRequestHookHandler & preHandlerHookHandler {
  return (request, _reply, done) => {
    counters.count(keyOf(request), (count, msLeft) => {
      if (count <= max) return done();
      const retryAfterSeconds = Math.max(1, Math.ceil(msLeft / 1000));
      done(new AppError('RATE_LIMITED', `too many requests; try again in ${retryAfterSeconds} s`, { retryAfterSeconds }));
    });
  };
}

/**
 * The client a request is counted for: its IPv4 address, or the /64 network of an IPv6 one (one subscriber's
 * allocation, as @fastify/rate-limit counted it; a host can pick any address in its /64).
 */
export function clientOf(request: FastifyRequest): string {
  const address = request.ip;
  if (!address.includes(':')) return address;
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) return address.slice(7);
  const [head = '', tail] = (address.split('%')[0] ?? '').toLowerCase().split('::');
  const groups = head === '' ? [] : head.split(':');
  if (tail !== undefined) {
    const tailGroups = tail === '' ? [] : tail.split(':');
    const tailLength = tailGroups.reduce((sum, group) => sum + (group.includes('.') ? 2 : 1), 0);
    groups.push(...Array<string>(Math.max(0, 8 - groups.length - tailLength)).fill('0'), ...tailGroups);
  }
  return `${groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16)).join(':')}::/64`;
}
