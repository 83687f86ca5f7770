import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestDatabase } from '../../../test/database.js';
import { createEnrollmentWorld, createSession, type EnrollmentWorld } from '../../../test/world.js';
import type { Db, Session } from '../db/database.js';
import type { ChangePosition } from '../change-log/index.js';
import { createSubscriberScopes, type SubscriberScopes } from './subscriber-scopes.js';

// The hub's kept scopes (subscriber-scopes.ts) on their own: what a failed statement leaves kept, and
// which rows the session's tables hold after a stream ends. The tables are read through the hub's own
// session (a temporary table is visible to its session only).
const context = useTestDatabase();
let world: EnrollmentWorld;
let sessionId: string;

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
  sessionId = await createSession(context.db, world, { capacity: 5, selfEnrollment: false });
});

interface Stream {
  readonly account: string;
}

/** A holder of kept scopes whose sessions the test can look into, and the count of scopes it built. */
function keptScopes(db: Db) {
  const sessions: Session[] = [];
  let built = 0;
  const spied: Db = { ...db, openSession: async () => {
    const session = await db.openSession();
    sessions.push(session);
    return session;
  } };
  const scopes = createSubscriberScopes<Stream>(spied, { inc: (count) => { built += count; } });
  /** The subscriber numbers in the newest session's table of kept scopes (the highest-numbered holder's, on the embedded engine's one connection). */
  const rows = async (): Promise<number[]> => {
    const session = sessions.at(-1)!;
    const { rows: [table] } = await session.query<{ name: string }>(
      `select relname as name from pg_class where relnamespace = pg_my_temp_schema() and relkind = 'r' and relname like 'realtime\\_kept\\_scopes\\_%'
        order by substring(relname from '\\d+$')::int desc limit 1`);
    const { rows: kept } = await session.query<{ subscriber: number }>(`select subscriber from pg_temp.${table!.name} order by subscriber`);
    return kept.map((row) => row.subscriber);
  };
  return { scopes, sessions, rows, built: () => built };
}

async function retitled(db: Db): Promise<number> {
  await db.query("update training_sessions set title = 'Retitled' where id = $1", [sessionId]);
  const { rows: [row] } = await db.query<{ seq: string }>("select max(seq)::text as seq from change_log where table_name = 'training_sessions' and row_id = $1", [sessionId]);
  return Number(row!.seq);
}

/**
 * Where the batch ends: the newest change, all of whose are committed here. (Not the frontier: on a shared
 * server another database's transaction can hold it back, and the next look would see this file's
 * setup again and rebuild for it.)
 */
async function batchEnd(db: Db): Promise<ChangePosition> {
  const { rows: [row] } = await db.query<{ txid: string; seq: string }>('select txid::text as txid, seq::text as seq from change_log order by txid desc, seq desc limit 1');
  return { txid: BigInt(row!.txid), seq: BigInt(row!.seq) };
}

/** Who of `streams` may see the change, by index. */
async function seeing(scopes: SubscriberScopes<Stream>, db: Db, streams: readonly Stream[], seq: number): Promise<number[]> {
  const visible = await scopes.authorise(streams, await batchEnd(db), [seq]);
  return [...(visible.get(seq) ?? [])].sort();
}

/** A seq the authorisation's `bigint[]` parameter refuses: the statement fails, the session lives on. */
const unreadableSeq = 1e30;

