import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CountedHistogram } from './counted-histogram.js';
import { RequestDurations } from './request-durations.js';

export interface RealtimeMetrics {
  subscribers: Gauge;
  eventsDelivered: Counter;
  /** From the start of the writing transaction (change_log.changed_at) to the write to the subscriber's socket. */
  deliveryLag: CountedHistogram;
  /**
   * Per change of a live batch, from the start of its writing transaction to each step of the round that
   * handed it on: `read` by the feed, `authorised`, `written` to every socket. Where delivery lag comes from.
   */
  stageLag: Histogram<'stage'>;
  slowConsumersDropped: Counter;
  /** Subscriber scopes built for a new stream or rebuilt after a change touched them (decision 0022). */
  scopesBuilt: Counter;
}

/**
 * Answers the answer cache served, by layer, and loaded without it, by reason: counted as plain numbers (a
 * cached read is one `+= 1`, where a labelled prom-client counter checks and hashes its labels each time,
 * as for the signed-in accounts, decision 0104) and written out as counters when scraped.
 */
export interface CacheHitCounts {
  /** This process's memory. */
  l1: number;
  /** Redis. */
  l2: number;
  /** A load already under way. */
  flight: number;
}

export interface CacheBypassCounts {
  /** This process committed something its feed has not read. */
  own_write: number;
  /** The client says it wrote (its read-after position). */
  read_after: number;
  /** The feed has not settled a round within the bound asked for. */
  feed_behind: number;
  /** The client asked for no cached answer (`Cache-Control: no-cache`). */
  no_cache: number;
  /** The change feed could not start. */
  no_feed: number;
}

export interface CacheMetrics {
  /** Answers served from a layer. */
  hits: CacheHitCounts;
  misses: Counter;
  sets: Counter<'layer'>;
  /** Entries found out of date (a committed change to one of their tables) and dropped. */
  invalidations: Counter<'layer'>;
  /** Tables named by committed changes the feed handed on: each ends the entries read from it. */
  tagInvalidations: Counter;
  /** Answers loaded from the database without the cache, by reason. */
  bypasses: CacheBypassCounts;
  errors: Counter<'layer'>;
}

/** The database (pool, slow statements, reads and the replica), the job queue and the cache, read when /metrics is scraped. */
export interface ScrapeSources {
  pool?: () => { total: number; idle: number; waiting: number } | null;
  jobs?: () => Promise<Array<{ status: string; count: number }>>;
  cacheSize?: () => number;
  /** Statements slower than SLOW_QUERY_MS since start, by fingerprint. */
  slowStatements?: () => ReadonlyMap<string, { count: number; seconds: number }>;
  /** Reads of the read-only endpoints since start, by where they went (Db.readCounts). */
  reads?: () => ReadonlyMap<string, number>;
  /** The replica, probed at scrape time; null without one. */
  replica?: () => Promise<{ server: string; reachable: boolean; lagSeconds: number | null; lagBytes: number | null } | null>;
}

/**
 * Signed-in accounts answered, by source. Counted as plain numbers (a request is one `+= 1`, where a
 * labelled prom-client counter checks and hashes its labels each time, decision 0081) and written out as
 * the counter `unitrain_signed_in_account_reads_total` when scraped.
 */
export interface AccountReadCounts {
  memory: number;
  database: number;
}

/** One registry per application (tests build many), served at /metrics in Prometheus' text format. */
export interface Metrics {
  registry: Registry;
  realtime: RealtimeMetrics;
  cache: CacheMetrics;
  /** Signed-in accounts answered, by source: memory or database (platform/http/signed-in-accounts.ts). */
  signedInAccountReads: AccountReadCounts;
  /** Request durations by route pattern, method and status (observed by app.ts). */
  httpDuration: RequestDurations;
  /** Where the gauges read at scrape time come from; the composition root fills it. */
  sources: ScrapeSources;
}

