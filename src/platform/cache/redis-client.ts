import { Redis } from 'ioredis';

/** A client that never queues commands while disconnected, so a dead Redis fails fast instead of hanging. */
export function createRedisClient(url: string): Redis {
  const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  // Connection errors surface through the commands that fail and through /ready; they must not crash the process.
  client.on('error', () => undefined);
  return client;
}