describe('kept stream scopes', () => {
  it('keep every scope through a failed statement, and rebuild nothing for it', async () => {
    const { db } = context;
    const { scopes, sessions, rows, built } = keptScopes(db);
    const [sa, instructor, otherInstructor] = [world.sa, world.instructor, world.otherInstructor].map((user) => ({ account: user.id }));
    try {
      const seq = await retitled(db);
      expect(await seeing(scopes, db, [sa!, instructor!], seq)).toEqual([0, 1]);
      expect(built()).toBe(2);
      // A failure of the statement over the kept scopes: nothing kept is lost.
      await expect(scopes.authorise([sa!, instructor!], await batchEnd(db), [unreadableSeq])).rejects.toThrow();
      expect(await seeing(scopes, db, [sa!, instructor!], seq)).toEqual([0, 1]);
      expect(built()).toBe(2);
      // A rebuild that fails after writing a new stream's scope rolls back, and keeps the others as they were.
      await expect(scopes.authorise([sa!, instructor!, otherInstructor!], await batchEnd(db), [unreadableSeq])).rejects.toThrow();
      expect(await seeing(scopes, db, [sa!, instructor!, otherInstructor!], seq)).toEqual([0, 1]);
      expect(built()).toBe(3);
      expect(sessions).toHaveLength(1);
      expect(await rows()).toHaveLength(3);
    } finally {
      await scopes.close();
    }
  });

  it('start again in a new session when a statement fails twice in a row', async () => {
    const { db } = context;
    const { scopes, sessions, built } = keptScopes(db);
    const streams = [world.sa, world.instructor].map((user) => ({ account: user.id }));
    try {
      const seq = await retitled(db);
      expect(await seeing(scopes, db, streams, seq)).toEqual([0, 1]);
      await expect(scopes.authorise(streams, await batchEnd(db), [unreadableSeq])).rejects.toThrow();
      await expect(scopes.authorise(streams, await batchEnd(db), [unreadableSeq])).rejects.toThrow();
      expect(await seeing(scopes, db, streams, seq)).toEqual([0, 1]);
      expect(sessions.length).toBeGreaterThan(1);
      expect(built()).toBe(4);
    } finally {
      await scopes.close();
    }
  });

  it('rebuild nothing while the feed is behind more scope changes than a look takes, once a look has seen them', async () => {
    const { db } = context;
    const { scopes, built } = keptScopes(db);
    const streams = [world.sa, world.instructor].map((user) => ({ account: user.id }));
    try {
      const seq = await retitled(db);
      // The feed's batch ends here, before the accounts below, and stays there while the feed is behind.
      const behind = await batchEnd(db);
      expect(await scopes.authorise(streams, behind, [seq])).toEqual(new Map([[seq, new Set([0, 1])]]));
      expect(built()).toBe(2);
      // More changes to a scope table than one look takes (10,000), none to a kept scope.
      const { rows: [inserted] } = await db.query<{ txid: string }>(
        `with added as (insert into users (email_ciphertext, email_hmac, role)
           select 'not-encrypted-test-value', 'kept-scopes-' || gen_random_uuid(), 'IN' from generate_series(1, 10001) returning 1)
         select pg_current_xact_id()::text as txid from added limit 1`,
      );
      // A look settles only what no open transaction may still precede (decision 0083); on a shared server
      // another test's transaction can be open a moment, and the look would rightly read these again.
      await vi.waitFor(async () => {
        const { rows: [frontier] } = await db.query<{ past: boolean }>('select change_log_frontier(pg_current_snapshot()) > $1::xid8 as past', [inserted?.txid]);
        if (frontier?.past !== true) throw new Error('a transaction older than the insert is still open');
      }, { timeout: 30_000, interval: 20 });
      // The first look after them finds more than it takes, and rebuilds every scope.
      await scopes.authorise(streams, behind, [seq]);
      expect(built()).toBe(4);
      // The next ones start after what that look's snapshot had settled, not at the batch's end again.
      for (let batch = 0; batch < 3; batch++) expect(await scopes.authorise(streams, behind, [seq])).toEqual(new Map([[seq, new Set([0, 1])]]));
      expect(built()).toBe(4);
    } finally {
      await scopes.close();
    }
  });

  it("remove an ended stream's scope from the tables at the next batch, without a rebuild", async () => {
    const { db } = context;
    const { scopes, rows, built } = keptScopes(db);
    const [sa, instructor, ap] = [world.sa, world.instructor, world.ap].map((user) => ({ account: user.id }));
    try {
      const seq = await retitled(db);
      expect(await seeing(scopes, db, [sa!, instructor!, ap!], seq)).toEqual([0, 1, 2]);
      const [, instructorRow, apRow] = await rows();
      scopes.forget(sa!);
      expect(await seeing(scopes, db, [instructor!, ap!], seq)).toEqual([0, 1]);
      expect(await rows()).toEqual([instructorRow, apRow]);
      expect(built()).toBe(3);
    } finally {
      await scopes.close();
    }
  });
});
