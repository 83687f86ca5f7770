import type { Db, Queryable } from '../db/database.js';
import type { ChangePosition } from './change-position.js';

/** The jobs row that holds how far change_log has been pruned (migration 0023); its payload is empty until the first prune. */
export const prunedThroughKey = 'change_log.pruned_through';

const defaultBatchSize = 5_000;

export interface ChangeLogPruneOptions {
  /** Rows whose `changed_at` is older than this many hours go (with everything before them in delivery order). */
  olderThanHours: number;
  /** Rows deleted per statement; each statement is its own short transaction. */
  batchSize?: number;
  /** Checked between batches: the rows left behind go in the next prune. */
  signal?: AbortSignal;
}

export interface ChangeLogPrune {
  /** Every row at or before this position is gone; null when nothing was ever old enough. */
  prunedThrough: ChangePosition | null;
  deleted: number;
}

/**
 * Deletes a prefix of the feed's delivery order, (txid, seq): everything up to the greatest position
 * among rows older than the retention whose transactions have ended (txid below xmin, read in the
 * same statement, so no row can still appear before it). A prefix, not "every old row", so that one
 * position says what is gone: a stream resuming before it gets `reset`. A recent row can therefore
 * go with older ones behind it; `changed_at` is its transaction's start, so only a transaction that
 * ran for long can do that.
 *
 * The horizon is recorded first, in its own statement, and the rows are deleted after it in batches:
 * a crash in between leaves rows the next prune deletes, never a gap the horizon does not cover.
 * Each batch commits alone because a transaction that holds a txid holds xmin back, and with it the
 * change feed and the job relay of every process. Two prunes at once are harmless (the horizon only
 * moves forward, deleting twice deletes once), so `db` is the pool, never a transaction.
 */
export async function pruneChangeLog(db: Db, options: ChangeLogPruneOptions): Promise<ChangeLogPrune> {
  const batchSize = options.batchSize ?? defaultBatchSize;
  await advancePrunedThrough(db, options.olderThanHours);
  const prunedThrough = await readPrunedThrough(db);
  let deleted = 0;
  if (prunedThrough === null) return { prunedThrough, deleted };
  while (!options.signal?.aborted) {
    const batch = await deleteChangesThrough(db, prunedThrough, batchSize);
    deleted += batch;
    if (batch < batchSize) break;
  }
  return { prunedThrough, deleted };
}

/**
 * Moves the horizon to the last settled row older than the retention, and never back: the row lock
 * makes a concurrent prune wait and then compare with the horizon the first one wrote. The target is
 * ordered by a row value on purpose: `ORDER BY txid DESC LIMIT 1` would walk the (txid, seq) index
 * down through every recent row before reaching an old one; this way the old rows are found by
 * `changed_at` and the greatest kept in a top-1 sort.
 */
async function advancePrunedThrough(db: Queryable, olderThanHours: number): Promise<void> {
  await db.query(
    `with target as (
       select txid, seq from change_log
        where changed_at < now() - make_interval(hours => $2) and txid < pg_snapshot_xmin(pg_current_snapshot())
        order by (txid, seq) desc limit 1
     )
     update jobs h set payload = jsonb_build_object('txid', t.txid::text, 'seq', t.seq), updated_at = now()
       from target t
      where h.idempotency_key = $1
        and (h.payload ->> 'txid' is null or ((h.payload ->> 'txid')::xid8, (h.payload ->> 'seq')::bigint) < (t.txid, t.seq))`,
    [prunedThroughKey, olderThanHours],
  );
}

/**
 * One batch from the start of the delivery order, through the (txid, seq) index. SKIP LOCKED: rows a
 * concurrent prune is deleting are its to delete, so neither waits for the other, and a batch that
 * comes back short means that nothing is left for this one.
 */
async function deleteChangesThrough(db: Queryable, through: ChangePosition, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `delete from change_log where seq in (
       select seq from change_log where (txid, seq) <= ($1::text::xid8, $2::bigint) order by txid, seq limit $3 for update skip locked)`,
    [through.txid.toString(), through.seq.toString(), limit],
  );
  return rowCount;
}

/**
 * How far change_log has been pruned: a client whose position is before this has missed rows that
 * are gone. Read it after reading a batch of changes, not before: the horizon commits before any row
 * behind it is deleted, so a read that saw a deletion is followed by a horizon that covers it. Read
 * as the owner (the row is a jobs row, which row-level security shows to administrators only).
 */
export async function readPrunedThrough(db: Queryable): Promise<ChangePosition | null> {
  const { rows: [row] } = await db.query<PrunedThroughRow>(prunedThroughQuery('$1'), [prunedThroughKey]);
  return prunedThroughOf(row);
}

export interface PrunedThroughRow {
  txid: string | null;
  seq: string | null;
}

/** `readPrunedThrough`'s statement, for a caller that reads it as part of its own; `key` is the placeholder of `prunedThroughKey`. */
export const prunedThroughQuery = (key: string) => `select payload ->> 'txid' as txid, payload ->> 'seq' as seq from jobs where idempotency_key = ${key}`;

export function prunedThroughOf(row: PrunedThroughRow | undefined): ChangePosition | null {
  if (!row) throw new Error('the change_log.pruned_through row is missing: is migration 0023 applied?');
  return row.txid === null || row.seq === null ? null : { txid: BigInt(row.txid), seq: BigInt(row.seq) };
}
