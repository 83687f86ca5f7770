import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Db } from '../src/platform/db/database.js';
import { openPgliteDatabase, wrapPglite } from '../src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../src/platform/db/postgres-database.js';
import { createQueryLog, type QueryLog } from '../src/platform/db/query-log.js';
import { databaseUrl, serverUrl, testEngine } from './engine.js';
import { acquireMigratedPglite } from './reused-pglite.js';

export interface TestDatabase {
  db: Db;
  /** The PostgreSQL URL of this database (null on PGlite), for CLI processes and second connections. */
  url: string | null;
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** A new PostgreSQL database on the test server, copied from `template` (quoted names are not needed: ours are generated). */
export async function createServerDatabase(template: string): Promise<string> {
  const name = `unitrain_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`create database ${name} template ${template}`));
  return name;
}

export async function dropServerDatabase(name: string): Promise<void> {
  await withAdmin((admin) => admin.query(`drop database if exists ${name} with (force)`));
}

async function open(kind: 'migrated' | 'empty', queryLog: QueryLog = createQueryLog(null, 0)): Promise<TestDatabase> {
  if (testEngine === 'postgres') {
    const name = await createServerDatabase(kind === 'migrated' ? inject('templateDatabase') : 'template0');
    const url = databaseUrl(name);
    const db = await openPostgresDatabase({ url, replicaUrl: null, poolMax: 10 }, queryLog);
    return {
      db,
      url,
      drop: async () => {
        await db.close();
        await dropServerDatabase(name);
      },
    };
  }
  const dumpPath = inject(kind === 'migrated' ? 'pgliteDumpPath' : 'pgliteEmptyDumpPath');
  const loadDump = async (): Promise<Blob> => new Blob([await readFile(dumpPath)]);
  if (kind === 'empty') {
    const db = await openPgliteDatabase({ kind: 'dump', dump: await loadDump() }, queryLog);
    return { db, url: null, drop: () => db.close() };
  }
  // The worker's migrated PGlite, reset after the previous file (decision 0057).
  const reused = await acquireMigratedPglite(loadDump);
  const db = wrapPglite(reused.pglite, queryLog, reused.close);
  return { db, url: null, drop: reused.release };
}

/**
 * A database with every migration applied: a copy of the one migrated at the start of the run (on
 * PGlite, the worker's one instance put back to that state, or a fresh copy when it cannot be). Its
 * statements go through `queryLog` when given (the metrics test counts slow ones); untimed otherwise.
 */
export function createMigratedDatabase(options: { queryLog?: QueryLog } = {}): Promise<TestDatabase> {
  return open('migrated', options.queryLog);
}

/** A database with nothing in it, for migration tests. */
export function createEmptyDatabase(): Promise<TestDatabase> {
  return open('empty');
}

export interface TestDatabaseContext {
  database: TestDatabase;
  db: Db;
}

/**
 * A migrated database for the tests of one file (or one `describe`): made in `beforeAll`, dropped in
 * `afterAll`. Read the fields inside tests and later hooks (they are set once this `beforeAll` ran); a
 * file's own set-up on it (a probe table, a world) goes in a `beforeAll` after this call.
 */
export function useTestDatabase(): TestDatabaseContext {
  const context = {} as TestDatabaseContext;
  beforeAll(async () => {
    context.database = await createMigratedDatabase();
    context.db = context.database.db;
  });
  afterAll(async () => {
    await context.database?.drop();
  });
  return context;
}
