import type { Logger } from '../shared/logger.js';
import type { Actor } from './actor.js';
import type { Queryable, Reader, ReadRoute, ReplicaStatus, Tx } from './database.js';
import { isSessionEnded } from './postgres-errors.js';
import { laterWalPosition, type WalPosition, walOffset, walReached } from './wal-position.js';

/** The two servers as the reader uses them: READ ONLY transactions and single statements on each. */
export interface ReadServers {
  primary: { transaction<T>(fn: (tx: Tx) => Promise<T>, actor: Actor): Promise<T>; queryable: Queryable; position(): Promise<WalPosition> };
  replica: { transaction<T>(fn: (tx: Tx) => Promise<T>, actor: Actor): Promise<T>; queryable: Queryable; replayed(): Promise<WalPosition | null> };
}

export interface ReplicaReaderSettings {
  /** host:port of the replica, for /metrics and the doctor. */
  server: string;
  /** A replica whose data is older than this is not read from. */
  maxLagMs: number;
  /** Milliseconds, for lag and retry times; tests move it. */
  now: () => number;
}

export interface ReplicaReader {
  reader: Reader;
  /** Probes both servers now. */
  status(): Promise<ReplicaStatus>;
  counts: Map<ReadRoute, number>;
}

/** A read's status is at most this old; an older one is probed again in the background. */
const probeIntervalMs = 1_000;
/** After the replica failed, reads go to the primary for this long before the replica is tried again. */
const retryAfterFailureMs = 1_000;
/** Primary positions remembered for measuring lag (one per probe). */
const samplesKept = 600;

/** Thrown inside the replica's transaction to roll it back: the replica has not replayed what the read must see. */
class ReplicaBehind extends Error {}

/** The replica is gone, shutting down, starting, or cancelled the read to replay WAL: the primary answers instead. */
function replicaCannotServe(error: unknown): 'down' | 'retry' | null {
  const code = (error as { code?: string }).code ?? '';
  if (isSessionEnded(error)) return 'down';
  return code === '40001' && /conflict with recovery/.test((error as Error).message) ? 'retry' : null;
}

/**
 * Routes each read (decision 0046). A read goes to the replica unless the replica failed within the
 * last second, its data is older than `maxLagMs`, or it has not replayed the position the read must see
 * (the client's last commit, a cached answer's stamp): then to the primary. Lag is measured without a
 * timer: each probe notes the primary's position and time, then asks the replica what it replayed; the
 * replica's data is as old as the newest noted position it has reached. Reads probe when the last probe
 * is over a second old (in the background, except the first), and so does every scrape of /metrics.
 */
