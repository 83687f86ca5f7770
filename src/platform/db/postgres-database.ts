import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../shared/logger.js';
import { changesChannel, coalesced, type CommitListeners, createCommitListeners, type WroteRow } from './commit-signal.js';
import type { Actor, CommitMark } from './actor.js';
import { actorClaims, asTx, databaseRoleOf, type Connection, type Db, type QueryResult, type Queryable, type Row, type Tx } from './database.js';
import { type BatchResult, type BatchStatement, preparedOn, runBatch } from './statement-batch.js';
import { createReadPipeline, type ReadLane, type ReadPipeline } from './read-pipeline.js';
import { listenWithReconnect } from './postgres-listener.js';
import type { QueryLog } from './query-log.js';
import { fromDatabase } from './postgres-errors.js';
import { createReplicaReader } from './replica-reader.js';
import { retryingSerializationFailures } from './serialization-retry.js';
import { parseTimestamptz } from './timestamptz-parser.js';
import { typeParsers } from './type-parsers.js';
import { laterWalPosition, type WalPosition } from './wal-position.js';

// timestamptz: the same Dates node-postgres makes, read faster (decision 0073; PGlite parses its own).
const postgresParsers: Record<number, (value: string) => unknown> = { ...typeParsers, [pg.types.builtins.TIMESTAMPTZ]: parseTimestamptz };
const types = {
  getTypeParser: ((id: number, format?: 'text' | 'binary') =>
    postgresParsers[id] ?? pg.types.getTypeParser(id, format)) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  url: string;
  replicaUrl: string | null;
  poolMax: number;
  /** A replica whose data is older than this is not read from (default 5 s). */
  replicaMaxLagMs?: number;
  /** The clock replica lag is measured by, in milliseconds (default: performance.now); tests move it. */
  clock?: () => number;
}

/** At most this many statement texts are prepared on each connection (under each database role); texts beyond it run unnamed. */
const maximumPreparedStatements = 400;
const statementNames = new Map<string, string>();
/** The names of the texts that run as each database role (decision 0086), from `statementNames`. */
const statementNamesByRole = new Map<string, Map<string, string>>();
/** Statements worth a plan; anything else (SET, a DDL text of a test) runs as it always did. */
const preparable = /^\s*(?:select|with|insert|update|delete)\b/i;

/**
 * A name for `sql`, so that each connection parses and plans it once and then reuses the plan: through
 * the row-level security policies and `_visible` views, planning a request's statement costs several
 * times running it (issue 17: 1.1 ms to plan `/v1/me`'s select, 0.18 ms to run it). The claims are read
 * by `current_setting` when the plan runs, so one plan serves every caller of a role; PostgreSQL replans on its
 * own after DDL, and when the role it rewrote the statement for changes: a text run as an actor's
 * database role (`databaseRole`) has a name of its own per role, so a connection that serves several roles keeps
 * a plan for each instead of planning again at every change of role. Texts are few and fixed in the code; the cap keeps a text built
 * per call (a list of placeholders) from filling each backend with plans.
 */
function statementNameOf(sql: string, databaseRole: string | null): string | undefined {
  const byRole = databaseRole === null ? undefined : statementNamesByRole.get(databaseRole);
  const known = byRole?.get(sql);
  if (known !== undefined) return known;
  if (!preparable.test(sql)) return undefined;
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < maximumPreparedStatements) {
    name = `u${createHash('sha1').update(sql).digest('base64url')}`;
    statementNames.set(sql, name);
  }
  if (name === undefined || databaseRole === null) return name;
  const roleName = `${name}.${databaseRole}`;
  if (byRole === undefined) statementNamesByRole.set(databaseRole, new Map([[sql, roleName]]));
  else byRole.set(sql, roleName);
  return roleName;
}

/** The actor's claims statement (database.ts), named like every other text; it reads no table, so one plan serves every role. */
function claimsOf(actor: Actor, options: { readOnly?: boolean } = {}): BatchStatement {
  const claims = actorClaims(actor, options);
  return statementOf(claims.text, claims.values, null);
}

/** `databaseRole`: the role the statement runs as, when it is an actor's (null: the connecting owner). */
function statementOf(sql: string, params: readonly unknown[], databaseRole: string | null): BatchStatement {
  return { text: sql, values: params, name: statementNameOf(sql, databaseRole) };
}

