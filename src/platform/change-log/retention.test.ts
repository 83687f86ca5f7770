import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { testEngine } from '../../../test/engine.js';
import { openTransaction } from '../../../test/open-transaction.js';
import type { Db, Queryable } from '../db/database.js';
import type { ChangePosition } from './change-position.js';
import { pruneChangeLog, readPrunedThrough } from './retention.js';

// A real database per test, since the horizon only moves forward. Rows are written as the owner with a
// backdated changed_at. Some carry a small explicit txid: a transaction long finished, below any
// snapshot's xmin whatever else runs on the server; the others are written by real transactions and
// waited for until xmin has passed them.
let database: TestDatabase;
let db: Db;

beforeEach(async () => {
  database = await createMigratedDatabase();
  db = database.db;
});
afterEach(async () => {
  await database?.drop();
});

/** Appends one change row `hoursAgo` old, in the caller's transaction (or its own) unless `txid` is given. */
async function logChange(executor: Queryable, hoursAgo: number, txid?: number): Promise<ChangePosition> {
  const { rows: [row] } = await executor.query<{ txid: string; seq: string }>(
    `insert into change_log (txid, table_name, operation, row_id, changed_at)
     values (coalesce($1::text::xid8, pg_current_xact_id()), 'courses', 'UPDATE', gen_random_uuid(), now() - make_interval(hours => $2))
     returning txid::text as txid, seq::text as seq`,
    [txid?.toString() ?? null, hoursAgo],
  );
  return { txid: BigInt(row!.txid), seq: BigInt(row!.seq) };
}

/** The positions still in the log, in delivery order. */
async function logged(): Promise<ChangePosition[]> {
  const { rows } = await db.query<{ txid: string; seq: string }>('select txid::text as txid, seq::text as seq from change_log order by change_log.txid, seq');
  return rows.map((row) => ({ txid: BigInt(row.txid), seq: BigInt(row.seq) }));
}

/** Until every transaction up to `position` has ended as far as a new snapshot can tell (others on the server may hold xmin back). */
async function untilSettled(position: ChangePosition): Promise<void> {
  for (let tries = 0; tries < 1_500; tries++) {
    const { rows: [row] } = await db.query<{ settled: boolean }>('select $1::text::xid8 < pg_snapshot_xmin(pg_current_snapshot()) as settled', [position.txid.toString()]);
    if (row!.settled) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`transaction ${position.txid} never settled`);
}

describe('pruneChangeLog', () => {
  it('reports never pruned until a row is old enough, and deletes nothing before', async () => {
    expect(await readPrunedThrough(db)).toBeNull();
    const recent = [await logChange(db, 1), await logChange(db, 2)];
    expect(await pruneChangeLog(db, { olderThanHours: 24 })).toEqual({ prunedThrough: null, deleted: 0 });
    expect(await readPrunedThrough(db)).toBeNull();
    expect(await logged()).toEqual(recent);
  });

  it('deletes settled rows older than the retention, keeps the recent ones and records how far it went', async () => {
    const old = [await logChange(db, 50), await logChange(db, 49), await logChange(db, 25)];
    const recent = [await logChange(db, 23), await logChange(db, 0)];
    await untilSettled(old[2]!);
    expect(await pruneChangeLog(db, { olderThanHours: 24, batchSize: 2 })).toEqual({ prunedThrough: old[2], deleted: 3 });
    expect(await readPrunedThrough(db)).toEqual(old[2]);
    expect(await logged()).toEqual(recent);
  });

  it('deletes a prefix of (txid, seq) order: what comes before an old row goes with it, what comes after stays', async () => {
    // Written in this order, so the sequence numbers disagree with the transaction order.
    const oldLate = await logChange(db, 48, 20);
    const recentEarly = await logChange(db, 0, 10);
    const recentSameTransaction = await logChange(db, 0, 20);
    const oldEarly = await logChange(db, 48, 11);
    expect(recentSameTransaction.seq).toBeGreaterThan(oldLate.seq);
    expect(await pruneChangeLog(db, { olderThanHours: 24 })).toEqual({ prunedThrough: oldLate, deleted: 3 });
    expect(await logged()).toEqual([recentSameTransaction]);
    expect([recentEarly, oldEarly].map((position) => position.seq > oldLate.seq)).toEqual([true, true]);
  });

  it.runIf(testEngine === 'postgres')('never deletes a row of a transaction still open, nor moves the horizon past it', async () => {
    const settled = [await logChange(db, 48, 10), await logChange(db, 48, 11)];
    const open = await openTransaction(db, (tx) => logChange(tx, 48));
    let after: ChangePosition;
    try {
      // Committed, old, and after the open transaction in delivery order: not settled while it runs.
      after = await logChange(db, 48);
      expect(after.txid).toBeGreaterThan(open.result.txid);
      expect(await pruneChangeLog(db, { olderThanHours: 24 })).toEqual({ prunedThrough: settled[1], deleted: 2 });
      expect(await logged()).toEqual([after]);
    } finally {
      await open.commit();
    }
    await untilSettled(after);
    expect(await pruneChangeLog(db, { olderThanHours: 24 })).toEqual({ prunedThrough: after, deleted: 2 });
    expect(await logged()).toEqual([]);
  });

  it('moves the horizon only forward, and deletes rows left behind it by a prune that stopped', async () => {
    const older = await logChange(db, 100, 10);
    const newer = await logChange(db, 30, 11);
    const stopped = new AbortController();
    stopped.abort();
    // Stopped before its first batch: the horizon is recorded, the rows are still there.
    expect(await pruneChangeLog(db, { olderThanHours: 24, signal: stopped.signal })).toEqual({ prunedThrough: newer, deleted: 0 });
    expect(await logged()).toEqual([older, newer]);
    // A longer retention finds only `older`: the horizon stays, and every row behind it goes.
    expect(await pruneChangeLog(db, { olderThanHours: 48 })).toEqual({ prunedThrough: newer, deleted: 2 });
    expect(await readPrunedThrough(db)).toEqual(newer);
    expect(await logged()).toEqual([]);
  });

  it('leaves the greatest horizon and no row behind it when several prunes run at once', async () => {
    // 120 settled rows, one per transaction, from 120.5 hours old (txid 10) to 1.5 hours old (txid 129).
    const { rows } = await db.query<{ txid: string; seq: string }>(
      `insert into change_log (txid, table_name, operation, row_id, changed_at)
       select (10 + n)::text::xid8, 'courses', 'UPDATE', gen_random_uuid(), now() - make_interval(hours => 120 - n, mins => 30)
         from generate_series(0, 119) n
       returning txid::text as txid, seq::text as seq`,
    );
    const positions = rows.map((row) => ({ txid: BigInt(row.txid), seq: BigInt(row.seq) }));
    const recent = await logChange(db, 0);
    const retentions = [100, 24, 60, 5, 80, 40];
    const results = await Promise.all(retentions.map((hours, index) => pruneChangeLog(db, { olderThanHours: hours, batchSize: 7 + index })));

    // The shortest retention (5 h) keeps the rows 1.5 to 4.5 hours old: txid 126 and later.
    const horizon = positions.find((position) => position.txid === 125n);
    expect(await readPrunedThrough(db)).toEqual(horizon);
    expect(await logged()).toEqual([...positions.filter((position) => position.txid > 125n), recent]);
    // Each row was deleted once, by one of them; none reported a horizon beyond the final one.
    expect(results.reduce((sum, result) => sum + result.deleted, 0)).toBe(116);
    for (const result of results) expect(result.prunedThrough!.txid).toBeLessThanOrEqual(125n);
  });
});
