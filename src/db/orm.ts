// Typed queries over an executor the caller already holds. Drizzle only builds the SQL and maps the
// rows; the statement runs on the `Queryable` passed in (a `Db`, a `Tx`, a reader), so a repository
// still says which executor it uses and a transaction is never opened or hidden here (STYLE.md §2).
import { drizzle, type PgRemoteDatabase } from 'drizzle-orm/pg-proxy';

import type { Queryable } from './database.js';
import * as schema from './schema/index.js';

export type Orm = PgRemoteDatabase<typeof schema>;

/**
 * A Drizzle query builder bound to `executor`: no connection and no I/O of its own, so build it where
 * the executor is known (`ormFor(tx).select()…`).
 * Drizzle maps selected fields by position when it asks for `all`, so those rows come back as arrays;
 * `execute` (statements without mapped fields) gets rows as objects. Values keep the engines' own
 * parsing (db/type-parsers.ts), which is the same on PGlite and PostgreSQL. `ormFor(x).transaction()`
 * throws (the proxy driver has none): begin the transaction with `db.transaction` and pass its `tx`.
 */
export function ormFor(executor: Queryable): Orm {
  return drizzle(
    async (sql, params, method) => {
      const { rows } = await executor.query(sql, params, { rowMode: method === 'all' ? 'array' : 'object' });
      return { rows };
    },
    { schema },
  );
}
