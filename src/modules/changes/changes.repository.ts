import type { Queryable } from '../../db/database.js';

/** One captured change (migration 0021): which row of which table, and the scope keys to route it by. */
export interface ChangeRow {
  seq: string;
  txid: string;
  table_name: string;
  operation: 'INSERT' | 'UPDATE' | 'DELETE';
  row_id: string;
  location_id: string | null;
  provider_id: string | null;
  instructor_id: string | null;
  user_id: string | null;
  changed_at: Date;
}

/** The last sequence number written so far (0 for an empty log): the start of a later `listChangesAfter`. */
export async function lastChangeSeq(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ last: string }>('select coalesce(max(seq), 0)::text as last from change_log');
  return rows[0]?.last ?? '0';
}

/**
 * Changes after `afterSeq` in sequence order, at most `limit`. Sequence order is not commit order: a
 * reader that must not skip a late commit holds its position until earlier transactions have ended.
 * Read as the owner (the dispatcher) or as an administrator; other roles see no row (policy
 * change_log_select_admin).
 */
export async function listChangesAfter(db: Queryable, afterSeq: string, limit: number): Promise<ChangeRow[]> {
  const { rows } = await db.query<ChangeRow>(
    `select seq::text, txid::text, table_name, operation, row_id, location_id, provider_id, instructor_id, user_id, changed_at
       from change_log
      where seq > $1
      order by seq
      limit $2`,
    [afterSeq, limit],
  );
  return rows;
}
