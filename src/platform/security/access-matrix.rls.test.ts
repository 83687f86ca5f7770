import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { buildFixtureWorld, fixtureNameOf, type FixtureActor, type FixtureWorld } from '../../../test/fixture-world.js';
import type { Tx } from '../db/database.js';
import {
  accessMatrix,
  accessOf,
  expectedRows,
  hiddenColumns,
  matrixRoles,
  operations,
  Scope,
  tablesWithHiddenFields,
  World,
  type Operation,
  type TableAccess,
} from './access-matrix.js';
import { deletableKeys, inRolledBackTransaction, insertableKeys, rowsAsJson, selectableKeys, updatableKeys, visibleViewRows } from '../../../test/rls-probes.js';

// Real database (PGlite, or PostgreSQL with DATABASE_URL) holding the fixture world. Generated from
// the matrix: for every table, operation and role, the rows PostgreSQL lets each fixture actor of
// that role touch are exactly the rows the matrix's rules compute from the same data.

let database: TestDatabase;
let world: FixtureWorld;

beforeAll(async () => {
  database = await createMigratedDatabase();
  world = await buildFixtureWorld(database.db, { passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$fixture$fixture' });
});

afterAll(async () => {
  await database.drop();
});

const named = (keys: string[]) => keys.map(fixtureNameOf).sort();

async function observe(tx: Tx, access: TableAccess, operation: Operation, actor: FixtureActor): Promise<string[]> {
  const { table, primaryKey } = access;
  const allKeys = world.snapshot[table].map((row) => String(row[primaryKey]));
  switch (operation) {
    case 'select':
      return selectableKeys(tx, table, primaryKey, actor);
    case 'update':
      return updatableKeys(tx, table, primaryKey, actor, allKeys);
    case 'delete':
      return deletableKeys(tx, table, primaryKey, actor, allKeys);
    case 'insert':
      return insertableKeys(tx, table, primaryKey, actor, await rowsAsJson(tx, table, primaryKey));
  }
}

describe.each(accessMatrix.map((access) => ({ table: access.table, access })))('$table', ({ access }) => {
  describe.each(operations)('%s', (operation) => {
    it.each(matrixRoles)('as %s: exactly the rows the matrix allows, for every fixture actor of the role', async (role) => {
      const actors = world.actors.filter((actor) => actor.role === role);
      const observed: Record<string, string[]> = {};
      const expected: Record<string, string[]> = {};
      await inRolledBackTransaction(database.db, async (tx) => {
        for (const actor of actors) {
          observed[actor.name] = named(await observe(tx, access, operation, actor));
          expected[actor.name] = named(expectedRows(access.table, operation, actor, world.snapshot));
        }
      });
      expect(actors.length).toBeGreaterThan(0);
      expect(observed).toEqual(expected);
    });
  });
});

describe.each(tablesWithHiddenFields)('%s_visible', (table) => {
  it.each(matrixRoles)('as %s: the rows of the table, with exactly the hidden fields null', async (role) => {
    const { primaryKey, unreadableColumns } = accessOf(table);
    const actors = world.actors.filter((actor) => actor.role === role);
    const observed: Record<string, unknown[]> = {};
    const expected: Record<string, unknown[]> = {};
    await inRolledBackTransaction(database.db, async (tx) => {
      for (const actor of actors) {
        observed[actor.name] = await visibleViewRows(tx, table, primaryKey, actor);
        const visible = new Set(expectedRows(table, 'select', actor, world.snapshot));
        expected[actor.name] = world.snapshot[table]
          .filter((row) => visible.has(String(row[primaryKey])))
          .map((row) => {
            const shown = Object.fromEntries(Object.entries(row).filter(([column]) => !unreadableColumns.includes(column)));
            for (const column of hiddenColumns(table, actor, row, world.snapshot)) shown[column] = null;
            return shown;
          });
      }
    });
    expect(observed).toEqual(expected);
  });
});

describe('the fixture world exercises the matrix', () => {
  it('gives every rule at least one row it allows, for some fixture actor of its roles', () => {
    const worldView = new World(world.snapshot);
    const idle = accessMatrix.flatMap((access) =>
      operations.flatMap((operation) =>
        access.rules[operation]
          .filter((rule) => {
            const scopes = world.actors.filter((actor) => rule.roles.includes(actor.role)).map((actor) => new Scope(worldView, actor));
            return !scopes.some((scope) => world.snapshot[access.table].some((row) => rule.allows(row, scope)));
          })
          .map((rule) => rule.id),
      ),
    );
    expect(idle).toEqual([]);
  });

});
