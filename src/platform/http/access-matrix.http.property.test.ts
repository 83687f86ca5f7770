import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintAccessToken, testKeyring } from '../../../test/auth.js';
import { buildFixtureWorld, type FixtureActor, fixtureActors, fixtureNameOf, readSnapshot } from '../../../test/fixture-world.js';
import { httpResources, listAll } from '../../../test/http-resources.js';
import { randomWorld, rewire } from '../../../test/random-world.js';
import type { Role } from '../db/actor.js';
import { accessOf, expectedRows } from '../security/access-matrix.js';
import { inRolledBackTransaction, selectableKeys } from '../../../test/rls-probes.js';
import { propertyRuns } from '../../../test/property-runs.js';
import { useTestApp } from '../../../test/test-app.js';

/**
 * Random worlds (committed, so the API's own connections see them) and random signed-in actors: every
 * list the API serves returns a subset of what RLS lets that actor select, and exactly what the matrix says.
 */
const context = useTestApp();

beforeAll(async () => {
  await buildFixtureWorld(context.db);
});

const named = (keys: string[]) => keys.map(fixtureNameOf).sort();
const signedInActors = fixtureActors.filter((actor) => actor.userId !== null);

describe('random worlds through the API', () => {
  it('every list is a subset of what RLS allows, and equal to what the matrix says', async () => {
    await fc.assert(
      fc.asyncProperty(randomWorld, fc.uniqueArray(fc.constantFrom<FixtureActor>(...signedInActors), { minLength: 1, maxLength: 2 }), async (random, actors) => {
        await context.db.transaction((tx) => rewire(tx, random));
        const snapshot = await readSnapshot(context.db);
        const problems: string[] = [];
        for (const actor of actors) {
          if (snapshot.users.find((user) => user['id'] === actor.userId)?.['status'] !== 'ACTIVE') continue;
          const token = await mintAccessToken(testKeyring, { userId: actor.userId as string, role: actor.role as Role, providerId: actor.providerId });
          for (const resource of httpResources) {
            const listed = named((await listAll(context.app, resource.path, token)).map((item) => String(item['id'])));
            const { primaryKey } = accessOf(resource.table);
            const allowed = new Set(named(await inRolledBackTransaction(context.db, (tx) => selectableKeys(tx, resource.table, primaryKey, actor))));
            const outside = listed.filter((name) => !allowed.has(name));
            if (outside.length > 0) problems.push(`${actor.name} got ${outside.join(', ')} from ${resource.path} beyond RLS`);
            const expected = named(expectedRows(resource.table, 'select', actor, snapshot));
            if (JSON.stringify(listed) !== JSON.stringify(expected)) problems.push(`${actor.name} ${resource.path}: API ${listed} matrix ${expected}`);
          }
        }
        expect(problems).toEqual([]);
      }),
      propertyRuns(10),
    );
  });
});
