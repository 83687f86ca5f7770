import pg from 'pg';
import { applyActor, asTx, type Connection, type Db, type QueryOptions, type QueryResult, type Queryable, type Row, type Tx } from './database.js';
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

function queryableOf(client: pg.Pool | pg.PoolClient, queryLog: QueryLog): Queryable {
  return {
    async query<R = Row>(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<QueryResult<R>> {
      const config = { text: sql, values: params as unknown[], ...(options.rowMode === 'array' ? { rowMode: 'array' } : {}) };
      const result = await queryLog.time(sql, () => client.query(config as pg.QueryConfig));
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

async function inTransaction<T>(client: pg.PoolClient, queryLog: QueryLog, fn: (tx: Tx) => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    const result = await fn(asTx(queryableOf(client, queryLog)));
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => brokenClients.add(client));
    throw error;
  }
}

function connectionOf(client: pg.PoolClient, queryLog: QueryLog): Connection {
  return { ...queryableOf(client, queryLog), transaction: (fn) => inTransaction(client, queryLog, fn) };
}

async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release(brokenClients.has(client));
  }
}

/** A server database: a `pg` pool on the primary and, when configured, one on a read replica. */
export async function openPostgresDatabase(options: PostgresOptions, queryLog: QueryLog): Promise<Db> {
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
  const transaction = <T>(fn: (tx: Tx) => Promise<T>) => withClient(pool, (client) => inTransaction(client, queryLog, fn));

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
    withConnection: (fn) => withClient(pool, (client) => fn(connectionOf(client, queryLog))),
    listen: (channel, onNotify, onReconnect) => listenWithReconnect(options.url, channel, onNotify, { onReconnect }),
    close: async () => {
      await Promise.all([pool.end(), replica?.end()]);
    },
  };
}
