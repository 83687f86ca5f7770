import type { Queryable } from '../db/database.js';
import {
  type ChangePosition, laterPosition, prunedThroughKey, prunedThroughOf, prunedThroughQuery, type PrunedThroughRow,
} from '../change-log/index.js';

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
 * txid below the frontier of the statement's snapshot, read in the same statement, so no row can later
 * appear before `end`. The frontier is the snapshot's oldest open transaction that may be this
 * database's (`change_log_frontier`, decision 0083): an open transaction of another database on the same
 * server cannot write this change_log and does not hold the feed. `tables` narrows the read (null:
 * every table). At most `limit` rows; when fewer came back, `end` is the frontier (frontier, 0).
 */
export async function readSettledChanges(
  db: Queryable,
  after: ChangePosition,
  limit: number,
  tables: readonly string[] | null,
): Promise<SettledRead> {
  const { rows } = await db.query<SettledRow>(
    `with s as materialized (
       -- The newest row through the index: an EXISTS with txid >= xmin was planned as a scan of the
       -- whole log, since nothing is known of xmin at planning time.
       select pg_current_snapshot() as snapshot, (select p.txid from change_log p order by p.txid desc limit 1) as newest
     ),
     -- Materialized, so run once: the rows read and the frontier answered must be the same frontier's.
     -- Only a log with rows at or past xmin needs to know which open transactions are this database's.
     f as materialized (
       select s.newest,
              case when s.newest >= pg_snapshot_xmin(s.snapshot) then change_log_frontier(s.snapshot)
                   else pg_snapshot_xmin(s.snapshot) end as xmin
         from s
     )
     select c.seq, c.txid::text as txid, c.table_name, c.operation, c.row_id, c.changed_at, f.xmin::text as xmin,
            coalesce(f.newest >= f.xmin, false) as pending,
            (select pg_current_wal_insert_lsn()::text) as wal_position
       from f
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
  const { rows } = await db.query<{ xmin: string }>('select change_log_frontier(pg_current_snapshot())::text as xmin');
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
 * CTEs ending in `pairs (seq, subscribers)`: the pairs of one batch that may see each other, given CTEs
 * `subscribers (subscriber, actor)` and `subscriber_keys (subscriber, key)` (realtime_actor_keys of each),
 * and the batch's change seqs at the placeholder `seqs`. The rules are the SELECT policies'
 * (`realtime_change_visible`, migration 0022), evaluated only on the candidate pairs of migration 0025,
 * so the cost follows the pairs that share a key rather than subscribers × changes. Per change seq, the
 * subscribers that may see it.
 */
const visiblePairs = (subscribers: string, seqs: string) => `${subscribers},
     changes as materialized (select c.seq, c as change from realtime_changes_of(${seqs}::bigint[]) c),
     change_keys as materialized (
       select c.seq, k.key
         from changes c cross join lateral unnest(realtime_change_keys(c.change)) as k(key) where k.key is not null
     ),
     -- The pairs that share a key, first and on their own, so that no plan evaluates the predicate
     -- over subscribers × changes before joining the keys.
     candidates as materialized (
       select distinct ck.seq, sk.subscriber from change_keys ck join subscriber_keys sk on sk.key = ck.key
     ),
     pairs as (
       select pair.seq, array_agg(distinct pair.subscriber) as subscribers from (
         select s.subscriber, c.seq
           from candidates p join subscribers s on s.subscriber = p.subscriber join changes c on c.seq = p.seq
          where realtime_change_visible(c.change, s.actor)
         union all
         select s.subscriber, c.seq from subscribers s cross join changes c
          where (s.actor).role in ('SA', 'AD') and realtime_change_visible(c.change, s.actor)
         union all
         select s.subscriber, c.seq from subscribers s cross join changes c
          where realtime_change_reaches_any_role(c.change) and realtime_change_visible(c.change, s.actor)
       ) pair
       group by pair.seq
     )`;

async function readVisiblePairs(db: Queryable, ctes: string, seqs: readonly number[], params: readonly unknown[] = []): Promise<Map<number, Set<number>>> {
  if (seqs.length === 0) return new Map();
  const { rows } = await db.query<{ seq: number; subscribers: number[] }>(`with ${ctes} select seq, subscribers from pairs`, [seqs, ...params]);
  return visibleOf(rows);
}

function visibleOf(rows: readonly { seq: number; subscribers: number[] }[]): Map<number, Set<number>> {
  return new Map(rows.map((row) => [row.seq, new Set(row.subscribers)]));
}

const scopesSentWithTheBatch = visiblePairs(`subscribers as materialized (
       select (t.n - 1)::int as subscriber, jsonb_populate_record(null::realtime_actor, t.scope) as actor
         from jsonb_array_elements($2::jsonb) with ordinality as t(scope, n)
     ),
     subscriber_keys as materialized (
       select s.subscriber, k.key
         from subscribers s cross join lateral unnest(realtime_actor_keys(s.actor)) as k(key) where k.key is not null
     )`, '$1');

/**
 * Which of `scopes` may see which changes: one set-based query for the whole batch, the scopes sent
 * with it. Returns, per change seq, the indexes into `scopes` that may see it.
 */
export async function authoriseChangesFor(db: Queryable, scopes: readonly SubscriberScope[], seqs: readonly number[]): Promise<Map<number, Set<number>>> {
  if (scopes.length === 0) return new Map();
  return readVisiblePairs(db, scopesSentWithTheBatch, seqs, [`[${scopes.map(scopeJson).join(',')}]`]);
}

/**
 * Scopes kept in the database between batches, in temporary tables of one session (decision 0059):
 * sending 1,000 scopes (about 400 kB of JSON) with every batch, and parsing and keying them there, was
 * most of a batch's authorisation. `name` tells one holder's tables from another's on the embedded
 * engine, whose one connection every holder shares.
 */
export interface KeptScopeTables {
  readonly scopes: string;
  readonly keys: string;
}

export function keptScopeTables(name: number): KeptScopeTables {
  return { scopes: `pg_temp.realtime_kept_scopes_${name}`, keys: `pg_temp.realtime_kept_keys_${name}` };
}

/**
 * Creates the tables empty (a holder starts with nothing kept). Without statistics on them the planner
 * overestimates the authorisation a hundredfold, past the cost at which PostgreSQL compiles it with JIT:
 * 200–300 ms each batch for a query that runs in a few. The session is the holder's own, so JIT is off in it.
 */
export async function createKeptScopeTables(db: Queryable, tables: KeptScopeTables): Promise<void> {
  await db.exec(`set jit = off;
    drop table if exists ${tables.scopes}, ${tables.keys};
    create temporary table ${tables.scopes.slice('pg_temp.'.length)} (subscriber integer primary key, actor realtime_actor);
    create temporary table ${tables.keys.slice('pg_temp.'.length)} (key uuid not null, subscriber integer not null);
    create index on ${tables.keys} (key);
    create index on ${tables.keys} (subscriber);`);
}

export async function dropKeptScopeTables(db: Queryable, tables: KeptScopeTables): Promise<void> {
  await db.exec(`drop table if exists ${tables.scopes}, ${tables.keys}`);
}

/** Removes the `gone` subscribers' scopes. */
export async function removeKeptScopes(db: Queryable, tables: KeptScopeTables, gone: readonly number[]): Promise<void> {
  if (gone.length === 0) return;
  await db.query(`with keys as (delete from ${tables.keys} where subscriber = any ($1::int[]))
                  delete from ${tables.scopes} where subscriber = any ($1::int[])`, [gone]);
}

/**
 * Removes the `gone` subscribers' scopes, then builds and keeps each of `accounts` under the number at
 * the same place in `subscribers` (realtime_actor_of, in the caller's snapshot). Returns the scopes built.
 */
export async function replaceKeptScopes(
  tx: Queryable,
  tables: KeptScopeTables,
  gone: readonly number[],
  subscribers: readonly number[],
  accounts: readonly string[],
): Promise<Map<number, SubscriberScope>> {
  await removeKeptScopes(tx, tables, gone);
  const built = new Map<number, SubscriberScope>();
  if (subscribers.length === 0) return built;
  const { rows } = await tx.query<SubscriberScope & { subscriber: number }>(
    `with fresh as (
       insert into ${tables.scopes} (subscriber, actor)
       select s.subscriber, a from unnest($1::int[], $2::uuid[]) as s(subscriber, account) cross join lateral realtime_actor_of(s.account) a
       returning subscriber, actor
     ),
     keys as (
       insert into ${tables.keys} (key, subscriber)
       select k.key, f.subscriber from fresh f cross join lateral unnest(realtime_actor_keys(f.actor)) as k(key) where k.key is not null
     )
     select f.subscriber, (f.actor).user_id, (f.actor).role, (f.actor).provider_ids, (f.actor).location_ids, (f.actor).taught_session_ids,
            (f.actor).enrolled_session_ids, (f.actor).instructed_roster_ids, (f.actor).affiliated_provider_id
       from fresh f`,
    [subscribers, accounts],
  );
  for (const { subscriber, ...scope } of rows) built.set(subscriber, scope);
  return built;
}

const keptSources = (tables: KeptScopeTables) => `subscribers as not materialized (select subscriber, actor from ${tables.scopes}),
     subscriber_keys as not materialized (select subscriber, key from ${tables.keys})`;

/** `authoriseChangesFor` over the kept scopes: per change seq, the numbers of the subscribers that may see it. */
export async function authoriseForKeptScopes(tx: Queryable, tables: KeptScopeTables, seqs: readonly number[]): Promise<Map<number, Set<number>>> {
  return readVisiblePairs(tx, visiblePairs(keptSources(tables), '$1'), seqs);
}

/** What one statement saw: the prune horizon, the scope changes after a position, and the batch authorised over the kept scopes. */
export interface KeptScopeCheck extends ScopeLook {
  readonly prunedThrough: ChangePosition | null;
  readonly visible: Map<number, Set<number>>;
}

/**
 * `readPrunedThrough`, `readScopeChanges` and `authoriseForKeptScopes` in one statement, so in one
 * snapshot and one round trip: when no scope change touches a kept scope, the answer stands as it is
 * (which is most batches); otherwise the caller rebuilds those scopes and authorises again.
 */
export async function authoriseForKeptScopesIfCurrent(
  db: Queryable,
  tables: KeptScopeTables,
  after: ChangePosition,
  limit: number,
  seqs: readonly number[],
): Promise<KeptScopeCheck> {
  const { rows: [row] } = await db.query<{
    pruned_through: PrunedThroughRow | undefined; scope_changes: ScopeChangeRow[] | null; frontier: string; visible: { seq: number; subscribers: number[] }[] | null;
  }>(
    `with ${visiblePairs(keptSources(tables), '$1')},
     scope_changes as (${scopeChangesQuery('$2', '$3', '$4')})
     select (select row_to_json(h) from (${prunedThroughQuery('$5')}) h) as pruned_through,
            (select json_agg(c) from scope_changes c) as scope_changes,
            ${lookFrontier} as frontier,
            (select json_agg(p) from pairs p) as visible`,
    [seqs, after.txid.toString(), after.seq.toString(), limit, prunedThroughKey],
  );
  return {
    prunedThrough: prunedThroughOf(row?.pruned_through),
    scopeChanges: (row?.scope_changes ?? []).map(scopeChangeOf),
    lookedBefore: frontierPosition(row?.frontier),
    visible: visibleOf(row?.visible ?? []),
  };
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

/** A look at the scope changes after a position, in one snapshot. */
export interface ScopeLook {
  /** At most the look's limit of them, in delivery order. */
  readonly scopeChanges: ScopeChange[];
  /**
   * The frontier of the look's snapshot (as the feed's, `change_log_frontier`): every change before it had
   * committed, so the look saw all of them, and none can appear there later. The next look starts here
   * (or at the batch's end, if later) rather than at the batch's end alone, so that it does not read again
   * every change the feed has yet to hand on: while the feed was more than the limit behind, every look
   * found more than the limit and rebuilt every scope.
   */
  readonly lookedBefore: ChangePosition;
}

/**
 * The snapshot's frontier, once per statement (a scalar subquery; the function is volatile). Every round
 * pays it: about 0.1 ms more than xmin alone while transactions are in progress (decision 0091), and xmin
 * would stop at another database's transactions.
 */
const lookFrontier = '(select change_log_frontier(pg_current_snapshot()))::text';

const frontierPosition = (xid: string | undefined): ChangePosition => ({ txid: BigInt(xid ?? '0'), seq: 0n });

/**
 * The committed changes after `after`, in delivery order, to the tables `realtime_actor_of` reads; at most
 * `limit`. The IN list is the predicate of change_log_scope_changes_idx (migration 0025), so the read
 * goes through that index however long the log is.
 */
export async function readScopeChanges(db: Queryable, after: ChangePosition, limit: number): Promise<ScopeLook> {
  const { rows } = await db.query<Partial<ScopeChangeRow> & { frontier: string }>(
    `select f.frontier, c.* from (select ${lookFrontier} as frontier) f left join lateral (${scopeChangesQuery('$1', '$2', '$3')}) c on true`,
    [after.txid.toString(), after.seq.toString(), limit],
  );
  return {
    scopeChanges: rows.flatMap((row) => (row.table_name === undefined || row.table_name === null ? [] : [scopeChangeOf(row as ScopeChangeRow)])),
    lookedBefore: frontierPosition(rows[0]?.frontier),
  };
}

interface ScopeChangeRow {
  table_name: string;
  operation: FeedChange['operation'];
  row_id: string;
  instructor_id: string | null;
  user_id: string | null;
}

/** `readScopeChanges`'s statement, given the placeholders of the position's txid and seq and of the limit. */
const scopeChangesQuery = (txid: string, seq: string, limit: string) => `select table_name, operation, row_id, instructor_id, user_id
       from change_log
      where (txid, seq) > (${txid}::text::xid8, ${seq}::bigint)
        and table_name in ('users', 'provider_members', 'provider_locations', 'instructor_profiles',
                           'training_sessions', 'session_enrollments', 'rosters')
      order by txid, seq
      limit ${limit}`;

const scopeChangeOf = (row: ScopeChangeRow): ScopeChange => ({
  table: row.table_name, operation: row.operation, rowId: row.row_id, instructorId: row.instructor_id, userId: row.user_id,
});
