import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { createFailureWarning } from '../shared/failure-warning.js';
import type { Logger } from '../shared/logger.js';
import type { CacheMetrics } from '../shared/metrics.js';
import { createOwnWrites } from '../shared/own-writes.js';

/**
 * A point in the change feed's delivery order (platform/change-log: ChangePosition), as the cache needs it:
 * comparable across processes, because every process's feed reads the same change_log in the same order.
 */
export interface FeedPosition {
  readonly txid: bigint;
  readonly seq: bigint;
}

function compare(a: FeedPosition, b: FeedPosition): number {
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

/**
 * A tag for one row of `table`, by its primary key: only a change to that row ends the entry. For an answer
 * that reads no other row of the table, whatever the policies (decision 0102).
 */
export const rowTag = (table: string, rowId: string): string => `${table}:${rowId}`;

/** The table a row tag names, or null for a table's own tag (table names hold no colon). */
function tableOfRowTag(tag: string): string | null {
  const colon = tag.indexOf(':');
  return colon === -1 ? null : tag.slice(0, colon);
}

const stampText = (position: FeedPosition) => `${position.txid}.${position.seq}`;
function parseStamp(text: string): FeedPosition | null {
  const match = /^(\d+)\.(\d+)$/.exec(text);
  return match ? { txid: BigInt(match[1] as string), seq: BigInt(match[2] as string) } : null;
}

/** What the cache keeps, in either layer: the value, the tables it was read from, and from when. */
interface Entry {
  readonly value: unknown;
  readonly tags: readonly string[];
  /** The feed position known when loading began: the value reflects every change before it. */
  readonly stamp: FeedPosition;
}

/** The committed changes a process's change feed hands on, as the cache reads them. */
export interface ChangeBatch {
  readonly start: FeedPosition;
  readonly end: FeedPosition;
  /** `rowId`: change_log's row_id, the changed row's primary key. */
  readonly changes: ReadonlyArray<{ readonly table: string; readonly rowId: string; readonly position: FeedPosition }>;
  /** The primary's WAL position after every change up to `end` committed (null: not known). */
  readonly walPosition: string | null;
}

/** The feed's side, given by the composition root (app.ts), so the cache knows no module. */
export interface InvalidationFeed {
  /**
   * Starts the process's change feed if it is not reading yet; resolves to its position and the name of
   * the database it reads, which prefixes every Redis key: positions of two databases are not comparable,
   * so two databases sharing one Redis must never read each other's entries.
   */
  start(): Promise<{ position: FeedPosition; walPosition: string | null; database: string }>;
  /** Asks the feed for a round now (it polls only every FEED_POLL_MS when nothing wakes it). */
  wake?(): void;
}

export interface TwoLayerCacheSettings {
  l1MaxEntries: number;
  ttlSeconds: number;
  /** Prefix of every Redis key, so that several deployments may share one Redis. */
  keyPrefix?: string;
}

/**
 * Loads an answer. `after` is the primary's WAL position paired with the stamp the answer will carry:
 * a load from a replica must see it (`Db.reader.withActor(actor, fn, after)`), or a stale answer would be
 * stored as current (decision 0046). Null when nothing is required (the feed has not read yet).
 */
export type Loader<T> = (after: string | null) => Promise<T>;

/** How one read may be served (decision 0094: reads made as a signed-in caller). */
export interface ReadOptions {
  /**
   * The client's last commit as its request said (`Actor.commits`, decision 0046): a client that says it
   * wrote may have written through another process, whose commit this process's feed may not have read
   * yet, so its answer is loaded (bypass `read_after`).
   */
  readAfter?: string | null;
  /**
   * Serve an entry only while the feed has finished, within this many milliseconds, a round that left
   * nothing committed unread (the signed-in accounts' bound, decision 0063): a feed held back by a long
   * transaction, or a lost NOTIFY, then costs hits, never a stale answer (bypass `feed_behind`).
   */
  freshWithinMs?: number;
  /** The client asked for a validated answer (`Cache-Control: no-cache`): loaded (bypass `no_cache`). */
  noCache?: boolean;
}

export interface TwoLayerCache {
  /**
   * The cached answer for `key`, or `load()`'s, stored in both layers. `tags` are the tables the answer is
   * read from: a committed change to any of them ends the entry; a row tag (`rowTag`) is one row of a
   * table, ended by a change to that row (its primary key as change_log records it). Concurrent misses of
   * one key share one load (single flight) while that load is still valid.
   */
  getOrLoad<T>(key: string, tags: readonly string[], load: Loader<T>, options?: ReadOptions): Promise<T>;
  /**
   * `getOrLoad`, with the answer itself rather than a promise of it when the first layer serves it once the
   * feed has started: a route answering from L1 then takes no promise and no turn of the microtask queue
   * (decision 0093). Otherwise the same promise `getOrLoad` gives.
   */
  getOrLoadNow<T>(key: string, tags: readonly string[], load: Loader<T>, options?: ReadOptions): T | Promise<T>;
  /** The feed's observer: wire `roundStarting`, `batch` and `roundSettled` to the process's change feed. */
  readonly observer: {
    roundStarting(): void;
    batch(batch: ChangeBatch): void;
    roundSettled(): void;
  };
  /** Call after each commit of this process that wrote (Db.onCommit): until the feed has read it, answers bypass the cache. */
  noteLocalCommit(): void;
  /** Entries in the first layer. */
  readonly size: number;
}

/**
 * The two-layer cache of decision 0038: an in-process LRU (L1) and Redis (L2, when configured). Entries
 * are stamped with the feed position at which their load began, and a process serves an entry only if
 * its feed has seen no change to the entry's tables at or after that stamp. Invalidation is thus a
 * comparison, made by each process against the changes it has read itself, with no message between
 * processes and no key scan in Redis; a value loaded before a commit can never be stored as current after
 * the commit's invalidation, whatever the timing. Redis failing only costs its hits: L1 and the database
 * answer (each failure is counted and logged at debug).
 */
export function createTwoLayerCache(
  settings: TwoLayerCacheSettings,
  deps: {
    redis: Redis | null;
    feed: InvalidationFeed;
    metrics: CacheMetrics;
    logger: Logger;
    /** Milliseconds on a monotonic clock, for `freshWithinMs` (tests move it). Default: performance.now. */
    now?: () => number;
  },
): TwoLayerCache {
  const { redis, metrics, logger } = deps;
  const now = deps.now ?? (() => performance.now());
  let roundStartedAt = 0;
  /** When the last round that left nothing unread began (null: none yet). */
  let settledRoundStartedAt: number | null = null;
  const ttlMs = settings.ttlSeconds * 1000;
  let prefix = settings.keyPrefix ?? 'unitrain:cache:v1:';
  const l1 = new LRUCache<string, Entry>({ max: settings.l1MaxEntries, ttl: Math.max(ttlMs, 1) });
  /** The position of the last change to each table the feed has handed on. */
  const lastChange = new Map<string, FeedPosition>();
  /**
   * The same for rows (`rowTag`), the most recently changed ones. A row dropped from here moves its table's
   * `forgottenRowChange` to its last change if later: a row tag of that table not listed takes that as its
   * own, so forgetting can only end entries early, never keep one a change ended; and forgetting rows of
   * one table ends no row tag of another.
   */
  const forgottenRowChange = new Map<string, FeedPosition>();
  const lastRowChange = new LRUCache<string, FeedPosition>({
    max: Math.max(settings.l1MaxEntries, 1),
    noDisposeOnSet: true,
    dispose: (position, tag) => {
      const table = tableOfRowTag(tag) as string;
      const before = forgottenRowChange.get(table);
      if (!before || compare(position, before) > 0) forgottenRowChange.set(table, position);
    },
  });
  /** Changes before `base` were never seen here: entries stamped before it cannot be checked. */
  let base: FeedPosition | null = null;
  /** Every change before this has been read. */
  let known: FeedPosition | null = null;
  /** The primary's WAL position when `known` was read: every change before `known` committed before it. */
  let knownWal: string | null = null;
  let starting: Promise<void> | null = null;
  /** `starting` has resolved: entries can be checked without waiting for it. */
  let started = false;
  const ownWrites = createOwnWrites();
  const noFeed = createFailureWarning(logger, 'cache: the change feed could not start; answering without the cache');
  const flights = new Map<string, { stamp: FeedPosition; tags: readonly string[]; promise: Promise<unknown> }>();

  const valid = (stamp: FeedPosition, tags: readonly string[]): boolean => {
    if (base === null || compare(stamp, base) < 0) return false;
    for (const tag of tags) {
      const table = tableOfRowTag(tag);
      const changed = table === null ? lastChange.get(tag) : (lastRowChange.peek(tag) ?? forgottenRowChange.get(table));
      if (changed && compare(changed, stamp) >= 0) return false;
    }
    return true;
  };

  const ensureStarted = (): Promise<void> => {
    starting ??= deps.feed.start().then(
      ({ position, walPosition, database }) => {
        noFeed.recovered();
        started = true;
        base ??= position;
        if (known === null) {
          known = position;
          knownWal = walPosition;
        }
        prefix = `${settings.keyPrefix ?? 'unitrain:cache:v1:'}${database}:`;
      },
      (error: unknown) => {
        starting = null;
        throw error;
      },
    );
    return starting;
  };

  const readL2 = async (key: string): Promise<Entry | null> => {
    if (!redis) return null;
    try {
      const text = await redis.get(prefix + key);
      if (text === null) return null;
      const stored = JSON.parse(text) as { stamp: string; tags: string[]; value: unknown };
      const stamp = parseStamp(stored.stamp);
      return stamp ? { stamp, tags: stored.tags, value: stored.value } : null;
    } catch (error) {
      metrics.errors.inc({ layer: 'l2' });
      logger.debug({ err: error }, 'cache: Redis read failed; answering without it');
      return null;
    }
  };

  const writeL2 = (key: string, entry: Entry): void => {
    if (!redis || ttlMs === 0) return;
    const text = JSON.stringify({ stamp: stampText(entry.stamp), tags: entry.tags, value: entry.value });
    redis.set(prefix + key, text, 'PX', ttlMs).then(
      () => metrics.sets.inc({ layer: 'l2' }),
      (error: unknown) => {
        metrics.errors.inc({ layer: 'l2' });
        logger.debug({ err: error }, 'cache: Redis write failed');
      },
    );
  };

  /** One load per key at a time: L2, then the database; stored only if no change to its tables arrived meanwhile. */
  const load = async <T>(key: string, tags: readonly string[], loader: Loader<T>): Promise<T> => {
    const stamp = known as FeedPosition;
    const after = knownWal;
    const promise = (async () => {
      // Without Redis, no promise to wait for: a miss answers a turn sooner.
      const inL2 = redis ? await readL2(key) : null;
      if (inL2) {
        if (valid(inL2.stamp, inL2.tags)) {
          metrics.hits.l2 += 1;
          l1.set(key, inL2);
          return inL2.value as T;
        }
        metrics.invalidations.inc({ layer: 'l2' });
      }
      metrics.misses.inc();
      const value = await loader(after);
      // It may predate a change read while it loaded: then it answers this request only.
      if (valid(stamp, tags)) {
        const entry: Entry = { value, tags, stamp };
        l1.set(key, entry);
        metrics.sets.inc({ layer: 'l1' });
        writeL2(key, entry);
      }
      return value;
    })();
    flights.set(key, { stamp, tags, promise });
    try {
      return await promise;
    } finally {
      if (flights.get(key)?.promise === promise) flights.delete(key);
    }
  };

  /** The entry in L1 when it is still valid (at once), or the key's load in flight, or a new load; the feed has started. */
  const fromCache = <T>(key: string, tags: readonly string[], loader: Loader<T>, options: ReadOptions | undefined): T | Promise<T> => {
    // This process committed something its feed has not read yet: its own next read must see it.
    if (ownWrites.unread) {
      metrics.bypasses.own_write += 1;
      return loader(null);
    }
    if (options?.readAfter !== undefined && options.readAfter !== null) {
      metrics.bypasses.read_after += 1;
      return loader(null);
    }
    if (options?.freshWithinMs !== undefined) {
      const age = settledRoundStartedAt === null ? Infinity : now() - settledRoundStartedAt;
      // Half way, a round is asked for, so that a process under traffic stays fresh whatever the poll.
      if (age > options.freshWithinMs / 2) deps.feed.wake?.();
      if (age > options.freshWithinMs) {
        metrics.bypasses.feed_behind += 1;
        return loader(null);
      }
    }
    const inL1 = l1.get(key);
    if (inL1) {
      if (valid(inL1.stamp, inL1.tags)) {
        metrics.hits.l1 += 1;
        return inL1.value as T;
      }
      l1.delete(key);
      metrics.invalidations.inc({ layer: 'l1' });
    }
    const flight = flights.get(key);
    if (flight && valid(flight.stamp, flight.tags)) {
      metrics.hits.flight += 1;
      return flight.promise as Promise<T>;
    }
    return load(key, tags, loader);
  };

  const getOrLoad = async <T>(key: string, tags: readonly string[], loader: Loader<T>, options?: ReadOptions): Promise<T> => {
    if (ttlMs === 0) return loader(null);
    if (options?.noCache === true) {
      metrics.bypasses.no_cache += 1;
      return loader(null);
    }
    try {
      await ensureStarted();
    } catch (error) {
      noFeed.failed(error);
      metrics.bypasses.no_feed += 1;
      return loader(null);
    }
    return fromCache(key, tags, loader, options);
  };

  return {
    getOrLoad,
    getOrLoadNow<T>(key: string, tags: readonly string[], loader: Loader<T>, options?: ReadOptions): T | Promise<T> {
      return started && ttlMs !== 0 && options?.noCache !== true ? fromCache(key, tags, loader, options) : getOrLoad(key, tags, loader, options);
    },
    observer: {
      roundStarting() {
        ownWrites.roundStarting();
        roundStartedAt = now();
      },
      batch(batch) {
        base ??= batch.start;
        for (const change of batch.changes) {
          const before = lastChange.get(change.table);
          if (!before || compare(change.position, before) > 0) lastChange.set(change.table, change.position);
          const row = rowTag(change.table, change.rowId);
          const rowBefore = lastRowChange.get(row);
          if (!rowBefore || compare(change.position, rowBefore) > 0) lastRowChange.set(row, change.position);
        }
        if (batch.changes.length > 0) metrics.tagInvalidations.inc(new Set(batch.changes.map((change) => change.table)).size);
        if (!known || compare(known, batch.end) <= 0) {
          known = batch.end;
          knownWal = batch.walPosition ?? knownWal;
        }
      },
      roundSettled() {
        ownWrites.roundSettled();
        settledRoundStartedAt = roundStartedAt;
      },
    },
    noteLocalCommit() {
      ownWrites.noteLocalCommit();
    },
    get size() {
      return l1.size;
    },
  };
}
