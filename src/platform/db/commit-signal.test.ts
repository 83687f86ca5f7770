import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { testEngine } from '../../../test/engine.js';
import { coalesced, createCommitSignal } from './commit-signal.js';
import type { Actor } from './actor.js';
import type { Db, Queryable } from './database.js';
import { openPostgresDatabase } from './postgres-database.js';
import { createQueryLog } from './query-log.js';
import { testLogger } from '../../../test/logger.js';

// The real engines: the Db itself says when a transaction that wrote has committed, whoever opened it.
let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createMigratedDatabase();
  db = database.db;
  // A unique key checked only at COMMIT, so that a transaction can fail there and nowhere before.
  await db.query('create table commit_probe (id integer unique deferrable initially deferred)');
});
afterAll(async () => {
  await database?.drop();
});

/** Counts the commits `db` signals until `stop()`. */
function countSignals(): { count(): number; stop(): void } {
  let signals = 0;
  const stop = db.onCommit(() => signals++);
  return { count: () => signals, stop };
}

async function signalsDuring(run: () => Promise<unknown>): Promise<number> {
  const counter = countSignals();
  try {
    await run();
  } finally {
    counter.stop();
  }
  return counter.count();
}

let nextId = 0;
const insertProbe = (tx: Queryable) => tx.query('insert into commit_probe (id) values ($1)', [++nextId]);
const administrator: Actor = { userId: null, role: 'SA', providerId: null };

