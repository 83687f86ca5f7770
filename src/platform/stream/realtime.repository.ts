import type { Queryable } from '../db/database.js';
import { type ChangePosition, laterPosition } from '../change-log/index.js';

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
  /**
   * The primary's WAL position, taken after the read's snapshot: every change read committed before it.
   * A replica that has replayed it holds them all (a cached answer's stamp, decision 0046).
   */
  readonly walPosition: string | null;
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
  wal_position: string | null;
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
            exists (select 1 from change_log p where p.txid >= f.xmin) as pending,
            -- An InitPlan, run once: inside f, a volatile function would keep the planner from folding f in.
            (select pg_current_wal_insert_lsn()::text) as wal_position
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
  return { changes, end, pending: rows[0]?.pending === true, walPosition: rows[0]?.wal_position ?? null };
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
 * A subscriber's scope, as `realtime_actor_of` builds it (the fields of the realtime_actor type): role
 * and scope sets as the database says at the time. `user_id` is null when the account is gone or not
 * ACTIVE, and then it sees nothing.
 */
export interface SubscriberScope {
  readonly user_id: string | null;
  readonly role: string | null;
  readonly provider_ids: string[] | null;
  readonly location_ids: string[] | null;
  readonly taught_session_ids: string[] | null;
  readonly enrolled_session_ids: string[] | null;
  readonly instructed_roster_ids: string[] | null;
  readonly affiliated_provider_id: string | null;
}

/** The scope of an account that sees nothing. */
export const noScope: SubscriberScope = {
  user_id: null, role: null, provider_ids: null, location_ids: null, taught_session_ids: null,
  enrolled_session_ids: null, instructed_roster_ids: null, affiliated_provider_id: null,
};

/** Each account's scope, built by the same functions as the policies' (migration 0022). */
export async function buildSubscriberScopes(db: Queryable, accounts: readonly string[]): Promise<Map<string, SubscriberScope>> {
  const scopes = new Map<string, SubscriberScope>();
  if (accounts.length === 0) return scopes;
  const { rows } = await db.query<SubscriberScope & { account: string }>(
    `select s.account, a.user_id, a.role, a.provider_ids, a.location_ids, a.taught_session_ids,
            a.enrolled_session_ids, a.instructed_roster_ids, a.affiliated_provider_id
       from unnest($1::uuid[]) as s(account) cross join lateral realtime_actor_of(s.account) a`,
    [accounts],
  );
  for (const { account, ...scope } of rows) scopes.set(account, scope);
  return scopes;
}

/** Each scope's JSON, written once: a kept scope is sent with every batch. */
const scopeJsonTexts = new WeakMap<SubscriberScope, string>();
function scopeJson(scope: SubscriberScope): string {
  let text = scopeJsonTexts.get(scope);
  if (text === undefined) {
    text = JSON.stringify(scope);
    scopeJsonTexts.set(scope, text);
  }
  return text;
}

/**
 * Which of `scopes` may see which changes: one set-based query for the whole batch. The rules are the
 * SELECT policies' (`realtime_change_visible`, migration 0022), evaluated only on the candidate pairs of
 * migration 0025, so the cost follows the pairs that share a key rather than subscribers × changes.
 * Returns, per change seq, the indexes into `scopes` that may see it.
 */
export async function authoriseChangesFor(db: Queryable, scopes: readonly SubscriberScope[], seqs: readonly number[]): Promise<Map<number, Set<number>>> {
  const visible = new Map<number, Set<number>>();
  if (scopes.length === 0 || seqs.length === 0) return visible;
  const { rows } = await db.query<{ seq: number; subscribers: number[] }>(
    `with subscribers as materialized (
       select (t.n - 1)::int as subscriber, jsonb_populate_record(null::realtime_actor, t.scope) as actor
         from jsonb_array_elements($1::jsonb) with ordinality as t(scope, n)
     ),
     changes as materialized (select c.seq, c as change from realtime_changes_of($2::bigint[]) c),
     broad_changes as materialized (select c.seq, c.change from changes c where realtime_change_reaches_any_role(c.change)),
     admins as materialized (select s.subscriber, s.actor from subscribers s where (s.actor).role in ('SA', 'AD')),
     subscriber_keys as materialized (
       select s.subscriber, s.actor, k.key
         from subscribers s cross join lateral unnest(realtime_actor_keys(s.actor)) as k(key) where k.key is not null
     ),
     change_keys as materialized (
       select c.seq, c.change, k.key
         from changes c cross join lateral unnest(realtime_change_keys(c.change)) as k(key) where k.key is not null
     )
     select pair.seq, array_agg(distinct pair.subscriber) as subscribers from (
       select sk.subscriber, ck.seq from subscriber_keys sk join change_keys ck on ck.key = sk.key
        where realtime_change_visible(ck.change, sk.actor)
       union all
       select a.subscriber, c.seq from admins a cross join changes c where realtime_change_visible(c.change, a.actor)
       union all
       select s.subscriber, b.seq from subscribers s cross join broad_changes b where realtime_change_visible(b.change, s.actor)
     ) pair
     group by pair.seq`,
    [`[${scopes.map(scopeJson).join(',')}]`, seqs],
  );
  for (const row of rows) visible.set(row.seq, new Set(row.subscribers));
  return visible;
}

/** `authoriseChangesFor` with each account's scope built now. Returns, per change seq, indexes into `accounts`. */
export async function authoriseChanges(db: Queryable, accounts: readonly string[], seqs: readonly number[]): Promise<Map<number, Set<number>>> {
  if (accounts.length === 0 || seqs.length === 0) return new Map();
  const scopes = await buildSubscriberScopes(db, accounts);
  return authoriseChangesFor(db, accounts.map((account) => scopes.get(account) ?? noScope), seqs);
}

/** A committed change to a table a subscriber's scope is read from, with the keys that say whose. */
export interface ScopeChange {
  readonly table: string;
  readonly operation: FeedChange['operation'];
  readonly rowId: string;
  readonly instructorId: string | null;
  readonly userId: string | null;
}

/**
 * The committed changes after `after`, in delivery order, to the tables `realtime_actor_of` reads; at most
 * `limit`. The IN list is the predicate of change_log_scope_changes_idx (migration 0025), so the read
 * goes through that index however long the log is.
 */
export async function readScopeChanges(db: Queryable, after: ChangePosition, limit: number): Promise<ScopeChange[]> {
  const { rows } = await db.query<{ table_name: string; operation: FeedChange['operation']; row_id: string; instructor_id: string | null; user_id: string | null }>(
    `select table_name, operation, row_id, instructor_id, user_id
       from change_log
      where (txid, seq) > ($1::text::xid8, $2::bigint)
        and table_name in ('users', 'provider_members', 'provider_locations', 'instructor_profiles',
                           'training_sessions', 'session_enrollments', 'rosters')
      order by txid, seq
      limit $3`,
    [after.txid.toString(), after.seq.toString(), limit],
  );
  return rows.map((row) => ({ table: row.table_name, operation: row.operation, rowId: row.row_id, instructorId: row.instructor_id, userId: row.user_id }));
}
