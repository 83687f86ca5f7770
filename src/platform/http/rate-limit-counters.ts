import type { Redis } from 'ioredis';

/**
 * Counts a request on `key` in a fixed window of `windowMs` that starts with the key's first request, then
 * calls `counted` with the count so far in the window and the milliseconds left of it. The in-memory
 * counters call it before `count` returns (no promise, no turn of the event loop); Redis's on its reply.
 */
export interface RateLimitCounters {
  count(key: string, counted: (count: number, msLeft: number) => void): void;
}

/**
 * One limit's windows in this process. A Map keeps its keys in insertion order, and a key is (re)inserted
 * only when its window starts: with one window length per map, the first entry is the window that ends
 * first, so ended windows are dropped from the front, a few at each new window, without a timer or a scan.
 * Past `maxKeys` live windows (many addresses in one window) the oldest is dropped early: that address
 * starts again from zero, as it did in the LRU of the plugin this replaces (decision 0100).
 */
export function memoryCounters(windowMs: number, now: () => number, maxKeys = 10_000): RateLimitCounters {
  const windows = new Map<string, { count: number; endsAt: number }>();
  const forgetEnded = (at: number) => {
    for (const [key, window] of windows) {
      if (window.endsAt > at && windows.size <= maxKeys) return;
      windows.delete(key);
    }
  };
  return {
    count(key, counted) {
      const at = now();
      let window = windows.get(key);
      if (window === undefined || window.endsAt <= at) {
        windows.delete(key);
        window = { count: 0, endsAt: at + windowMs };
        windows.set(key, window);
        forgetEnded(at);
      }
      window.count += 1;
      counted(window.count, window.endsAt - at);
    },
  };
}

// One round trip, atomic: the first request of a window sets its expiry. A key left without one (-1: never
// expected, but it would limit that client for ever) gets one too.
const countScript = `
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if count == 1 or left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}`;

interface CountingRedis extends Redis {
  countRequest(key: string, windowMs: number, callback: (error: Error | null | undefined, result?: [number, number]) => void): void;
}

/**
 * One limit's windows shared by every process through Redis (`prefix` + key). An unreachable Redis counts
 * nothing: the request goes through (the client fails at once while disconnected, `createRedisClient`), so a
 * Redis outage never locks everybody out; sign-in has its own database-backed lockout.
 */
export function redisCounters(redis: Redis, prefix: string, windowMs: number): RateLimitCounters {
  const client = redis as CountingRedis;
  if (typeof client.countRequest !== 'function') redis.defineCommand('countRequest', { numberOfKeys: 1, lua: countScript });
  return {
    count(key, counted) {
      client.countRequest(prefix + key, windowMs, (error, result) => {
        if (error || !result) counted(0, windowMs);
        else counted(result[0], result[1]);
      });
    },
  };
}
