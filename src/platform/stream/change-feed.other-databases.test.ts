import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, createServerDatabase, dropServerDatabase, type TestDatabase } from '../../../test/database.js';
import { databaseUrl, testEngine } from '../../../test/engine.js';
import { testLogger } from '../../../test/logger.js';
import { openTransaction } from '../../../test/open-transaction.js';
import { privateClusterUnavailable, startPrivateCluster } from '../../../test/private-postgres.js';
import { until } from '../../../test/until.js';
import type { Db, Queryable } from '../db/database.js';
import { migrateUp } from '../db/migrations/migrator.js';
import { openPostgresDatabase } from '../db/postgres-database.js';
import { createQueryLog } from '../db/query-log.js';
import { type ChangePosition, comparePositions } from '../change-log/index.js';
import { createChangeFeed, type FeedBatch } from './change-feed.js';
import { currentFrontier, readSettledChanges } from './realtime.repository.js';

// The feed's frontier is the oldest open transaction that may be this database's (decision 0083): one of
// another database on the same server holds nothing here, one of this database holds every change after
// it, with or without subtransactions. Real databases: this file's own, and an empty one beside it on the
// same server (PostgreSQL); PGlite has one database, and there the frontier is the snapshot's xmin.
let database: TestDatabase;
let db: Db;
let otherDatabase: string | null = null;

beforeAll(async () => {
  database = await createMigratedDatabase();
  db = database.db;
  if (testEngine === 'postgres') otherDatabase = await createServerDatabase('template0');
});
afterAll(async () => {
  await database?.drop();
  if (otherDatabase !== null) await dropServerDatabase(otherDatabase);
});

/** One change row, committed in a transaction of its own (or the caller's). */
async function logChange(executor: Queryable = db): Promise<ChangePosition> {
  const { rows: [row] } = await executor.query<{ txid: string; seq: string }>(
    `insert into change_log (table_name, operation, row_id) values ('courses', 'UPDATE', gen_random_uuid())
     returning txid::text as txid, seq::text as seq`,
  );
  return { txid: BigInt(row!.txid), seq: BigInt(row!.seq) };
}