/**
 * What `query` sends: always by the extended protocol, as PGlite sends every query, so a text is one
 * statement on both engines. pg would send a text without parameters or name by the simple protocol,
 * which runs several statements and answers a list of results (`rows` of it was a TypeError); PostgreSQL
 * refuses several in one prepared statement (42601), as PGlite does. A script goes through `exec`.
 */
function queryOneStatement(client: pg.Pool | pg.PoolClient, text: string, values: readonly unknown[], name: string | undefined): Promise<pg.QueryResult> {
  if (name) return fromDatabase(client.query({ text, values: values as unknown[], name }));
  // With values pg takes the extended protocol itself, and text and values as two arguments spare the copy it
  // makes of a config object, property by property, on every query (decision 0093).
  if (values.length > 0) return fromDatabase(client.query(text, values as unknown[]));
  // `queryMode` is pg's (lib/query.js), not yet in its type definitions.
  const config: pg.QueryConfig & { queryMode: 'extended' } = { text, queryMode: 'extended' };
  return fromDatabase(client.query(config));
}

function queryableOf(client: pg.Pool | pg.PoolClient, queryLog: QueryLog, databaseRole: string | null = null): Queryable {
  return {
    async query<R = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      const name = statementNameOf(sql, databaseRole);
      const result = await queryLog.time(sql, () => queryOneStatement(client, sql, params, name));
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await fromDatabase(client.query(sql));
    },
  };
}

/** How a session's connection (`openSession`) shows in pg_stat_activity, apart from the pool's. */
export const sessionApplicationName = 'unitrain-session';

/** Clients whose rollback failed may still be inside a transaction: they are destroyed, not reused. */
const brokenClients = new WeakSet<pg.PoolClient>();

/** A position after the commit record of a transaction that just committed on this connection. */
const walPositionQuery = 'select pg_current_wal_insert_lsn()::text as position';

/**
 * How a transaction begins and ends: READ ONLY ones (the reader's) never signal a commit; with a replica
 * configured, a writing one also learns the WAL position after its commit, for read-your-writes.
 */
interface TransactionMode {
  readOnly: boolean;
  /** Raised to the commit's WAL position when the transaction wrote (null: no replica, nothing to compare). */
  mark: CommitMark | null;
}

const writing: TransactionMode = { readOnly: false, mark: null };
const readOnly: TransactionMode = { readOnly: true, mark: null };
/**
 * Commits nobody is told of: READ ONLY transactions', and a session's (`openSession`), whose writes are
 * its own state (the stream hub's temporary tables), which no reader of change_log or jobs waits for.
 */
const unsignalledCommits = createCommitListeners();

/**
 * The write check (`wroteQuery`), COMMIT and, when asked, the WAL position after it, in one round trip:
 * without parameters pg sends the statements in one simple query and answers with one result per
 * statement. A failed COMMIT throws (and the statement after it is not run).
 */
async function commitReportingWrite(client: pg.PoolClient, wroteQuery: string, withPosition: boolean): Promise<{ answer: WroteRow; position: WalPosition | null }> {
  const text = withPosition ? `${wroteQuery}; commit; ${walPositionQuery}` : `${wroteQuery}; commit`;
  const results = (await fromDatabase(client.query(text))) as unknown as pg.QueryResult<WroteRow & { position?: string }>[];
  return { answer: results[0]?.rows[0] ?? {}, position: results[2]?.rows[0]?.position ?? null };
}

/**
 * A transaction that begins with its first statement: BEGIN, the actor's claims (when it has an actor)
 * and the first query go to the server in one round trip (statement-batch.ts), once this
 * connection has prepared the named ones; before that (its first use of a text), one by one. A
 * transaction that runs no statement sends nothing, not even BEGIN. An actor's statements are named
 * for its database role.
 */
