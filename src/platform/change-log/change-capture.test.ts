import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { buildFixtureWorld, fixtureActor, fixtureId } from '../../../test/fixture-world.js';
import type { Actor } from '../db/actor.js';
import type { Db, Queryable, Row, Tx } from '../db/database.js';
import { domainTables, type Snapshot } from '../security/access-matrix.js';

// Real database; the fixture world gives every captured table rows of every shape. Each write below
// runs in a transaction that is rolled back, so the world stays as built for the next test.
let database: TestDatabase;
let db: Db;
let snapshot: Snapshot;

beforeAll(async () => {
  database = await createMigratedDatabase();
  db = database.db;
  snapshot = (await buildFixtureWorld(db)).snapshot;
});

afterAll(async () => {
  await database?.drop();
});

interface Scope {
  location_id: unknown;
  provider_id: unknown;
  instructor_id: unknown;
  user_id: unknown;
}

const unscoped: Scope = { location_id: null, provider_id: null, instructor_id: null, user_id: null };
const ownScope = (row: Row): Scope => ({ ...unscoped, location_id: row['location_id'], provider_id: row['provider_id'], instructor_id: row['instructor_id'] });
const parentOf = (table: 'training_sessions' | 'rosters', id: unknown): Row => {
  const parent = snapshot[table].find((row) => row['id'] === id);
  if (!parent) throw new Error(`no ${table} row ${String(id)} in the fixture`);
  return parent;
};

/** What each captured table's change rows must carry, worked out from the row itself (and its parent). */
const expectedScopes = {
  training_sessions: ownScope,
  course_schedules: ownScope,
  rosters: ownScope,
  session_enrollments: (row: Row) => ({ ...ownScope(parentOf('training_sessions', row['session_id'])), user_id: row['student_id'] }),
  student_roster_members: (row: Row) => ({ ...ownScope(parentOf('rosters', row['roster_id'])), user_id: row['student_id'] }),
  certificates: (row: Row) => ({ location_id: row['location_id'], provider_id: row['provider_id'], instructor_id: row['issued_by'], user_id: row['user_id'] }),
  courses: () => unscoped,
  locations: (row: Row) => ({ ...unscoped, location_id: row['id'] }),
  authorized_providers: (row: Row) => ({ ...unscoped, provider_id: row['id'] }),
  provider_locations: (row: Row) => ({ ...unscoped, location_id: row['location_id'], provider_id: row['provider_id'] }),
  provider_members: (row: Row) => ({ ...unscoped, provider_id: row['provider_id'], user_id: row['user_id'] }),
  student_enrollment_profiles: (row: Row) => ({ ...unscoped, provider_id: row['provider_id'] }),
  users: (row: Row) => ({ ...unscoped, user_id: row['id'] }),
  profiles: (row: Row) => ({ ...unscoped, user_id: row['user_id'] }),
  instructor_profiles: (row: Row) => ({ ...unscoped, provider_id: row['provider_id'], user_id: row['user_id'] }),
  compliance_records: (row: Row) => ({ ...unscoped, user_id: row['user_id'] }),
} satisfies Record<string, (row: Row) => Scope>;
type CapturedTable = keyof typeof expectedScopes;
const capturedTables = Object.keys(expectedScopes) as CapturedTable[];
const logTables = new Set(['audit_log', 'domain_events', 'change_log']);
/** Every table the fixture fills, parents first (the order of migrations 0002–0018). */
const dataTables = domainTables.filter((table) => !logTables.has(table));

class RolledBack<T> extends Error {
  constructor(readonly result: T) {
    super('rolled back on purpose');
  }
}

/**
 * Runs `fn` in a transaction that is then rolled back, and returns what it returned: as the owner, or
 * as the given actor the way a request runs.
 */
async function rolledBack<T>(fn: (tx: Tx) => Promise<T>, actor?: Actor): Promise<T> {
  const body = async (tx: Tx) => {
    throw new RolledBack(await fn(tx));
  };
  try {
    await (actor ? db.withActor(actor, body) : db.transaction(body));
  } catch (error) {
    if (error instanceof RolledBack) return error.result as T;
    throw error;
  }
  throw new Error('unreachable: the transaction always throws');
}

