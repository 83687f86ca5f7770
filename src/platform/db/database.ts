import type { Actor, ActorRole } from './actor.js';
import type { QueryLog } from './query-log.js';
import type { WalPosition } from './wal-position.js';

export type Engine = 'pglite' | 'postgres';
export type Row = Record<string, unknown>;

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  /** One statement, its parameters bound; a text of several is refused on both engines (42601: use `exec`). */
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (a migration file); not slow-query logged. */
  exec(sql: string): Promise<void>;
}

declare const insideTransaction: unique symbol;

/** An executor inside an open transaction. Functions that must be atomic ask for a `Tx`, never a `Db`. */
export interface Tx extends Queryable {
  readonly [insideTransaction]: true;
}

export interface Connection extends Queryable {
  /** Commits when `fn` resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

/** A connection kept until closed, for session state that outlives a transaction (temporary tables). */
export interface Session extends Connection {
  close(): Promise<void>;
}

/**
 * Where the read-only endpoints read (decision 0046): the replica when one is configured, reachable, not
 * lagging more than allowed, and has replayed what the reader must see; otherwise the primary.
 */
export interface Reader extends Queryable {
  /**
   * Reads as the actor (the same claims, so the same row-level security, on either server), READ ONLY.
   * On PostgreSQL each statement is its own READ ONLY transaction with the claims sent in front of it
   * (one round trip; in READ COMMITTED each statement has its own snapshot anyway: decision 0051). It
   * sees at least the actor's `commits` and `after` (a WAL position of the primary: what a cached
   * answer's stamp requires), or runs on the primary.
   */
  withActor<T>(actor: Actor, fn: (tx: Tx) => Promise<T>, after?: WalPosition | null): Promise<T>;
}

/** Where reads through `Db.reader` went: `replica`, or the primary and why (no replica; lagging; behind: not replayed what the read must see; unavailable). */
export type ReadRoute = 'replica' | 'no_replica' | 'lagging' | 'behind' | 'unavailable';

/** The replica as last probed: reachable, what it has replayed, and how far behind the primary it is. */
export interface ReplicaStatus {
  /** host:port of the replica (never its credentials), the label of its series on /metrics. */
  server: string;
  reachable: boolean;
  replayed: WalPosition | null;
  /** WAL bytes the primary had written that the replica had not replayed, when probed. */
  lagBytes: number | null;
  /** How old the replica's data may be: the time since the primary was last seen at a position the replica has replayed. */
  lagSeconds: number | null;
  /** Beyond DATABASE_REPLICA_MAX_LAG_MS (or unreachable): reads go to the primary. */
  lagging: boolean;
}

/** How one `withActor` transaction runs. */
export interface WriteOptions {
  /**
   * For writes that race by design: how many times in all to run the whole transaction when PostgreSQL
   * aborts it as a deadlock or serialization failure (40P01, 40001); after the last, SERIALIZATION_FAILURE
   * stands (503). Default 1: no retry. `fn` is then run more than once, so it must do nothing outside the
   * database.
   */
  serializationAttempts?: number;
}

/** Options of `Db.onCommit`. */
export interface CommitListenerOptions {
  /**
   * Only commits that changed an account's state (its users row or a provider membership): the others
   * cannot change what a read of a signed-in account answers (decision 0088).
   */
  onlyAccountChanges?: boolean;
}

export interface Db extends Connection {
  readonly engine: Engine;
  readonly reader: Reader;
  /** The statements timed on this `Db` (slow ones counted by fingerprint for /metrics). */
  readonly queryLog: QueryLog;
  /** Probes the replica now; null without one. */
  replicaStatus(): Promise<ReplicaStatus | null>;
  /** Reads through `reader` so far, by route. */
  readCounts(): ReadonlyMap<ReadRoute, number>;
  /** A transaction running as the application role with the actor's claims set (applyActor, below). */
  withActor<T>(actor: Actor, fn: (tx: Tx) => Promise<T>, options?: WriteOptions): Promise<T>;
  /** Runs `fn` on one dedicated connection, for session state such as advisory locks. */
  withConnection<T>(fn: (connection: Connection) => Promise<T>): Promise<T>;
  /**
   * A connection of its own outside the pool, so that holding it for long takes nothing from requests
   * (PostgreSQL, application_name `unitrain-session`); on the embedded engine, its one connection, whose
   * session state a caller must name apart from other callers'. Its commits are not signalled
   * (`onCommit`, NOTIFY): what it writes is session state (temporary tables) that no reader waits for.
   */
  openSession(): Promise<Session>;
  /**
   * Calls `onNotify` for each NOTIFY on `channel`, and `onReconnect` after a lost connection was
   * re-established (NOTIFYs sent meanwhile are lost); resolves to a function that stops listening.
   */
  listen(channel: string, onNotify: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /**
   * Calls `listener` after each COMMIT of a transaction of this `Db` that wrote (`transaction`, `withActor`,
   * `withConnection`), whoever opened it: a request, a job, a command. Not after a rollback, a failed
   * COMMIT or a read-only transaction; single statements outside a transaction are not seen. On
   * PostgreSQL the `Db` also NOTIFYs other processes (commit-signal.ts). The function it returns stops
   * the calls. Listeners only wake something; they must not throw. `onlyAccountChanges`: only after a
   * commit that changed an account's state (commit-signal.ts).
   */
  onCommit(listener: () => void, options?: CommitListenerOptions): () => void;
  /** The primary pool's connections (PostgreSQL); null on the embedded engine, which has one connection. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  close(): Promise<void>;
}

/** The one place that brands an executor as transactional; only the db layer calls it (the engines, lazy-transaction.ts). */
export function asTx(executor: Queryable): Tx {
  return executor as Tx;
}

/**
 * Runs `fn` in a read-only REPEATABLE READ transaction: every query it makes sees one snapshot (reads
 * that compare tables, or decide from one query what the next one reads, while others keep writing).
 */
export function inReadOnlySnapshot<T>(db: Connection, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return fn(tx);
  });
}

/** The role whose privileges every request has: it owns nothing and cannot bypass row-level security. */
export const applicationRole = 'unitrain_app';

/**
 * The database role a request runs as, one per application role (decision 0086): each a member of
 * `applicationRole` (its privileges, and the policies of every role), and the policies of its own rules
 * `TO` it alone, so a plan holds no policy that cannot admit its caller. Chosen here from the actor's
 * role, a fixed table: nothing a request sends names a database role. The database's own list of them, for
 * its guards, is `app_is_request_role()` (migration 0087); rls-catalogue.test.ts holds the two equal.
 */
export const databaseRoles: Readonly<Record<ActorRole, string>> = Object.freeze({
  SA: 'unitrain_sa',
  AD: 'unitrain_ad',
  AP: 'unitrain_ap',
  IC: 'unitrain_ic',
  IP: 'unitrain_ip',
  IT: 'unitrain_it',
  IN: 'unitrain_in',
  ANON: 'unitrain_anon',
});

/** The database role of `role`; a role outside the table (a value no type-check saw) is refused, never passed on. */
export function databaseRoleOf(role: ActorRole): string {
  if (!Object.hasOwn(databaseRoles, role)) throw new Error(`no database role for the application role ${JSON.stringify(role)}`);
  return databaseRoles[role];
}

/** The claims statement's text (actorClaims); `readOnly` adds the READ ONLY setting and leaves out what only writes record. */
function claimsText(readOnly: boolean): string {
  // One boolean column, not one per setting: a reader parses its answer on every request. concat() takes
  // every argument, so every set_config runs.
  const common = `set_config('role', $1, true), set_config('unitrain.user_id', $2, true),
            set_config('unitrain.role', $3, true), set_config('unitrain.provider_id', $4, true)`;
  return readOnly
    ? `select concat(${common}, set_config('transaction_read_only', 'on', true)) is not null as claimed`
    : `select concat(${common}, set_config('unitrain.request_id', $5, true), set_config('unitrain.ip', $6, true),
            set_config('unitrain.user_agent', $7, true)) is not null as claimed`;
}

/** Built once: a statement's text is looked up by value on every use (its prepared name). */
const claimsTexts = { writing: claimsText(false), readOnly: claimsText(true) };

/**
 * The statement that sets the actor's database role (`databaseRoleOf`) and every claim. One statement on purpose: `set_config('role', ...)`
 * is `SET LOCAL ROLE` in function form, so the role and all claims are set in a single statement, and all
 * of it ends with the transaction. The PostgreSQL engine sends it in the same round trip as BEGIN and
 * the transaction's first query. `readOnly`: the transaction is READ ONLY from this statement on
 * (setting it on is allowed at any point of a transaction), and the request's id, address and user
 * agent are not set: only what a transaction writes records them (audit, domain events), and a READ ONLY
 * one writes nothing (decision 0082: three settings less on every read).
 */
export function actorClaims(actor: Actor, options: { readOnly?: boolean } = {}): { text: string; values: string[] } {
  const who = [databaseRoleOf(actor.role), actor.userId ?? '', actor.role, actor.providerId ?? ''];
  return options.readOnly
    ? { text: claimsTexts.readOnly, values: who }
    : { text: claimsTexts.writing, values: [...who, actor.requestId ?? '', actor.ip ?? '', actor.userAgent ?? ''] };
}

/** Runs as the actor from here to the end of the transaction (see actorClaims). */
export async function applyActor(tx: Tx, actor: Actor, options: { readOnly?: boolean } = {}): Promise<void> {
  const claims = actorClaims(actor, options);
  await tx.query(claims.text, claims.values);
}
