import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import type { Actor, ActorRole } from '../db/actor.js';
import { actorClaims, databaseRoleOf, databaseRoles } from '../db/database.js';
import { matrixRoles } from './access-matrix.model.js';

// Real database, migrated. A request runs as the database role of its actor's role (decision 0086): the
// policies of other roles are not in its plan. These tests hold that the role is chosen by the code
// alone, and that it only ever narrows what the claims allow.

let database: TestDatabase;
const saAccounts = [randomUUID(), randomUUID()];

beforeAll(async () => {
  database = await createMigratedDatabase();
  for (const id of saAccounts) {
    await database.db.query(`insert into users (id, role, status, email_ciphertext, email_hmac) values ($1, 'SA', 'ACTIVE', 'x', $2)`, [id, randomUUID()]);
  }
});

afterAll(async () => {
  await database.drop();
});

const actorOf = (role: ActorRole): Actor => ({ userId: role === 'ANON' ? null : randomUUID(), role, providerId: null });

describe('the database role of a request', () => {
  it('is the one of its actor role, from a fixed table', () => {
    expect(matrixRoles.map(databaseRoleOf)).toEqual(['unitrain_sa', 'unitrain_ad', 'unitrain_ap', 'unitrain_ic', 'unitrain_ip', 'unitrain_it', 'unitrain_in', 'unitrain_anon']);
    expect(Object.keys(databaseRoles).sort()).toEqual([...matrixRoles].sort());
  });

  it.each(['postgres', 'unitrain_app', 'unitrain_sa', 'sa', '__proto__', 'toString', 'constructor', "SA', true), set_config('role', 'postgres", ''])(
    'is refused for a role outside the table (%j), before any statement is made',
    (role) => {
      expect(() => databaseRoleOf(role as ActorRole)).toThrow(/no database role/);
      expect(() => actorClaims({ userId: null, role: role as ActorRole, providerId: null })).toThrow(/no database role/);
    },
  );

  it.each(matrixRoles)('is what a transaction of an %s runs as, writing and reading', async (role) => {
    const actor = actorOf(role);
    const whoAmI = `select current_user as role, current_setting('unitrain.role') as claim`;
    expect((await database.db.withActor(actor, (tx) => tx.query(whoAmI))).rows).toEqual([{ role: databaseRoles[role], claim: role }]);
    expect((await database.db.reader.withActor(actor, (tx) => tx.query(whoAmI))).rows).toEqual([{ role: databaseRoles[role], claim: role }]);
  });

  it('narrows what the claims allow: claims of an SA under an AD role see no SA account, under the SA role they do', async () => {
    const saAccountsSeen = (role: ActorRole) =>
      database.db.withActor(actorOf(role), async (tx) => {
        // What a mistake (or a statement that sets claims) could do inside a transaction: claim SA.
        await tx.query(`select set_config('unitrain.role', 'SA', true)`);
        const { rows } = await tx.query<{ n: number }>(`select count(*)::int as n from users where id = any($1::uuid[])`, [saAccounts]);
        return rows[0]?.n;
      });
    expect(await saAccountsSeen('SA')).toBe(2);
    for (const role of matrixRoles.filter((each) => each !== 'SA')) expect(await saAccountsSeen(role), role).toBe(0);
  });

  it('takes nothing from the claims: under the SA role, claims of an IT see no SA account either', async () => {
    const seen = await database.db.withActor(actorOf('SA'), async (tx) => {
      await tx.query(`select set_config('unitrain.role', 'IT', true)`);
      return (await tx.query<{ n: number }>(`select count(*)::int as n from users where id = any($1::uuid[])`, [saAccounts])).rows[0]?.n;
    });
    expect(seen).toBe(0);
  });
});