async function inTransaction<T>(
  client: pg.PoolClient,
  queryLog: QueryLog,
  commits: CommitListeners,
  fn: (tx: Tx) => Promise<T>,
  mode: TransactionMode = writing,
  actor: Actor | null = null,
): Promise<T> {
  const databaseRole = actor === null ? null : databaseRoleOf(actor.role);
  const opening = actor === null ? [] : [claimsOf(actor, { readOnly: mode.readOnly })];
  const statements = queryableOf(client, queryLog, databaseRole);
  /** BEGIN, the opening statements and the first query, once sent; later statements wait for it. */
  let begun: Promise<BatchResult | undefined> | null = null;
  const begin = async (first: BatchStatement | null): Promise<BatchResult | undefined> => {
    const batch = [{ text: mode.readOnly ? 'begin read only' : 'begin', values: [] }, ...opening, ...(first ? [first] : [])];
    if (preparedOn(client, batch)) return (await queryLog.time(first?.text ?? batch[0]!.text, () => fromDatabase(runBatch(client, batch)))).at(-1);
    let last: BatchResult | undefined;
    for (const statement of batch) last = await queryLog.time(statement.text, () => queryOneStatement(client, statement.text, statement.values, statement.name));
    return last;
  };
  const tx: Queryable = {
    async query<R = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      if (begun) {
        // A statement sent beside the first (Promise.all) must not reach the server before the claims.
        await begun;
        return statements.query<R>(sql, params);
      }
      begun = begin(statementOf(sql, params, databaseRole));
      const result = (await begun) as BatchResult;
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      begun ??= begin(null);
      await begun;
      await statements.exec(sql);
    },
  };
  let answer: WroteRow = {};
  let result: T;
  try {
    result = await fn(asTx(tx));
    if (begun === null) return result;
    if (mode.readOnly) {
      await fromDatabase(client.query('commit'));
    } else {
      const committed = await commitReportingWrite(client, commits.wroteQuery, mode.mark !== null);
      answer = committed.answer;
      if (answer.wrote === true && mode.mark) mode.mark.position = laterWalPosition(mode.mark.position, committed.position);
    }
  } catch (error) {
    if (begun !== null) await client.query('rollback').catch(() => brokenClients.add(client));
    throw error;
  }
  commits.emit(answer);
  return result;
}

/**
 * The reads of `Db.reader`: each statement runs as its own READ ONLY transaction, with the actor's
 * claims sent in front of it in the same round trip (one Sync for both, so the extended protocol runs
 * them as one implicit transaction: the claims hold for that statement and end with it, and if they
 * fail the statement does not run). One round trip per statement instead of BEGIN, claims, query,
 * COMMIT. In READ COMMITTED every statement takes its own snapshot anyway, so a read that makes several
 * sees what it saw in one transaction: its statements go through one lane of the read pipeline, so
 * each runs after the one sent before it and sees at least what that one saw (decision 0067). A script
 * (`exec`: several statements, the simple protocol) runs in a READ ONLY transaction on a connection of
 * the pool, which it has to itself.
 */
async function asReadingActor<T>(lane: ReadLane, pool: pg.Pool, queryLog: QueryLog, actor: Actor, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const claimsStatement = claimsOf(actor, { readOnly: true });
  const databaseRole = databaseRoleOf(actor.role);
  const tx: Queryable = {
    async query<R = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      const result = (await queryLog.time(sql, () => lane.run([claimsStatement, statementOf(sql, params, databaseRole)])))[1] as BatchResult;
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    },
    exec: (sql) => withClient(pool, (client) => inTransaction(client, queryLog, unsignalledCommits, (inside) => inside.exec(sql), readOnly, actor)),
  };
  return fn(asTx(tx));
}

function connectionOf(client: pg.PoolClient, queryLog: QueryLog, commits: CommitListeners): Connection {
  return { ...queryableOf(client, queryLog), transaction: (fn) => inTransaction(client, queryLog, commits, fn) };
}

async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await fromDatabase(pool.connect());
  try {
    return await fn(client);
  } finally {
    client.release(brokenClients.has(client));
  }
}

/**
 * A server database: a `pg` pool on the primary and, when configured, one on a read replica. After each
 * commit that wrote, it NOTIFYs `changesChannel`, so the readers of change_log and jobs in other
 * processes look at once, whichever process wrote (a CLI command as well as a server).
 */
