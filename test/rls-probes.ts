import type { Actor } from '../src/platform/db/actor.js';
import { applyActor, type Db, type Row, type Tx } from '../src/platform/db/database.js';
import type { DomainTable } from '../src/platform/security/access-matrix.js';

/**
 * Asks PostgreSQL what an actor may do, for the access-matrix tests: every probe runs in a savepoint
 * that is rolled back, so nothing it does stays. Table and key names come from the matrix, never
 * from input. The probes switch to the application role with the same `applyActor` as `withActor`.
 */

class Rollback extends Error {}

/** Runs `fn` in a transaction that is always rolled back, and returns what it returned. */
export async function inRolledBackTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await db
    .transaction(async (tx) => {
      result = await fn(tx);
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return result as T;
}

/** A refusal: a row-level-security violation or a missing privilege, both insufficient_privilege. */
const isRefusal = (error: unknown) => (error as { code?: string }).code === '42501';

/**
 * Runs `fn` in a savepoint that is always rolled back. `asOwner` runs first, as the connecting user
 * (a superuser in tests); then the transaction switches to the actor. Refusals resolve to null.
 */
async function probe<T>(tx: Tx, actor: Actor, fn: () => Promise<T>, asOwner?: () => Promise<void>): Promise<T | null> {
  await tx.query('savepoint probe');
  try {
    await asOwner?.();
    await applyActor(tx, actor);
    return await fn();
  } catch (error) {
    if (isRefusal(error)) return null;
    throw error;
  } finally {
    await tx.query('rollback to savepoint probe');
    await tx.query('release savepoint probe');
  }
}

/**
 * Replica mode skips foreign-key actions and user triggers (cascades, audit), so a probe observes the
 * policies alone. Only a superuser may set it; test databases connect as one.
 */
const withoutTriggers = (tx: Tx) => async () => {
  await tx.query('set local session_replication_role = replica');
};

const keysOf = (rows: { key: string }[] | null) => (rows ?? []).map((row) => row.key).sort();

export async function selectableKeys(tx: Tx, table: DomainTable, key: string, actor: Actor): Promise<string[]> {
  return keysOf(await probe(tx, actor, async () => (await tx.query<{ key: string }>(`select ${key}::text as key from ${table}`)).rows));
}

/** A no-op UPDATE of every given row: the rows it returns are the ones the actor may update. */
export async function updatableKeys(tx: Tx, table: DomainTable, key: string, actor: Actor, keys: string[]): Promise<string[]> {
  const sql = `update ${table} set ${key} = ${key} where ${key}::text = any($1::text[]) returning ${key}::text as key`;
  return keysOf(await probe(tx, actor, async () => (await tx.query<{ key: string }>(sql, [keys])).rows));
}

/**
 * One DELETE of every given row. Policies filter a DELETE's rows silently (only a missing privilege
 * fails the statement, and then for every row alike), so one statement per actor shows them all.
 */
export async function deletableKeys(tx: Tx, table: DomainTable, key: string, actor: Actor, keys: string[]): Promise<string[]> {
  const sql = `delete from ${table} where ${key}::text = any($1::text[]) returning ${key}::text as key`;
  return keysOf(await probe(tx, actor, async () => (await tx.query<{ key: string }>(sql, [keys])).rows, withoutTriggers(tx)));
}

/** Every row of `table` as JSON, read as the owner, for `insertableKeys`. */
export async function rowsAsJson(tx: Tx, table: DomainTable, key: string): Promise<{ key: string; json: string }[]> {
  return (await tx.query<{ key: string; json: string }>(`select ${key}::text as key, to_jsonb(t)::text as json from ${table} t`)).rows;
}

/**
 * Row by row: the owner deletes the row, the actor inserts it again. A failed WITH CHECK fails the
 * whole statement, hence one statement per row. No RETURNING: that would add the SELECT policies.
 */
export async function insertableKeys(tx: Tx, table: DomainTable, key: string, actor: Actor, rows: { key: string; json: string }[]): Promise<string[]> {
  const inserted: string[] = [];
  for (const row of rows) {
    const done = await probe(
      tx,
      actor,
      async () => tx.query(`insert into ${table} select * from json_populate_record(null::${table}, $1::json)`, [row.json]),
      async () => {
        await withoutTriggers(tx)();
        await tx.query(`delete from ${table} where ${key}::text = $1`, [row.key]);
      },
    );
    if (done) inserted.push(row.key);
  }
  return inserted.sort();
}

/** Every row of the `<table>_visible` view as the actor reads it. */
export async function visibleViewRows(tx: Tx, table: DomainTable, key: string, actor: Actor): Promise<Row[]> {
  return (await probe(tx, actor, async () => (await tx.query(`select * from ${table}_visible order by ${key}`)).rows)) ?? [];
}

/** What one statement did: its rows, or the SQLSTATE it failed with. */
export type StatementResult = { rows: Row[]; rowCount: number } | { code: string };

/**
 * Runs the statements as the actor, each rolled back before the next: one savepoint for all, so a
 * statement costs two round trips (the statement and the rollback), which keeps thousands of probes fast.
 */
export async function rolledBackStatements(tx: Tx, actor: Actor, statements: readonly { sql: string; params: unknown[] }[]): Promise<StatementResult[]> {
  await tx.query('savepoint actor');
  try {
    await applyActor(tx, actor);
    await tx.query('savepoint statement');
    const results: StatementResult[] = [];
    for (const statement of statements) {
      try {
        const { rows, rowCount } = await tx.query(statement.sql, statement.params);
        results.push({ rows, rowCount });
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === undefined) throw error;
        results.push({ code });
      } finally {
        await tx.query('rollback to savepoint statement');
      }
    }
    return results;
  } finally {
    await tx.query('rollback to savepoint actor');
    await tx.query('release savepoint actor');
  }
}

/** How a workflow function answered the actor (access-matrix.workflows.ts). */
export type ProbeAnswer = 'permitted' | 'forbidden' | 'not_found';

/**
 * A workflow function's checks come first: 42501 is forbidden, UT404 (or no row, or a null `answered`)
 * not found. A refusal for the row's state (UT409, UTTRN, UTCAP) comes after the checks let the caller
 * through: permitted. Anything else is not an answer of the checks.
 */
export function workflowAnswer(result: StatementResult): ProbeAnswer {
  if ('rows' in result) return result.rows[0] !== undefined && result.rows[0]['answered'] !== null ? 'permitted' : 'not_found';
  if (result.code === '42501') return 'forbidden';
  if (result.code === 'UT404') return 'not_found';
  if (result.code === 'UT409' || result.code === 'UTTRN' || result.code === 'UTCAP') return 'permitted';
  throw new Error(`a workflow failed with SQLSTATE ${result.code}`);
}

/** An UPDATE of one row: true when it changed the row, false when a policy or a guard refused it (42501), else the SQLSTATE. */
export function updateAnswer(result: StatementResult): boolean | string {
  return 'rows' in result ? result.rowCount === 1 : result.code === '42501' ? false : result.code;
}
