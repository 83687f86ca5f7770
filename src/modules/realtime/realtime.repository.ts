import type { Queryable } from '../../db/database.js';
import { type ChangePosition, laterPosition } from '../changes/index.js';

/** One change_log row as the stream sends it. */
export interface FeedChange {
  readonly position: ChangePosition;
  readonly seq: number;
  readonly table: string;
  readonly operation: 'INSERT' | 'UPDATE' | 'DELETE';
  readonly rowId: string;
  readonly changedAt: Date;
}

export interface SettledRead {
  readonly changes: FeedChange[];
  /** How far the read looked: every row up to here (in delivery order) was read or is in `changes`. */
  readonly end: ChangePosition;
  /** Committed rows lie beyond the frontier, waiting only for older transactions to end (which may not signal). */
  readonly pending: boolean;
}

interface SettledRow {
  seq: number | null;
  txid: string | null;
  table_name: string | null;
  operation: FeedChange['operation'] | null;
  row_id: string | null;
  changed_at: Date | null;
  xmin: string;
  pending: boolean;
}

/**
 * The change rows after `after` in delivery order ((txid, seq)) whose transactions have surely ended:
 * txid below the snapshot's xmin, read in the same statement, so no row can later appear before `end`.
 * `tables` narrows the read (null: every table). At most `limit` rows; when fewer came back, `end` is
 * the frontier (xmin, 0).
 */
export async function readSettledChanges(
  db: Queryable,
  after: ChangePosition,
  limit: number,
  tables: readonly string[] | null,
): Promise<SettledRead> {
  const { rows } = await db.query<SettledRow>(
    `select c.seq, c.txid::text as txid, c.table_name, c.operation, c.row_id, c.changed_at, f.xmin::text as xmin,
            exists (select 1 from change_log p where p.txid >= f.xmin) as pending
       from (select pg_snapshot_xmin(pg_current_snapshot()) as xmin) f
       left join lateral (
         select seq, txid, table_name, operation, row_id, changed_at
           from change_log
          where (txid, seq) > ($1::text::xid8, $2::bigint) and txid < f.xmin
            and ($4::text[] is null or table_name = any ($4::text[]))
          order by txid, seq
          limit $3
       ) c on true`,
    [after.txid.toString(), after.seq.toString(), limit, tables],
  );
  const changes: FeedChange[] = [];
  for (const row of rows) {
    if (row.seq === null || row.txid === null) continue;
    changes.push({
      position: { txid: BigInt(row.txid), seq: BigInt(row.seq) },
      seq: row.seq,
      table: row.table_name as string,
      operation: row.operation as FeedChange['operation'],
      rowId: row.row_id as string,
      changedAt: row.changed_at as Date,
    });
  }
  const last = changes.at(-1);
  const frontier: ChangePosition = { txid: BigInt(rows[0]?.xmin ?? '0'), seq: 0n };
  const end = changes.length === limit && last ? last.position : laterPosition(after, frontier);
  return { changes, end, pending: rows[0]?.pending === true };
}

/** The position after every change committed so far: where a stream without a resume point starts. */
export async function currentFrontier(db: Queryable): Promise<ChangePosition> {
  const { rows } = await db.query<{ xmin: string }>('select pg_snapshot_xmin(pg_current_snapshot())::text as xmin');
  return { txid: BigInt(rows[0]?.xmin ?? '0'), seq: 0n };
}

/** Whether a client's resume point could have come from this database: not beyond any transaction yet begun. */
export async function positionIsReachable(db: Queryable, position: ChangePosition): Promise<boolean> {
  const { rows } = await db.query<{ reachable: boolean }>(
    'select $1::text::xid8 <= pg_snapshot_xmax(pg_current_snapshot()) as reachable',
    [position.txid.toString()],
  );
  return rows[0]?.reachable === true;
}

/**
 * Which subscribers may see which changes: one set-based query for the whole batch. Each subscriber is
 * built once (`realtime_actor_of`: role and scope as the database says now) and each change is checked
 * with `realtime_change_visible`, which applies the SELECT policies' rules through their own scope
 * functions (migration 0022). Returns, per change seq, the indexes into `accounts` that may see it.
 */
export async function authoriseChanges(db: Queryable, accounts: readonly string[], seqs: readonly number[]): Promise<Map<number, Set<number>>> {
  const visible = new Map<number, Set<number>>();
  if (accounts.length === 0 || seqs.length === 0) return visible;
  const { rows } = await db.query<{ subscriber: number; seq: number }>(
    `with subscribers as materialized (
       select s.ordinality::int - 1 as subscriber, realtime_actor_of(s.account) as actor
         from unnest($1::uuid[]) with ordinality as s(account, ordinality)
     ),
     changes as materialized (select c as change from realtime_changes_of($2::bigint[]) c)
     select s.subscriber, (c.change).seq
       from subscribers s cross join changes c
      where (s.actor).user_id is not null and realtime_change_visible(c.change, s.actor)`,
    [accounts, seqs],
  );
  for (const row of rows) {
    const seen = visible.get(row.seq) ?? new Set<number>();
    seen.add(row.subscriber);
    visible.set(row.seq, seen);
  }
  return visible;
}
