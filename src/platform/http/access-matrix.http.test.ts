import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { httpResources, listAll } from '../../../test/http-resources.js';
import { buildFixtureWorld, type FixtureActor, fixtureNameOf, type FixtureWorld } from '../../../test/fixture-world.js';
import { useTestApp } from '../../../test/test-app.js';
import type { Role } from '../db/actor.js';
import { accessOf, expectedRows, hiddenColumns } from '../security/access-matrix.js';

/**
 * The access matrix checked through the HTTP API: for every resource the API exposes and every
 * fixture actor, the rows a list returns, the fields it hides and the rows a change may touch are
 * exactly what the matrix says. Generated from the matrix and this table of resources, not case by case.
 */
const context = useTestApp();
let world: FixtureWorld;
const tokens = new Map<string, string>();
/** Actors with an active account (an inactive one's token is refused outright, tested with authentication). */
const signedIn = () =>
  world.actors.filter(
    (actor): actor is FixtureActor & { userId: string; role: Role } =>
      actor.userId !== null && world.snapshot.users.some((user) => user['id'] === actor.userId && user['status'] === 'ACTIVE'),
  );

beforeAll(async () => {
  world = await buildFixtureWorld(context.db);
  for (const actor of signedIn()) tokens.set(actor.name, await mintAccessToken(testKeyring, { userId: actor.userId, role: actor.role, providerId: actor.providerId }));
});

const names = (ids: string[]) => ids.map(fixtureNameOf).sort();

describe.each(httpResources)('$path follows the access matrix', (resource) => {
  it('lists exactly the rows each role may see, with exactly the hidden fields nulled', async () => {
    for (const actor of signedIn()) {
      const items = await listAll(context.app, resource.path, tokens.get(actor.name) as string);
      const expected = expectedRows(resource.table, 'select', actor, world.snapshot);
      expect(names(items.map((item) => String(item['id']))), `${actor.name} lists ${resource.path}`).toEqual(names(expected));
      for (const item of items) {
        const stored = world.snapshot[resource.table].find((row) => row['id'] === item['id']) as Record<string, unknown>;
        const hidden = hiddenColumns(resource.table, actor, stored, world.snapshot);
        for (const [field, column] of Object.entries(resource.fields)) {
          const shouldShow = stored[column] !== null && !hidden.includes(column);
          expect(item[field] !== null, `${actor.name} sees ${field} of ${fixtureNameOf(String(item['id']))}`).toBe(shouldShow);
        }
      }
    }
  });

  it('signed out, it answers 401', async () => {
    expect((await context.app.inject({ method: 'GET', url: resource.path })).statusCode).toBe(401);
  });

  it.runIf(resource.updatable)('lets each role change exactly the rows the matrix allows (403 for visible others, 404 for invisible)', async () => {
    for (const actor of signedIn()) {
      const visible = new Set(expectedRows(resource.table, 'select', actor, world.snapshot));
      const writable = new Set(expectedRows(resource.table, 'update', actor, world.snapshot));
      const roleMayUpdate = accessOf(resource.table).rules.update.some((rule) => rule.roles.includes(actor.role));
      for (const row of world.snapshot[resource.table]) {
        const id = String(row['id']);
        const { rows } = await context.db.query<{ version: number }>(`select version from ${resource.table} where id = $1`, [id]);
        const response = await context.app.inject({
          method: 'PATCH',
          url: `${resource.path}/${id}`,
          headers: bearer(tokens.get(actor.name) as string),
          payload: { ...resource.unchanged?.(row), version: rows[0]?.version },
        });
        const rowAnswer = writable.has(id) ? 200 : visible.has(id) ? 403 : 404;
        // A route may refuse a role that can change no row of the table at all before looking for the row.
        const allowed = roleMayUpdate ? [rowAnswer] : [rowAnswer, 403];
        expect(allowed, `${actor.name} changes ${fixtureNameOf(id)}: ${response.body}`).toContain(response.statusCode);
      }
    }
  });
});