describe('Db.onCommit', () => {
  it('signals once after COMMIT of a transaction that wrote, from transaction, withActor and withConnection alike', async () => {
    expect(await signalsDuring(() => db.transaction(insertProbe))).toBe(1);
    expect(await signalsDuring(() => db.withActor(administrator, (tx) => tx.query("insert into locations (name, country) values ('Signalled hall', 'GB')")))).toBe(1);
    expect(await signalsDuring(() => db.withConnection((connection) => connection.transaction(insertProbe)))).toBe(1);
  });

  it('signals once the write is visible to everyone: after COMMIT, not before', async () => {
    const id = nextId + 1;
    const seen: Promise<number>[] = [];
    const stop = db.onCommit(() => {
      seen.push(db.reader.query<{ n: number }>('select count(*)::int as n from commit_probe where id = $1', [id]).then((result) => result.rows[0]!.n));
    });
    await db.transaction(insertProbe);
    stop();
    expect(await Promise.all(seen)).toEqual([1]);
  });

  it('does not signal a read-only transaction, a rolled-back one or one whose COMMIT failed', async () => {
    const counter = countSignals();
    await db.transaction((tx) => tx.query('select count(*) from commit_probe'));
    await db.withActor(administrator, (tx) => tx.query('select count(*) from locations'));
    await expect(db.transaction(async (tx) => {
      await insertProbe(tx);
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    // Both rows go in; the deferred unique key refuses the second one at COMMIT.
    await expect(db.transaction((tx) => tx.query('insert into commit_probe (id) values (-1), (-1)'))).rejects.toMatchObject({ code: '23505' });
    counter.stop();
    expect(counter.count()).toBe(0);
    const { rows } = await db.query<{ n: number }>('select count(*)::int as n from commit_probe where id = -1');
    expect(rows[0]!.n).toBe(0);
  });

  it('stops calling a listener once it is removed, and goes on calling the others', async () => {
    const removed = countSignals();
    const kept = countSignals();
    await db.transaction(insertProbe);
    removed.stop();
    await db.transaction(insertProbe);
    kept.stop();
    expect([removed.count(), kept.count()]).toEqual([1, 2]);
  });
});

describe('Db.onCommit for account changes only', () => {
  /** Commits signalled to a listener of every commit and to one of account changes only, during `run`. */
  async function bothDuring(run: () => Promise<unknown>): Promise<{ every: number; accounts: number }> {
    const counts = { every: 0, accounts: 0 };
    const stops = [db.onCommit(() => counts.every++), db.onCommit(() => counts.accounts++, { onlyAccountChanges: true })];
    try {
      await run();
    } finally {
      for (const stop of stops) stop();
    }
    return counts;
  }

  it('signals a commit with a users or provider_members change of its own, and not one that changed neither', async () => {
    const { rows: [user] } = await db.query<{ id: string }>(
      "insert into users (email_ciphertext, email_hmac, role) values ('commit-signal', 'commit-signal', 'AP') returning id",
    );
    const { rows: [provider] } = await db.query<{ id: string }>("insert into authorized_providers (name) values ('Signalled provider') returning id");
    expect(await bothDuring(() => db.withActor(administrator, (tx) => tx.query("update users set status = 'INACTIVE' where id = $1", [user!.id])))).toEqual({ every: 1, accounts: 1 });
    expect(await bothDuring(() => db.transaction((tx) => tx.query('insert into provider_members (provider_id, user_id) values ($1, $2)', [provider!.id, user!.id])))).toEqual({ every: 1, accounts: 1 });
    expect(await bothDuring(() => db.withActor(administrator, (tx) => tx.query("insert into locations (name, country) values ('Unsignalled hall', 'GB')")))).toEqual({ every: 1, accounts: 0 });
    expect(await bothDuring(() => db.transaction(insertProbe))).toEqual({ every: 1, accounts: 0 });
    expect(await bothDuring(() => db.transaction((tx) => tx.query('select count(*) from users')))).toEqual({ every: 0, accounts: 0 });
  });

  it('signals an account change made with audit switched off, or inside a function with a SET clause, and not one rolled back to a savepoint', async () => {
    const { rows: [user] } = await db.query<{ id: string }>(
      "insert into users (email_ciphertext, email_hmac, role) values ('commit-signal-2', 'commit-signal-2', 'IT') returning id",
    );
    const quietly = (tx: Queryable) => tx.query("select set_config('unitrain.audit', 'off', true)").then(() => tx.query("update users set status = 'INACTIVE' where id = $1", [user!.id]));
    expect(await bothDuring(() => db.transaction(quietly))).toEqual({ every: 1, accounts: 1 });
    // A function whose SET clause names search_path restores that setting when it returns, not the mark.
    await db.exec(`create function commit_signal_reactivate(account uuid) returns void language plpgsql security definer set search_path = public, pg_temp
                     as $$ begin update users set status = 'ACTIVE' where id = account; end $$`);
    expect(await bothDuring(() => db.transaction((tx) => tx.query('select commit_signal_reactivate($1)', [user!.id])))).toEqual({ every: 1, accounts: 1 });
    const undone = async (tx: Queryable) => {
      await insertProbe(tx);
      await tx.query('savepoint undone');
      await tx.query("update users set status = 'INACTIVE' where id = $1", [user!.id]);
      await tx.query('rollback to savepoint undone');
    };
    expect(await bothDuring(() => db.transaction(undone))).toEqual({ every: 1, accounts: 0 });
  });
});

describe.runIf(testEngine === 'postgres')('the commit signal across processes', () => {
  it('wakes this process when a Db of another process commits a write (a CLI command, say), through its NOTIFY', async () => {
    const signal = createCommitSignal(db, testLogger);
    let wakes = 0;
    signal.onSignal(() => wakes++);
    await signal.listen();
    // Another process's Db: its own pool, no commit signal of its own, nothing but a write.
    const other = await openPostgresDatabase({ url: database.url!, replicaUrl: null, poolMax: 2 }, createQueryLog(null, 0));
    try {
      await other.transaction(insertProbe);
      await vi.waitFor(() => expect(wakes).toBe(1), { timeout: 10_000, interval: 10 });
    } finally {
      await other.close();
      await signal.stop();
    }
  });
});

describe('coalesced NOTIFYs', () => {
  it('sends one more for any number of commits during a send, and is settled only once that one is sent too (a Db closes after it)', async () => {
    const sends: Array<() => void> = [];
    const notice = coalesced(() => new Promise<void>((resolve) => sends.push(resolve)));
    let settled = false;
    notice.send();
    notice.send();
    notice.send();
    void notice.settled().then(() => (settled = true));
    expect(sends).toHaveLength(1);
    sends[0]!();
    await vi.waitFor(() => expect(sends).toHaveLength(2));
    await Promise.resolve();
    expect(settled).toBe(false);
    sends[1]!();
    await vi.waitFor(() => expect(settled).toBe(true));
    expect(sends).toHaveLength(2);
  });
});