/** A change row reduced to what a test compares, in a stable order. */
const shapeOf = (change: Pick<ChangeRow, 'row_id' | 'operation' | 'location_id' | 'provider_id' | 'instructor_id' | 'user_id'>) => ({
  row_id: change.row_id, operation: change.operation,
  location_id: change.location_id, provider_id: change.provider_id, instructor_id: change.instructor_id, user_id: change.user_id,
});
const sorted = <T extends { row_id: string; operation: string }>(list: T[]) =>
  [...list].sort((a, b) => `${a.operation}${a.row_id}`.localeCompare(`${b.operation}${b.row_id}`));

function expectedChanges(table: CapturedTable, operation: ChangeRow['operation']) {
  return sorted(snapshot[table].map((row) => ({ row_id: row['id'] as string, operation, ...expectedScopes[table](row) })));
}

function changesOf(changes: ChangeRow[], table: CapturedTable, operation: ChangeRow['operation']) {
  return sorted(changes.filter((c) => c.table_name === table && c.operation === operation).map(shapeOf));
}

/** One captured change (migration 0021), read as the owner. */
interface ChangeRow {
  seq: string;
  txid: string;
  table_name: string;
  operation: 'INSERT' | 'UPDATE' | 'DELETE';
  row_id: string;
  location_id: string | null;
  provider_id: string | null;
  instructor_id: string | null;
  user_id: string | null;
}

// By sequence, not by the stream's settled (txid, seq) order: these tests read their own transaction's
// rows before it commits, which the stream never does.
async function lastChangeSeq(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ last: string }>('select coalesce(max(seq), 0)::text as last from change_log');
  return rows[0]?.last ?? '0';
}

async function listChangesAfter(db: Queryable, afterSeq: string, limit: number): Promise<ChangeRow[]> {
  const { rows } = await db.query<ChangeRow>(
    `select seq::text, txid::text, table_name, operation, row_id, location_id, provider_id, instructor_id, user_id
       from change_log where seq > $1 order by seq limit $2`,
    [afterSeq, limit],
  );
  return rows;
}

async function changesDuring(tx: Tx, write: () => Promise<unknown>): Promise<ChangeRow[]> {
  const before = await lastChangeSeq(tx);
  await write();
  return listChangesAfter(tx, before, 100_000);
}

