import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../shared/logger.js';
import { changesChannel, coalesced, type CommitListeners, createCommitListeners, transactionWroteQuery } from './commit-signal.js';
import { applyActor, asTx, type Connection, type Db, type QueryResult, type Queryable, type Row, type Tx } from './database.js';
import { listenWithReconnect } from './postgres-listener.js';
import type { QueryLog } from './query-log.js';
import { typeParsers } from './type-parsers.js';

const types = {
  getTypeParser: ((id: number, format?: 'text' | 'binary') =>
    typeParsers[id] ?? pg.types.getTypeParser(id, format)) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  url: string;
  replicaUrl: string | null;
  poolMax: number;
}

/** At most this many statement texts are prepared on each connection; texts beyond it run unnamed. */
const maximumPreparedStatements = 400;
const statementNames = new Map<string, string>();
/** Statements worth a plan; anything else (SET, a DDL text of a test) runs as it always did. */
const preparable = /^\s*(?:select|with|insert|update|delete)\b/i;

/**
 * A name for `sql`, so that each connection parses and plans it once and then reuses the plan: through
 * the row-level security policies and `_visible` views, planning a request's statement costs several
 * times running it (issue 17: 1.1 ms to plan `/v1/me`'s select, 0.18 ms to run it). The claims are read
 * by `current_setting` when the plan runs, so one plan serves every caller; PostgreSQL replans on its
 * own after DDL, and for a role change. Texts are few and fixed in the code; the cap keeps a text built
 * per call (a list of placeholders) from filling each backend with plans.
 */
function statementNameOf(sql: string): string | undefined {
  if (!preparable.test(sql)) return undefined;
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < maximumPreparedStatements) {
    name = `u${createHash('sha1').update(sql).digest('base64url')}`;
    statementNames.set(sql, name);
  }
  return name;
}

function queryableOf(client: pg.Pool | pg.PoolClient, queryLog: QueryLog): Queryable {
  return {
    async query<R = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      const name = statementNameOf(sql);
      const result = await queryLog.time(sql, () => client.query({ text: sql, values: params as unknown[], ...(name ? { name } : {}) }));
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await client.query(sql);
    },
  };
}

/** Clients whose rollback failed may still be inside a transaction: they are destroyed, not reused. */
const brokenClients = new WeakSet<pg.PoolClient>();

/**
 * Whether the transaction wrote, and COMMIT, in one round trip: without parameters pg sends both
 * statements in one simple query and answers with one result per statement. A failed COMMIT throws.
 */
async function commitReportingWrite(client: pg.PoolClient): Promise<boolean> {
  const [asked] = (await client.query(`${transactionWroteQuery}; commit`)) as unknown as pg.QueryResult<{ wrote: boolean }>[];
  return asked?.rows[0]?.wrote === true;
}

async function inTransaction<T>(client: pg.PoolClient, queryLog: QueryLog, commits: CommitListeners, fn: (tx: Tx) => Promise<T>): Promise<T> {
  await client.query('begin');
  let wrote: boolean;
  let result: T;
  try {
    result = await fn(asTx(queryableOf(client, queryLog)));
    wrote = await commitReportingWrite(client);
  } catch (error) {
    await client.query('rollback').catch(() => brokenClients.add(client));
    throw error;
  }
  if (wrote) commits.emit();
  return result;
}

function connectionOf(client: pg.PoolClient, queryLog: QueryLog, commits: CommitListeners): Connection {
  return { ...queryableOf(client, queryLog), transaction: (fn) => inTransaction(client, queryLog, commits, fn) };
}

async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
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
  const poolOf = (connectionString: string) =>
    new pg.Pool({ connectionString, max: options.poolMax, types, application_name: 'unitrain' });
  const pool = poolOf(options.url);
  const replica = options.replicaUrl ? poolOf(options.replicaUrl) : null;
  // An idle client that loses its server emits 'error'; without a listener that would crash the process.
  // The same for a checked-out client: the query it was running rejects with the error anyway.
  for (const p of [pool, replica]) {
    p?.on('error', () => undefined);
    p?.on('connect', (client) => client.on('error', () => undefined));
  }
  const primary = queryableOf(pool, queryLog);
  const commits = createCommitListeners();
  commits.add(
    coalesced(() =>
      pool.query('select pg_notify($1, $2)', [changesChannel, '']).then(
        () => undefined,
        (error: unknown) => logger?.warn({ err: error }, 'could not signal other processes of a commit; they will see it on their next poll'),
      )),
  );
  const transaction = <T>(fn: (tx: Tx) => Promise<T>) => withClient(pool, (client) => inTransaction(client, queryLog, commits, fn));

  return {
    engine: 'postgres',
    ...primary,
    transaction,
    reader: replica ? queryableOf(replica, queryLog) : primary,
    withActor: (actor, fn) =>
      transaction(async (tx) => {
        await applyActor(tx, actor);
        return fn(tx);
      }),
    withConnection: (fn) => withClient(pool, (client) => fn(connectionOf(client, queryLog, commits))),
    listen: (channel, onNotify, onReconnect) => listenWithReconnect(options.url, channel, onNotify, { onReconnect }),
    onCommit: (listener) => commits.add(listener),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: async () => {
      await Promise.all([pool.end(), replica?.end()]);
    },
  };
}
