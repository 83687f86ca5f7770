import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { buildFixtureWorld, fixtureActors, fixtureNameOf, readSnapshot, type FixtureActor } from '../../../test/fixture-world.js';
import { randomWorld, rewire } from '../../../test/random-world.js';
import { accessMatrix, expectedRows } from './access-matrix.js';
import { inRolledBackTransaction, selectableKeys, updatableKeys } from '../../../test/rls-probes.js';
import { propertyRuns } from '../../../test/property-runs.js';

// Real database. Starting from the fixture world, each run rewires who teaches which session where,
// who is enrolled, who belongs to which provider, which provider has which location, whom each
// instructor is affiliated with and who instructs which roster; then for random actors the rows
// PostgreSQL lets them select and update on every table are exactly the matrix's.

let database: TestDatabase;

beforeAll(async () => {
  database = await createMigratedDatabase();
  await buildFixtureWorld(database.db);
});

afterAll(async () => {
  await database.drop();
});

const named = (keys: string[]) => keys.map(fixtureNameOf).sort();

describe('random worlds and random actors', () => {
  it('RLS lets every actor select and update exactly the rows the matrix computes, on every table', async () => {
    await fc.assert(
      fc.asyncProperty(randomWorld, fc.uniqueArray(fc.constantFrom<FixtureActor>(...fixtureActors), { minLength: 1, maxLength: 3 }), async (random, actors) => {
        const mismatches = await inRolledBackTransaction(database.db, async (tx) => {
          await rewire(tx, random);
          const snapshot = await readSnapshot(tx);
          const found: string[] = [];
          for (const actor of actors) {
            for (const { table, primaryKey } of accessMatrix) {
              const allKeys = snapshot[table].map((row) => String(row[primaryKey]));
              const selected = named(await selectableKeys(tx, table, primaryKey, actor));
              const updated = named(await updatableKeys(tx, table, primaryKey, actor, allKeys));
              const expectedSelect = named(expectedRows(table, 'select', actor, snapshot));
              const expectedUpdate = named(expectedRows(table, 'update', actor, snapshot));
              if (JSON.stringify(selected) !== JSON.stringify(expectedSelect)) found.push(`${actor.name} select ${table}: RLS ${selected} matrix ${expectedSelect}`);
              if (JSON.stringify(updated) !== JSON.stringify(expectedUpdate)) found.push(`${actor.name} update ${table}: RLS ${updated} matrix ${expectedUpdate}`);
            }
          }
          return found;
        });
        expect(mismatches).toEqual([]);
      }),
      // Each run probes up to 3 actors × 29 tables × 2 operations; shrinking a failure stays bounded.
      propertyRuns(20),
    );
  });
});
