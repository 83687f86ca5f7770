import { describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import { createMetrics } from '../shared/metrics.js';
import { createTwoLayerCache, type FeedPosition, rowTag } from './two-layer-cache.js';
import { testLogger } from '../../../test/logger.js';

// The cache's ordering rules, with the change feed driven by the test (its batches are what a process's
// feed hands on) and no Redis: the cases where timing decides, which the process tests cannot force.
// The database-backed behaviour is in cache.app.test.ts and cache.processes.test.ts.
const at = (txid: number, seq = 0): FeedPosition => ({ txid: BigInt(txid), seq: BigInt(seq) });
const someRow = '00000000-0000-4000-8000-000000000001';

function cacheWithHandFeed(l1MaxEntries = 100) {
  const metrics = createMetrics();
  const cache = createTwoLayerCache({ l1MaxEntries, ttlSeconds: 60 }, {
    redis: null,
    metrics: metrics.cache,
    logger: testLogger,
    feed: { start: async () => ({ position: at(100), walPosition: '0/100', database: 'test' }) },
  });
  return { cache, metrics };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

describe('the two-layer cache', () => {
  it('never stores a value whose load began before a change to its tables that was read meanwhile', async () => {
    const { cache } = cacheWithHandFeed();
    expect(await cache.getOrLoad('k', ['courses'], async () => 'first')).toBe('first');
    expect(await cache.getOrLoad('k', ['courses'], async () => 'unused')).toBe('first');
    cache.observer.batch({ walPosition: null, start: at(100), end: at(105), changes: [{ table: 'courses', rowId: someRow, position: at(101, 3) }] });
    const slow = deferred<string>();
    const started = deferred<void>();
    const loading = cache.getOrLoad('k', ['courses'], () => {
      started.resolve();
      return slow.promise;
    });
    await started.promise;
    // A commit while that load runs: it may have read the database before it.
    cache.observer.batch({ walPosition: null, start: at(105), end: at(110), changes: [{ table: 'courses', rowId: someRow, position: at(107, 1) }] });
    // A request after the invalidation does not join the load that began before it.
    const after = cache.getOrLoad('k', ['courses'], async () => 'after the change');
    slow.resolve('maybe stale');
    expect(await loading).toBe('maybe stale');
    expect(await after).toBe('after the change');
    expect(await cache.getOrLoad('k', ['courses'], async () => 'unused')).toBe('after the change');
  });

  it('ends a row tag on a change to its row only, and on any change to a row of its table it no longer lists', async () => {
    const { cache } = cacheWithHandFeed(2);
    const [mine, other] = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b2'];
    await cache.getOrLoad('mine', [rowTag('users', mine), 'profiles'], async () => 'first');
    await cache.getOrLoad('table', ['users'], async () => 'first');
    cache.observer.batch({ walPosition: null, start: at(100), end: at(102), changes: [{ table: 'users', rowId: other, position: at(101) }] });
    expect(await cache.getOrLoad('mine', [rowTag('users', mine), 'profiles'], async () => 'second')).toBe('first');
    expect(await cache.getOrLoad('table', ['users'], async () => 'second')).toBe('second');
    cache.observer.batch({ walPosition: null, start: at(102), end: at(104), changes: [{ table: 'users', rowId: mine, position: at(103) }] });
    expect(await cache.getOrLoad('mine', [rowTag('users', mine), 'profiles'], async () => 'third')).toBe('third');
    // Two rows are remembered: a third change forgets the oldest, whose position every row tag then takes.
    cache.observer.batch({
      walPosition: null, start: at(104), end: at(108),
      changes: [{ table: 'users', rowId: other, position: at(105) }, { table: 'courses', rowId: other, position: at(106) }, { table: 'rooms', rowId: other, position: at(107) }],
    });
    expect(await cache.getOrLoad('mine', [rowTag('users', mine), 'profiles'], async () => 'fourth')).toBe('fourth');
    expect(await cache.getOrLoad('mine', [rowTag('users', mine), 'profiles'], async () => 'unused')).toBe('fourth');
    // Rows of other tables forgotten in turn end no row tag of users.
    cache.observer.batch({
      walPosition: null, start: at(108), end: at(112),
      changes: [{ table: 'courses', rowId: mine, position: at(109) }, { table: 'rooms', rowId: mine, position: at(110) }, { table: 'courses', rowId: other, position: at(111) }],
    });
    expect(await cache.getOrLoad('mine', [rowTag('users', mine), 'profiles'], async () => 'unused')).toBe('fourth');
  });

  it('keeps entries of other tables, and joins a load of the same key still valid', async () => {
    const { cache, metrics } = cacheWithHandFeed();
    await cache.getOrLoad('sessions', ['training_sessions'], async () => 1);
    cache.observer.batch({ walPosition: null, start: at(100), end: at(102), changes: [{ table: 'courses', rowId: someRow, position: at(101) }] });
    expect(await cache.getOrLoad('sessions', ['training_sessions'], async () => 2)).toBe(1);
    const slow = deferred<number>();
    const [first, second] = [cache.getOrLoad('x', ['courses'], () => slow.promise), cache.getOrLoad('x', ['courses'], async () => 99)];
    slow.resolve(7);
    expect([await first, await second]).toEqual([7, 7]);
    expect((await metrics.registry.getSingleMetricAsString('unitrain_cache_hits_total'))).toContain('layer="flight"} 1');
  });

  it('answers from the database after a commit of its own process until its feed has read past it', async () => {
    const { cache } = cacheWithHandFeed();
    await cache.getOrLoad('k', ['notifications'], async () => 'before');
    cache.noteLocalCommit();
    expect(await cache.getOrLoad('k', ['notifications'], async () => 'fresh')).toBe('fresh');
    // A round that began before the commit covers nothing; one that began after it and settled does.
    cache.observer.roundStarting();
    cache.observer.batch({ walPosition: null, start: at(100), end: at(104), changes: [{ table: 'notifications', rowId: someRow, position: at(103) }] });
    cache.observer.roundSettled();
    expect(await cache.getOrLoad('k', ['notifications'], async () => 'loaded again')).toBe('loaded again');
    expect(await cache.getOrLoad('k', ['notifications'], async () => 'unused')).toBe('loaded again');
  });

  it('gives an answer in L1 itself, not a promise, once its feed has started; and follows the same rules as getOrLoad', async () => {
    const { cache } = cacheWithHandFeed();
    // Before the feed has started: a promise, as getOrLoad gives.
    const first = cache.getOrLoadNow('k', ['courses'], async () => 'first');
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBe('first');
    expect(cache.getOrLoadNow('k', ['courses'], async () => 'unused')).toBe('first');
    // A change to its table ends it at once: a load again, then the new answer itself.
    cache.observer.batch({ walPosition: null, start: at(100), end: at(105), changes: [{ table: 'courses', rowId: someRow, position: at(101) }] });
    const again = cache.getOrLoadNow('k', ['courses'], async () => 'second');
    expect(again).toBeInstanceOf(Promise);
    expect(await again).toBe('second');
    expect(cache.getOrLoadNow('k', ['courses'], async () => 'unused')).toBe('second');
    // A commit of its own process not read by its feed yet: the loader answers.
    cache.noteLocalCommit();
    expect(await cache.getOrLoadNow('k', ['courses'], async () => 'own write')).toBe('own write');
  });

  it('asks each load to see the WAL position of the feed position its entry is stamped with (a replica must have replayed it)', async () => {
    const { cache } = cacheWithHandFeed();
    const asked: Array<string | null> = [];
    const load = (value: string) => async (after: string | null) => {
      asked.push(after);
      return value;
    };
    await cache.getOrLoad('k', ['courses'], load('first'));
    cache.observer.batch({ walPosition: '0/2A0', start: at(100), end: at(105), changes: [{ table: 'courses', rowId: someRow, position: at(101) }] });
    expect(await cache.getOrLoad('k', ['courses'], load('second'))).toBe('second');
    // A round that found nothing new leaves the pair as it was.
    cache.observer.batch({ walPosition: null, start: at(105), end: at(105), changes: [] });
    cache.observer.batch({ walPosition: '0/2B0', start: at(105), end: at(107), changes: [{ table: 'courses', rowId: someRow, position: at(106) }] });
    expect(await cache.getOrLoad('k', ['courses'], load('third'))).toBe('third');
    expect(asked).toEqual(['0/100', '0/2A0', '0/2B0']);
  });

  it('warns once that its feed cannot start, not at every request, and answers from the loader meanwhile', async () => {
    const lines: Array<{ msg: string }> = [];
    const metrics = createMetrics();
    let feedStarts = false;
    const cache = createTwoLayerCache({ l1MaxEntries: 100, ttlSeconds: 60 }, {
      redis: null,
      metrics: metrics.cache,
      logger: createLogger({ logLevel: 'warn', logFormat: 'json' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
      feed: {
        start: async () => {
          if (!feedStarts) throw new Error('connection refused');
          return { position: at(100), walPosition: '0/100', database: 'test' };
        },
      },
    });
    for (let request = 1; request <= 3; request += 1) expect(await cache.getOrLoad('k', ['courses'], async () => request)).toBe(request);
    expect(lines.map((line) => line.msg)).toEqual(['cache: the change feed could not start; answering without the cache']);
    feedStarts = true;
    expect(await cache.getOrLoad('k', ['courses'], async () => 'loaded')).toBe('loaded');
    expect(await cache.getOrLoad('k', ['courses'], async () => 'unused')).toBe('loaded');
    expect(lines).toHaveLength(1);
  });

  it('serves a read bounded by the feed only while a round that left nothing unread began within the bound, and asks for rounds half way', async () => {
    const metrics = createMetrics();
    let clock = 0;
    let wakes = 0;
    const cache = createTwoLayerCache({ l1MaxEntries: 100, ttlSeconds: 60 }, {
      redis: null,
      metrics: metrics.cache,
      logger: testLogger,
      feed: { start: async () => ({ position: at(100), walPosition: '0/100', database: 'test' }), wake: () => void (wakes += 1) },
      now: () => clock,
    });
    const bounded = { freshWithinMs: 1_000 };
    // No round has settled yet: loaded every time (and not stored), and a round asked for.
    expect(await cache.getOrLoad('k', ['users'], async () => 'first', bounded)).toBe('first');
    expect(await cache.getOrLoad('k', ['users'], async () => 'second', bounded)).toBe('second');
    expect(wakes).toBe(2);
    // An unbounded read stores its answer meanwhile; bounded reads still load.
    expect(await cache.getOrLoad('k', ['users'], async () => 'stored')).toBe('stored');
    expect(await cache.getOrLoad('k', ['users'], async () => 'third', bounded)).toBe('third');
    cache.observer.roundStarting();
    clock = 100;
    cache.observer.roundSettled();
    const wakesBefore = wakes;
    expect(await cache.getOrLoad('k', ['users'], async () => 'unused', bounded)).toBe('stored');
    expect(wakes).toBe(wakesBefore);
    // Past half the bound a round is asked for, still served; past the bound, loaded.
    clock = 700;
    expect(await cache.getOrLoad('k', ['users'], async () => 'unused', bounded)).toBe('stored');
    expect(wakes).toBe(wakesBefore + 1);
    clock = 1_001;
    expect(await cache.getOrLoad('k', ['users'], async () => 'behind', bounded)).toBe('behind');
    // A round that began but has not settled (a long transaction holds it) does not count.
    cache.observer.roundStarting();
    clock = 1_500;
    expect(await cache.getOrLoad('k', ['users'], async () => 'still behind', bounded)).toBe('still behind');
    cache.observer.roundSettled();
    expect(await cache.getOrLoad('k', ['users'], async () => 'unused', bounded)).toBe('stored');
    expect(await metrics.registry.getSingleMetricAsString('unitrain_cache_bypasses_total')).toContain('reason="feed_behind"} 5');
  });

  it('loads, not serves, for a client that says it wrote (possibly through another process, unread here) and for one that asks for no cached answer', async () => {
    const { cache, metrics } = cacheWithHandFeed();
    expect(await cache.getOrLoad('k', ['users'], async () => 'stored')).toBe('stored');
    // Another process's commit this feed has not read: only the client's position says it happened.
    expect(await cache.getOrLoad('k', ['users'], async () => 'its write', { readAfter: '0/2A0' })).toBe('its write');
    expect(await cache.getOrLoad('k', ['users'], async () => 'validated', { noCache: true })).toBe('validated');
    expect(await cache.getOrLoad('k', ['users'], async () => 'unused', { readAfter: null, noCache: false })).toBe('stored');
    const bypasses = await metrics.registry.getSingleMetricAsString('unitrain_cache_bypasses_total');
    expect(bypasses).toContain('reason="read_after"} 1');
    expect(bypasses).toContain('reason="no_cache"} 1');
  });
});