describe('change capture', () => {
  it('has fixture rows for every captured table, so every check below compares something', () => {
    for (const table of capturedTables) expect(snapshot[table].length, table).toBeGreaterThan(0);
  });

  it.each(capturedTables)('captures an UPDATE of every %s row with the row’s scope keys', async (table) => {
    const changes = await rolledBack((tx) => changesDuring(tx, () => tx.query(`update ${table} set id = id`)));
    expect(changesOf(changes, table, 'UPDATE')).toEqual(expectedChanges(table, 'UPDATE'));
  });

  it('captures a DELETE and an INSERT of every row of every captured table with the row’s scope keys', async () => {
    const changes = await rolledBack((tx) =>
      changesDuring(tx, async () => {
        // Children first, so no delete cascades or is refused; then parents first again. A published
        // course or certificate template and its version refer to each other: they come back unpublished.
        await tx.query(`update courses set status = 'DRAFT', published_at = null, published_version = null`);
        await tx.query('update certificate_templates set published_at = null, published_version = null');
        // A certificate's place in the status lists (not a domain table) holds it; inserting it gives a new one.
        await tx.query('delete from certificate_status_entries');
        for (const table of [...dataTables].reverse()) await tx.query(`delete from ${table}`);
        for (const table of dataTables) {
          const unpublished = { courses: { status: 'DRAFT', published_at: null, published_version: null }, certificate_templates: { published_at: null, published_version: null } }[table as string];
          const rows = unpublished ? snapshot[table].map((row) => ({ ...row, ...unpublished })) : snapshot[table];
          await tx.query(`insert into ${table} select * from json_populate_recordset(null::${table}, $1)`, [JSON.stringify(rows)]);
        }
      }),
    );
    for (const table of capturedTables) {
      expect(changesOf(changes, table, 'DELETE'), `${table} DELETE`).toEqual(expectedChanges(table, 'DELETE'));
      expect(changesOf(changes, table, 'INSERT'), `${table} INSERT`).toEqual(expectedChanges(table, 'INSERT'));
    }
  });

  it('writes one row per changed row, all with the writing transaction’s id, for a request as the application role', async () => {
    const sessions = snapshot.training_sessions.slice(0, 3).map((row) => row['id'] as string);
    const { changes, txid } = await rolledBack(async (tx) => {
      const changes = await changesDuring(tx, () => tx.query(`update training_sessions set title = title || ' (moved)' where id = any($1::uuid[])`, [sessions]));
      const { rows } = await tx.query<{ txid: string }>('select pg_current_xact_id()::text as txid');
      return { changes, txid: rows[0]?.txid };
    }, fixtureActor('sa'));
    expect(changes.map((c) => c.row_id).sort()).toEqual([...sessions].sort());
    expect(new Set(changes.map((c) => c.txid))).toEqual(new Set([txid]));
  });

  it('leaves nothing behind when the writing transaction rolls back', async () => {
    const before = await lastChangeSeq(db);
    const name = `Rolled back hall ${Date.now()}`;
    await expect(
      db.withActor(fixtureActor('sa'), async (tx) => {
        await tx.query(`insert into locations (name) values ($1)`, [name]);
        await tx.query(`update training_sessions set title = title where id = $1`, [fixtureId('s1')]);
        throw new Error('the request failed after writing');
      }),
    ).rejects.toThrow('the request failed after writing');
    expect(await listChangesAfter(db, before, 10)).toEqual([]);
  });

  it('honours the bulk-load switch for the owner only, never for a request', async () => {
    const session = fixtureId('s1');
    const touch = (tx: Tx) => tx.query(`update training_sessions set title = title where id = $1`, [session]);
    const switchOff = (tx: Tx) => tx.query(`select set_config('unitrain.audit', 'off', true)`);
    const asOwner = await rolledBack((tx) => changesDuring(tx, async () => {
      await switchOff(tx);
      await touch(tx);
    }));
    expect(asOwner).toEqual([]);
    const asRequest = await rolledBack((tx) => changesDuring(tx, async () => {
      await switchOff(tx);
      await touch(tx);
    }), fixtureActor('ad'));
    expect(asRequest.map(shapeOf)).toEqual([{ row_id: session, operation: 'UPDATE', ...ownScope(parentOf('training_sessions', session)) }]);
  });
});

describe('change_log under the application role', () => {
  const countAs = (name: Parameters<typeof fixtureActor>[0]) =>
    db.withActor(fixtureActor(name), async (tx) => (await tx.query<{ n: number }>('select count(*)::integer as n from change_log')).rows[0]?.n);

  it('is read by administrators only', async () => {
    const total = (await db.query<{ n: number }>('select count(*)::integer as n from change_log')).rows[0]?.n;
    expect(total).toBeGreaterThan(0);
    expect(await countAs('sa')).toBe(total);
    expect(await countAs('ad')).toBe(total);
    for (const name of ['ap1', 'ic1', 'ip1', 'it1', 'in1', 'anon'] as const) expect(await countAs(name), name).toBe(0);
  });

  it('is never rewritten or erased by a request, not even an administrator’s', async () => {
    for (const statement of ['update change_log set user_id = null', 'delete from change_log']) {
      await expect(db.withActor(fixtureActor('sa'), (tx) => tx.query(statement)), statement).rejects.toMatchObject({ code: '42501' });
    }
  });

  it('takes no direct row from a signed-out caller', async () => {
    await expect(
      db.withActor(fixtureActor('anon'), (tx) =>
        tx.query(`insert into change_log (table_name, operation, row_id) values ('locations', 'INSERT', $1)`, [fixtureId('l1')]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });
});
