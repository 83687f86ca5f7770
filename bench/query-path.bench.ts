import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Actor } from '../src/platform/db/actor.js';
import type { Db } from '../src/platform/db/database.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { pgliteExtensions, wrapPglite } from '../src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { typeParsers } from '../src/platform/db/type-parsers.js';
import { measureSerial, report } from './report.js';

/**
 * The cost of Unitrain's database path over the bare driver, on the same database in the same run:
 * a primary-key read through the raw driver, through `Db.query`, and inside `withActor` (which adds
 * BEGIN, the one set_config statement and COMMIT) against a bare BEGIN/SELECT/COMMIT.
 */
export async function run(): Promise<void> {
  const url = process.env['DATABASE_URL'];
  const queryLog = createQueryLog(null, 0);
  let db: Db;
  let raw: {
    query: (sql: string, params: unknown[]) => Promise<unknown>;
    inTransaction: (sql: string, params: unknown[]) => Promise<unknown>;
    close: () => Promise<void>;
  };
  if (url) {
    db = await openPostgresDatabase({ url, replicaUrl: null, poolMax: 4 }, queryLog);
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    raw = {
      query: (sql, params) => pool.query(sql, params),
      inTransaction: async (sql, params) => {
        const client = await pool.connect();
        try {
          await client.query('begin');
          await client.query(sql, params);
          await client.query('commit');
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  } else {
    const pglite = await PGlite.create({ parsers: typeParsers, extensions: pgliteExtensions });
    db = wrapPglite(pglite, queryLog, () => pglite.close());
    raw = {
      query: (sql, params) => pglite.query(sql, params),
      inTransaction: (sql, params) => pglite.transaction((tx) => tx.query(sql, params)),
      close: async () => undefined,
    };
  }
  await migrateUp(db);
  const { rows } = await db.query<{ id: string }>(
    `insert into locations (name, city, country) values ('Bench Hall', 'Leeds', 'GB') returning id`,
  );
  const id = (rows[0] as { id: string }).id;
  const read = 'select * from locations where id = $1';
  const actor: Actor = { userId: '00000000-0000-4000-8000-000000000001', role: 'SA', providerId: null };

  const measurements = [
    { name: 'bare driver: select by id', rate: await measureSerial(() => raw.query(read, [id])) },
    { name: 'Db.query: select by id', rate: await measureSerial(() => db.query(read, [id])), baseline: 'bare driver: select by id' },
    { name: 'bare driver: begin, select, commit', rate: await measureSerial(() => raw.inTransaction(read, [id])) },
    {
      name: 'Db.transaction: begin, select, commit',
      rate: await measureSerial(() => db.transaction((tx) => tx.query(read, [id]))),
      baseline: 'bare driver: begin, select, commit',
    },
    {
      name: 'withActor: begin, claims, select, commit',
      rate: await measureSerial(() => db.withActor(actor, (tx) => tx.query(read, [id]))),
      baseline: 'bare driver: begin, select, commit',
    },
  ];
  await report('query-path', { engine: url ? 'postgres' : 'pglite' }, measurements);
  await raw.close();
  await db.close();
}