/** A bare client's transaction holding an xid (and `subtransactions` sub-xids: past 64 the snapshot overflows) until `end`. */
async function holdTransaction(url: string, subtransactions = 0): Promise<{ txid: bigint; end(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('begin');
  const { rows: [row] } = await client.query<{ txid: string }>('select pg_current_xact_id()::text as txid');
  if (subtransactions > 0) await client.query('create temporary table held (n int)');
  for (let n = 0; n < subtransactions; n++) {
    await client.query(`savepoint s${n}`);
    await client.query('insert into held values (1)');
  }
  return {
    txid: BigInt(row!.txid),
    async end() {
      await client.query('commit');
      await client.end();
    },
  };
}

/** Every change the feed hands on from its start, in order, until `stop`. */
async function followFeed() {
  const batches: FeedBatch[] = [];
  const feed = createChangeFeed(db, testLogger, { pollMs: 60_000, batchSize: 100 }, async (batch) => {
    batches.push(batch);
  });
  await feed.start();
  return {
    feed,
    handedOn: () => batches.flatMap((batch) => batch.changes.map((change) => change.position)),
    batches,
  };
}

const handedOnOnce = (handedOn: ChangePosition[], position: ChangePosition) =>
  handedOn.filter((other) => comparePositions(other, position) === 0).length === 1;

describe('the change feed frontier', () => {
  it.skipIf(testEngine !== 'postgres')('hands on a change while a transaction of another database on the server holds an older xid', async () => {
    const elsewhere = await holdTransaction(databaseUrl(otherDatabase!), 70);
    const follower = await followFeed();
    try {
      const change = await logChange();
      expect(change.txid).toBeGreaterThan(elsewhere.txid);
      // A Db would wake its own feed after a commit; a bare insert does not.
      follower.feed.wake();
      // Other transactions on the shared server end by themselves; the one elsewhere stays open throughout.
      await until(() => handedOnOnce(follower.handedOn(), change), 'the change to be handed on while another database holds an xid', { timeoutMs: 20_000 });
      const read = await readSettledChanges(db, { txid: 0n, seq: 0n }, 100, null);
      expect(read.changes.map((c) => c.position)).toContainEqual(change);
      expect((await currentFrontier(db)).txid).toBeGreaterThan(elsewhere.txid);
    } finally {
      await follower.feed.stop();
      await elsewhere.end();
    }
  });

  it.skipIf(testEngine !== 'postgres')('holds every change after an open transaction of this database, with or without overflowed subtransactions, and hands each on once', async () => {
    for (const subtransactions of [0, 70]) {
      const elsewhere = await holdTransaction(databaseUrl(otherDatabase!));
      const follower = await followFeed();
      try {
        const before = await logChange();
        // A Db would wake its own feed after a commit; a bare insert does not.
        follower.feed.wake();
        await until(() => handedOnOnce(follower.handedOn(), before), 'the change before the open transaction');
        const here = await openTransaction(db, async (tx) => {
          await tx.query('select pg_current_xact_id()');
          for (let n = 0; n < subtransactions; n++) {
            await tx.query(`savepoint s${n}`);
            await tx.query('insert into change_log (table_name, operation, row_id) values ($1, $2, gen_random_uuid())', ['courses', 'INSERT']);
          }
          return logChange(tx);
        });
        const after = [await logChange(), await logChange()];
        follower.feed.wake();
        // Long enough for the feed's held rounds (10 ms, doubling) to have looked several times.
        await new Promise((resolve) => setTimeout(resolve, 500));
        const read = await readSettledChanges(db, before, 100, null);
        expect(read.changes).toEqual([]);
        expect(read.pending).toBe(true);
        expect(comparePositions(read.end, here.result)).toBeLessThanOrEqual(0);
        expect(follower.handedOn().filter((position) => comparePositions(position, before) > 0)).toEqual([]);

        await here.commit();
        follower.feed.wake();
        await until(() => after.every((position) => handedOnOnce(follower.handedOn(), position)), 'the held changes once the transaction ended', { timeoutMs: 20_000 });
        const handedOn = follower.handedOn();
        expect(handedOnOnce(handedOn, here.result)).toBe(true);
        // In delivery order, each once, the open transaction's own changes with them.
        const sorted = [...handedOn].sort(comparePositions);
        expect(handedOn).toEqual(sorted);
        expect(new Set(handedOn.map((p) => `${p.txid}.${p.seq}`)).size).toBe(handedOn.length);
        expect(handedOn.filter((p) => p.txid === here.result.txid)).toHaveLength(subtransactions + 1);
        // Each batch starts where the one before ended.
        for (let n = 1; n < follower.batches.length; n++) expect(follower.batches[n]!.start).toEqual(follower.batches[n - 1]!.end);
      } finally {
        await follower.feed.stop();
        await elsewhere.end();
      }
    }
  });

  it('is the snapshot\'s xmin when this is the only database (the embedded engine) or nothing is open', async () => {
    const { rows: [row] } = await db.query<{ frontier: string; xmin: string; xmax: string }>(
      `select change_log_frontier(pg_current_snapshot())::text as frontier, pg_snapshot_xmin(pg_current_snapshot())::text as xmin,
              pg_snapshot_xmax(pg_current_snapshot())::text as xmax`,
    );
    if (testEngine === 'pglite') expect(row!.frontier).toBe(row!.xmin);
    expect(BigInt(row!.frontier)).toBeGreaterThanOrEqual(BigInt(row!.xmin));
    expect(BigInt(row!.frontier)).toBeLessThanOrEqual(BigInt(row!.xmax));
    const change = await logChange();
    await until(async () => (await readSettledChanges(db, { txid: 0n, seq: 0n }, 1_000, null)).changes.some((c) => comparePositions(c.position, change) === 0), 'a committed change to be read');
  });
});

// Prepared transactions need max_prepared_transactions, which the shared test server leaves at 0: a
// cluster of this test's own.
const preparedSkipReason = testEngine !== 'postgres' ? 'runs in the PostgreSQL suite (DATABASE_URL set)' : privateClusterUnavailable;

describe.skipIf(preparedSkipReason !== null)('the change feed frontier and prepared transactions', () => {
  it('passes a transaction prepared in another database and holds one prepared in this database until it commits', async () => {
    const cluster = await startPrivateCluster({ max_prepared_transactions: '4' });
    const here = await openPostgresDatabase({ url: await cluster.createDatabase('unitrain'), replicaUrl: null, poolMax: 2 }, createQueryLog(null, 0));
    const clientOf = async (url: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    };
    try {
      await migrateUp(here);
      const start = await currentFrontier(here);
      const elsewhere = await clientOf(await cluster.createDatabase('elsewhere'));
      await elsewhere.query("begin; select pg_current_xact_id(); prepare transaction 'elsewhere'");
      // The prepared transaction outlives its connection.
      await elsewhere.end();
      const first = await logChange(here);
      const read = await readSettledChanges(here, start, 100, null);
      expect(read.changes.map((change) => change.position)).toEqual([first]);
      expect(read.pending).toBe(false);

      const preparing = await clientOf(cluster.url('unitrain'));
      await preparing.query("begin; insert into change_log (table_name, operation, row_id) values ('courses', 'INSERT', gen_random_uuid()); prepare transaction 'here'");
      const second = await logChange(here);
      const held = await readSettledChanges(here, read.end, 100, null);
      expect(held.changes).toEqual([]);
      expect(held.pending).toBe(true);
      expect(comparePositions(held.end, second)).toBeLessThan(0);

      await preparing.query("commit prepared 'here'");
      const released = await readSettledChanges(here, held.end, 100, null);
      expect(released.changes).toHaveLength(2);
      expect(released.changes.at(-1)!.position).toEqual(second);
      expect(released.pending).toBe(false);
      await preparing.end();
    } finally {
      await here.close();
      await cluster.remove();
    }
  });
});