export function createReplicaReader(servers: ReadServers, settings: ReplicaReaderSettings, logger: Logger | null): ReplicaReader {
  const { now } = settings;
  const counts = new Map<ReadRoute, number>();
  const count = (route: ReadRoute) => counts.set(route, (counts.get(route) ?? 0) + 1);
  const samples: Array<{ at: number; position: WalPosition }> = [];
  let status: ReplicaStatus | null = null;
  let probedAt = 0;
  let probing: Promise<ReplicaStatus> | null = null;
  let downUntil = 0;
  /** The replica is known to have replayed at least this (it only moves on). */
  let replayedKnown: WalPosition | null = null;
  let warnedNotReplica = false;

  const unreachable: ReplicaStatus = { server: settings.server, reachable: false, replayed: null, lagBytes: null, lagSeconds: null, lagging: true };

  const markDown = (error: unknown) => {
    if (now() >= downUntil) logger?.warn({ err: error }, 'the read replica failed; reading from the primary');
    downUntil = now() + retryAfterFailureMs;
  };

  const measure = async (): Promise<ReplicaStatus> => {
    const position = await servers.primary.position();
    samples.push({ at: now(), position });
    if (samples.length > samplesKept) samples.shift();
    let replayed: WalPosition | null;
    try {
      replayed = await servers.replica.replayed();
    } catch (error) {
      markDown(error);
      return unreachable;
    }
    if (replayed === null) {
      // pg_last_wal_replay_lsn() is null on a server that is not in recovery: not a replica of anything.
      if (!warnedNotReplica) logger?.warn('DATABASE_REPLICA_URL is not a streaming replica (not in recovery); reading from the primary');
      warnedNotReplica = true;
      return unreachable;
    }
    replayedKnown = laterWalPosition(replayedKnown, replayed);
    const reached = samples.findLast((sample) => walReached(replayed, sample.position));
    const since = reached?.at ?? (samples[0] as { at: number }).at;
    const lagMs = Math.max(0, now() - since);
    const lagBytes = walOffset(position) - walOffset(replayed);
    return {
      server: settings.server,
      reachable: true,
      replayed,
      lagBytes: lagBytes > 0n ? Number(lagBytes) : 0,
      lagSeconds: lagMs / 1000,
      lagging: lagMs > settings.maxLagMs,
    };
  };

  const probe = (): Promise<ReplicaStatus> => {
    probing ??= measure()
      .then((measured) => {
        status = measured;
        probedAt = now();
        return measured;
      })
      .finally(() => {
        probing = null;
      });
    return probing;
  };

  const route = async (): Promise<ReadRoute> => {
    if (now() < downUntil) return 'unavailable';
    let known = status;
    if (known === null) {
      known = await probe().catch(() => unreachable);
    } else if (now() - probedAt > probeIntervalMs) {
      probe().catch(() => undefined);
    }
    if (!known.reachable) return 'unavailable';
    return known.lagging ? 'lagging' : 'replica';
  };

  const onReplica = <T>(required: WalPosition | null, body: (tx: Tx) => Promise<T>, actor: Actor): Promise<T> =>
    servers.replica.transaction(async (tx) => {
      if (required !== null && !(replayedKnown !== null && walReached(replayedKnown, required))) {
        const { rows } = await tx.query<{ replayed: WalPosition | null }>('select pg_last_wal_replay_lsn()::text as replayed');
        const replayed = rows[0]?.replayed ?? null;
        replayedKnown = laterWalPosition(replayedKnown, replayed);
        // In READ COMMITTED each later statement takes a snapshot after this one: it sees what was replayed.
        if (replayed === null || !walReached(replayed, required)) throw new ReplicaBehind();
      }
      return body(tx);
    }, actor);

  /** `body` in a READ ONLY transaction as `actor` (its claims set before the first statement). */
  const read = async <T>(required: WalPosition | null, body: (tx: Tx) => Promise<T>, actor: Actor): Promise<T> => {
    const chosen = await route();
    if (chosen === 'replica') {
      try {
        const result = await onReplica(required, body, actor);
        count('replica');
        return result;
      } catch (error) {
        if (error instanceof ReplicaBehind) {
          count('behind');
          return servers.primary.transaction(body, actor);
        }
        const failure = replicaCannotServe(error);
        if (failure === null) throw error;
        if (failure === 'down') markDown(error);
        count('unavailable');
        return servers.primary.transaction(body, actor);
      }
    }
    count(chosen);
    return servers.primary.transaction(body, actor);
  };

  /** A single statement: on the replica's pool without a transaction, or the primary's. */
  const single = async <R>(run: (on: Queryable) => Promise<R>): Promise<R> => {
    const chosen = await route();
    if (chosen !== 'replica') {
      count(chosen);
      return run(servers.primary.queryable);
    }
    try {
      const result = await run(servers.replica.queryable);
      count('replica');
      return result;
    } catch (error) {
      const failure = replicaCannotServe(error);
      if (failure === null) throw error;
      if (failure === 'down') markDown(error);
      count('unavailable');
      return run(servers.primary.queryable);
    }
  };

  return {
    reader: {
      query: (sql, params) => single((on) => on.query(sql, params)),
      exec: (sql) => single((on) => on.exec(sql)),
      withActor: (actor, fn, after) => read(laterWalPosition(actor.commits?.position, after), fn, actor),
    },
    status: () => probe().catch(() => unreachable),
    counts,
  };
}