/** Plain counts by one label, written out as the counter `name` when scraped; a value not counted yet has no line. */
function countedAsCounter(registers: Registry[], name: string, help: string, label: string, counts: object): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers,
    collect() {
      this.reset();
      for (const [value, count] of Object.entries(counts) as Array<[string, number]>) if (count > 0) this.inc({ [label]: value }, count);
    },
  });
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const sources: ScrapeSources = {};
  new Gauge({
    name: 'unitrain_db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting clients); absent on the embedded engine',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      const pool = sources.pool?.();
      if (!pool) return;
      for (const [state, value] of Object.entries(pool)) this.set({ state }, value);
    },
  });
  new Gauge({
    name: 'unitrain_jobs',
    help: 'Jobs by status (DEAD: dead letters waiting for an administrator)',
    labelNames: ['status'],
    registers,
    async collect() {
      this.reset();
      for (const { status, count } of (await sources.jobs?.()) ?? []) this.set({ status }, count);
    },
  });
  new Counter({
    name: 'unitrain_db_slow_statements_total',
    help: 'Statements slower than SLOW_QUERY_MS, by fingerprint (the log names the statement)',
    labelNames: ['fingerprint'],
    registers,
    collect() {
      this.reset();
      for (const [fingerprint, figures] of sources.slowStatements?.() ?? []) this.inc({ fingerprint }, figures.count);
    },
  });
  new Counter({
    name: 'unitrain_db_slow_statement_seconds_total',
    help: 'Time spent in statements slower than SLOW_QUERY_MS, by fingerprint',
    labelNames: ['fingerprint'],
    registers,
    collect() {
      this.reset();
      for (const [fingerprint, figures] of sources.slowStatements?.() ?? []) this.inc({ fingerprint }, figures.seconds);
    },
  });
  new Counter({
    name: 'unitrain_db_reads_total',
    help: 'Reads of the read-only endpoints by route: replica, or the primary because of no_replica, lagging, behind (not replayed the caller\'s write) or unavailable',
    labelNames: ['route'],
    registers,
    collect() {
      this.reset();
      for (const [route, count] of sources.reads?.() ?? []) this.inc({ route }, count);
    },
  });
  // The three replica gauges ask at once; the database's probe is single-flight, so one probe answers them.
  const probeReplica = async () => (await sources.replica?.()) ?? null;
  new Gauge({
    name: 'unitrain_db_replica_up',
    help: 'Whether the read replica answers as a streaming replica, by host:port (absent without DATABASE_REPLICA_URL)',
    labelNames: ['replica'],
    registers,
    async collect() {
      this.reset();
      const replica = await probeReplica();
      if (replica) this.set({ replica: replica.server }, replica.reachable ? 1 : 0);
    },
  });
  new Gauge({
    name: 'unitrain_db_replica_lag_seconds',
    help: 'How old the replica\'s data may be: time since the primary was last seen at a position the replica has replayed',
    labelNames: ['replica'],
    registers,
    async collect() {
      this.reset();
      const replica = await probeReplica();
      if (replica?.lagSeconds != null) this.set({ replica: replica.server }, replica.lagSeconds);
    },
  });
  new Gauge({
    name: 'unitrain_db_replica_lag_bytes',
    help: 'WAL bytes written by the primary and not yet replayed by the replica',
    labelNames: ['replica'],
    registers,
    async collect() {
      this.reset();
      const replica = await probeReplica();
      if (replica?.lagBytes != null) this.set({ replica: replica.server }, replica.lagBytes);
    },
  });
  new Gauge({
    name: 'unitrain_cache_entries',
    help: 'Entries in the in-process cache layer',
    registers,
    collect() {
      this.set(sources.cacheSize?.() ?? 0);
    },
  });
  const signedInAccountReads: AccountReadCounts = { memory: 0, database: 0 };
  countedAsCounter(registers, 'unitrain_signed_in_account_reads_total', 'Accounts of signed-in requests answered, by source (memory, or the database)', 'source', signedInAccountReads);
  const cacheHits: CacheHitCounts = { l1: 0, l2: 0, flight: 0 };
  countedAsCounter(registers, 'unitrain_cache_hits_total', 'Cached answers served, by layer', 'layer', cacheHits);
  const cacheBypasses: CacheBypassCounts = { own_write: 0, read_after: 0, feed_behind: 0, no_cache: 0, no_feed: 0 };
  countedAsCounter(registers, 'unitrain_cache_bypasses_total', 'Answers loaded without the cache, by reason', 'reason', cacheBypasses);
  return {
    registry,
    sources,
    signedInAccountReads,
    httpDuration: new RequestDurations(registry),
    cache: {
      hits: cacheHits,
      misses: new Counter({ name: 'unitrain_cache_misses_total', help: 'Answers loaded from the database and stored', registers }),
      sets: new Counter({ name: 'unitrain_cache_sets_total', help: 'Entries stored, by layer', labelNames: ['layer'], registers }),
      invalidations: new Counter({
        name: 'unitrain_cache_invalidations_total',
        help: 'Entries found out of date by a committed change and dropped, by layer',
        labelNames: ['layer'],
        registers,
      }),
      tagInvalidations: new Counter({
        name: 'unitrain_cache_tag_invalidations_total',
        help: 'Tables named by committed changes read from the change feed (each ends the entries read from it)',
        registers,
      }),
      bypasses: cacheBypasses,
      errors: new Counter({ name: 'unitrain_cache_errors_total', help: 'Cache layer failures (Redis down), answered without that layer', labelNames: ['layer'], registers }),
    },
    realtime: {
      subscribers: new Gauge({ name: 'unitrain_stream_subscribers', help: 'Open SSE streams in this process', registers }),
      eventsDelivered: new Counter({ name: 'unitrain_stream_events_delivered_total', help: 'Change events written to SSE streams', registers }),
      deliveryLag: new CountedHistogram(
        'unitrain_stream_delivery_lag_seconds',
        'Time from the start of the writing transaction to the event being written to a stream',
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registry,
      ),
      stageLag: new Histogram({
        name: 'unitrain_stream_stage_lag_seconds',
        help: 'Time from the start of the writing transaction to a step of the batch that delivers the change: read, authorised, written',
        labelNames: ['stage'],
        buckets: [0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
      slowConsumersDropped: new Counter({
        name: 'unitrain_stream_slow_consumers_dropped_total',
        help: 'Streams closed because the client did not keep up',
        registers,
      }),
      scopesBuilt: new Counter({
        name: 'unitrain_stream_scopes_built_total',
        help: 'Subscriber scopes built for realtime authorisation: once per stream, again when a change touches them',
        registers,
      }),
    },
  };
}
