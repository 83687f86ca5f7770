import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { testEngine } from '../../../test/engine.js';
import type { Actor } from './actor.js';
import { databaseRoleOf, databaseRoles, type Db } from './database.js';

// The request path's transactions (decision 0051): BEGIN, the claims and the first query in one round
// trip; reads as one READ ONLY transaction per statement. Each case runs twice: the first use of a text
// on a connection goes statement by statement, later ones as one batch.
let database: TestDatabase;
let db: Db;
const actor: Actor = { userId: '00000000-0000-4000-8000-000000000001', role: 'AD', providerId: null, requestId: 'round-trips' };

beforeAll(async () => {
  database = await createMigratedDatabase();
  db = database.db;
  await db.query('create table round_trip_probe (id integer primary key)');
  await db.query('grant select, insert on round_trip_probe to unitrain_app');
});
afterAll(async () => {
  await database?.drop();
});

const whoAmI = `select current_user as role_name, current_setting('unitrain.role', true) as claimed_role,
  coalesce(current_setting('unitrain.request_id', true), '') as request_id, current_setting('transaction_read_only') as read_only`;

/** A text no connection has prepared before this file's first use of it. */
const manyAtOnce = `${whoAmI} -- many at once ${randomUUID()}`;

describe.each([1, 2])('use %i of each text', () => {
  it('keeps each of many reads at once to its own claims, one failing without the others (decision 0067)', async () => {
    // On PostgreSQL these share the reader's pipelined connections: written one after another, answered in turn.
    const actors: Actor[] = Array.from({ length: 40 }, (_, index) => ({ ...actor, role: index % 2 === 0 ? 'AD' : 'SA', requestId: `many-${index}` }));
    const outcomes = await Promise.allSettled(
      actors.map((each, index) => db.reader.withActor(each, async (tx) => (await tx.query(index === 7 ? 'select 1 / 0 as n' : manyAtOnce)).rows[0])),
    );
    outcomes.forEach((outcome, index) => {
      if (index === 7) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: '22012' } });
      // A read sets no request id (decision 0082: only what a transaction writes records it), so none is left by the read before it.
      else expect(outcome).toEqual({ status: 'fulfilled', value: { role_name: databaseRoleOf(actors[index]!.role), claimed_role: actors[index]?.role, request_id: '', read_only: 'on' } });
    });
  });

  it('reads through the reader as the actor, read only, and leaves nothing behind', async () => {
    const seen = await db.reader.withActor(actor, async (tx) => [(await tx.query(whoAmI)).rows[0], (await tx.query(whoAmI)).rows[0]]);
    expect(seen).toEqual([0, 1].map(() => ({ role_name: databaseRoles.AD, claimed_role: 'AD', request_id: '', read_only: 'on' })));
    const writing = db.reader.withActor(actor, (tx) => tx.query('insert into round_trip_probe (id) values (1)'));
    await expect(writing).rejects.toMatchObject({ code: '25006' });
    const failing = db.reader.withActor(actor, (tx) => tx.query('select 1 / (select count(*)::integer from round_trip_probe) as n'));
    await expect(failing).rejects.toMatchObject({ code: '22012' });
    // A value that cannot be sent fails its statement before anything is written, and the connection serves the next read.
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    await expect(db.reader.withActor(actor, (tx) => tx.query('select $1::jsonb as value', [circular]))).rejects.toThrow(/circular/i);
    expect((await db.reader.withActor(actor, (tx) => tx.query('select 1 as one'))).rows).toEqual([{ one: 1 }]);
    const after = (await db.query<{ role_name: string; claimed_role: string | null }>(whoAmI)).rows[0];
    expect(after?.role_name).not.toBe(databaseRoles.AD);
    expect(after?.claimed_role ?? '').toBe('');
  });

  it('writes as the actor all or nothing: a failing second statement undoes the first', async () => {
    const id = testEngine === 'postgres' ? 10 : 20;
    const failing = db.withActor(actor, async (tx) => {
      expect((await tx.query(whoAmI)).rows[0]).toMatchObject({ role_name: databaseRoles.AD, claimed_role: 'AD', read_only: 'off' });
      await tx.query('insert into round_trip_probe (id) values ($1)', [id]);
      await tx.query('insert into round_trip_probe (id) values ($1)', [id]);
    });
    await expect(failing).rejects.toMatchObject({ code: '23505' });
    const failingFirst = db.withActor(actor, (tx) => tx.query('insert into round_trip_probe (id) values ($1), ($1)', [id]));
    await expect(failingFirst).rejects.toMatchObject({ code: '23505' });
    expect((await db.query('select id from round_trip_probe where id = $1', [id])).rowCount).toBe(0);
    expect(await db.withActor(actor, async () => 'no statement')).toBe('no statement');
  });

  it('runs statements sent at once as the actor, those sent beside the first too', async () => {
    // A text no connection has prepared yet (the first use); the second time, where the pool's last connection has.
    const sentAtOnce = `${whoAmI} -- sent at once ${randomUUID()}`;
    const three = (tx: { query: Db['query'] }) => Promise.all([tx.query(sentAtOnce), tx.query(sentAtOnce), tx.query(sentAtOnce)]);
    for (let use = 1; use <= 2; use++) {
      const seen = [...(await db.withActor(actor, three)), ...(await db.reader.withActor(actor, three))];
      expect(seen.map((result) => result.rows[0])).toEqual(
        ['off', 'off', 'off', 'on', 'on', 'on'].map((readOnly) => ({ role_name: databaseRoles.AD, claimed_role: 'AD', request_id: readOnly === 'on' ? '' : 'round-trips', read_only: readOnly })),
      );
    }
  });
});

describe.runIf(testEngine === 'postgres')('round trips on PostgreSQL', () => {
  /** Round trips `run` made: each ends with a Sync (extended protocol) or is one simple query. */
  async function roundTrips(run: () => Promise<unknown>): Promise<number> {
    const syncs = vi.spyOn(pg.Connection.prototype, 'sync');
    const simple = vi.spyOn(pg.Connection.prototype, 'query');
    try {
      await run();
      return syncs.mock.calls.length + simple.mock.calls.length;
    } finally {
      syncs.mockRestore();
      simple.mockRestore();
    }
  }

  it('reads a statement in one round trip and writes one in two (the first with BEGIN and the claims, then COMMIT)', async () => {
    const read = () => db.reader.withActor(actor, (tx) => tx.query('select count(*) from round_trip_probe where id = $1', [1]));
    const write = () => db.withActor(actor, (tx) => tx.query('select count(*) from round_trip_probe where id = $1', [2]));
    // A connection prepares a text on its first use, statement by statement; the pool hands out the
    // connection released last, so these calls run where the texts are prepared.
    await read();
    await write();
    expect(await roundTrips(read)).toBe(1);
    expect(await roundTrips(write)).toBe(2);
    expect(await roundTrips(() => db.withActor(actor, async () => 'nothing'))).toBe(0);
  });

  it('sends a read run beside a slow one on another connection: it does not wait behind it (decision 0067)', async () => {
    let slowAnswered = false;
    const slow = db.reader.withActor(actor, (tx) => tx.query('select pg_sleep(1)')).then(() => {
      slowAnswered = true;
    });
    expect((await db.reader.withActor(actor, (tx) => tx.query('select 1 as one'))).rows).toEqual([{ one: 1 }]);
    expect(slowAnswered).toBe(false);
    await slow;
  });
});