export async function openPostgresDatabase(options: PostgresOptions, queryLog: QueryLog, logger: Logger | null = null): Promise<Db> {
  const poolOf = (connectionString: string, extra: pg.PoolConfig = {}) =>
    new pg.Pool({ connectionString, max: options.poolMax, types, application_name: 'unitrain', ...extra });
  const pool = poolOf(options.url);
  // A replica that does not answer must not hold a read up for long: the primary answers instead.
  const replicaTimeout = { connectionTimeoutMillis: 2_000 };
  const replica = options.replicaUrl ? poolOf(options.replicaUrl, replicaTimeout) : null;
  // The reader's pipelined connections (decision 0067), beside each pool: a quarter as many, since each carries many reads at once.
  const pipelineOf = (connectionString: string, extra: pg.ClientConfig = {}) =>
    createReadPipeline({ connectionString, types, application_name: 'unitrain', ...extra }, Math.ceil(options.poolMax / 4));
  const pipelines = { primary: pipelineOf(options.url), replica: options.replicaUrl ? pipelineOf(options.replicaUrl, replicaTimeout) : null };
  // An idle client that loses its server emits 'error'; without a listener that would crash the process.
  // The same for a checked-out client: the query it was running rejects with the error anyway.
  for (const p of [pool, replica]) {
    p?.on('error', () => undefined);
    p?.on('connect', (client) => client.on('error', () => undefined));
  }
  const primary = queryableOf(pool, queryLog);
  const commits = createCommitListeners();
  const commitNotice = coalesced(() =>
    pool.query('select pg_notify($1, $2)', [changesChannel, '']).then(
      () => undefined,
      (error: unknown) => logger?.warn({ err: error }, 'could not signal other processes of a commit; they will see it on their next poll'),
    ));
  commits.add(commitNotice.send);
  const transaction = <T>(fn: (tx: Tx) => Promise<T>, mode?: TransactionMode, actor?: Actor) =>
    withClient(pool, (client) => inTransaction(client, queryLog, commits, fn, mode, actor ?? null));
  const readOnlyOn = (on: pg.Pool, pipeline: ReadPipeline) => <T>(fn: (tx: Tx) => Promise<T>, actor: Actor) =>
    asReadingActor(pipeline.lane(), on, queryLog, actor, fn);
  const positionOf = async (on: pg.Pool, sql: string) => (await fromDatabase(on.query<{ position: string | null }>(sql))).rows[0]?.position ?? null;
  const replicaReader = replica
    ? createReplicaReader(
        {
          primary: { transaction: readOnlyOn(pool, pipelines.primary), queryable: primary, position: async () => (await positionOf(pool, 'select pg_current_wal_lsn()::text as position')) as WalPosition },
          replica: { transaction: readOnlyOn(replica, pipelines.replica as ReadPipeline), queryable: queryableOf(replica, queryLog), replayed: () => positionOf(replica, 'select pg_last_wal_replay_lsn()::text as position') },
        },
        { server: new URL(options.replicaUrl as string).host, maxLagMs: options.replicaMaxLagMs ?? 5_000, now: options.clock ?? (() => performance.now()) },
        logger,
      )
    : null;
  const primaryReads = new Map([['no_replica' as const, 0]]);

  return {
    engine: 'postgres',
    ...primary,
    transaction,
    reader: replicaReader?.reader ?? {
      ...primary,
      withActor: (actor, fn) => {
        primaryReads.set('no_replica', (primaryReads.get('no_replica') ?? 0) + 1);
        return readOnlyOn(pool, pipelines.primary)(fn, actor);
      },
    },
    queryLog,
    replicaStatus: async () => (replicaReader ? replicaReader.status() : null),
    readCounts: () => replicaReader?.counts ?? primaryReads,
    withActor: (actor, fn, options) =>
      retryingSerializationFailures(
        () => transaction(fn, replica && actor.commits ? { readOnly: false, mark: actor.commits } : writing, actor),
        options?.serializationAttempts,
      ),
    withConnection: (fn) => withClient(pool, (client) => fn(connectionOf(client, queryLog, commits))),
    openSession: async () => {
      const client = new pg.Client({ connectionString: options.url, types, application_name: sessionApplicationName });
      // A lost server makes the next query reject; without a listener the 'error' event would crash the process.
      client.on('error', () => undefined);
      await fromDatabase(client.connect());
      return { ...connectionOf(client as pg.PoolClient, queryLog, unsignalledCommits), close: () => client.end() };
    },
    listen: (channel, onNotify, onReconnect) => fromDatabase(listenWithReconnect(options.url, channel, onNotify, { onReconnect })),
    onCommit: (listener, options) => commits.add(listener, options),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: async () => {
      // A commit's NOTIFY still on its way (or its coalesced repeat) would otherwise meet an ended pool.
      await commitNotice.settled();
      await Promise.all([pool.end(), replica?.end(), pipelines.primary.close(), pipelines.replica?.close()]);
    },
  };
}
