import { describe, expect, it } from 'vitest';
import type { Db } from '../src/platform/db/database.js';
import { describeCatalogue } from './catalogue.js';
import { createMigratedDatabase } from './database.js';
import { testEngine } from './engine.js';

// The worker's one PGlite, put back to the migrated state between files (decision 0057), when putting it
// back fails half way: the next file must get a freshly loaded copy, not the half-reset one. The failures
// are real ones of the database, as a file could leave them. The server engine clones a database per file.

/** What a file leaves behind that the reset undoes (rows) or cannot (a trigger): a fresh copy has neither. */
async function leftovers(db: Db): Promise<{ providers: number; triggers: number }> {
  const { rows: [row] } = await db.query<{ providers: number; triggers: number }>(
    `select (select count(*)::integer from authorized_providers where name = 'Left by the last file') as providers,
            (select count(*)::integer from pg_trigger where tgname = 'refuse_truncate') as triggers`,
  );
  return row!;
}

describe.skipIf(testEngine === 'postgres')('a reset of the reused PGlite that fails half way', () => {
  it('gives the next file a freshly loaded database when a table cannot be emptied', async () => {
    const used = await createMigratedDatabase();
    const migratedSchema = await describeCatalogue(used.db);
    const before = (await used.db.query<{ n: number }>('select count(*)::integer as n from schema_migrations')).rows[0]!.n;
    await used.db.query(`insert into authorized_providers (name) values ('Left by the last file')`);
    // A trigger enabled ALWAYS fires under the reset's session_replication_role = replica: its TRUNCATE of
    // every table fails after DISCARD ALL has run, inside its transaction.
    await used.db.query(`create function refuse_truncate() returns trigger language plpgsql as $$ begin raise exception 'this table cannot be emptied'; end $$`);
    await used.db.query('create trigger refuse_truncate before truncate on authorized_providers for each statement execute function refuse_truncate()');
    await used.db.query('alter table authorized_providers enable always trigger refuse_truncate');
    await expect(used.db.transaction(async (tx) => {
      await tx.query('set local session_replication_role = replica');
      await tx.query('truncate authorized_providers, users cascade');
    })).rejects.toThrow('this table cannot be emptied');
    await used.drop();

    const next = await createMigratedDatabase();
    try {
      expect(await leftovers(next.db)).toEqual({ providers: 0, triggers: 0 });
      expect(await describeCatalogue(next.db)).toEqual(migratedSchema);
      expect((await next.db.query<{ n: number }>('select count(*)::integer as n from schema_migrations')).rows[0]!.n).toBe(before);
      // And it is the worker's kept one now: a file after it gets it back, reset.
      await next.db.query(`insert into authorized_providers (name) values ('Left by the last file')`);
    } finally {
      await next.drop();
    }
    const third = await createMigratedDatabase();
    try {
      expect(await leftovers(third.db)).toEqual({ providers: 0, triggers: 0 });
    } finally {
      await third.drop();
    }
  });

  it('gives the next file a freshly loaded database when the file left its session in a failed transaction', async () => {
    const used = await createMigratedDatabase();
    await used.db.query(`insert into authorized_providers (name) values ('Left by the last file')`);
    await used.db.query('create function refuse_truncate() returns trigger language plpgsql as $$ begin return null; end $$');
    await used.db.query('create trigger refuse_truncate before truncate on authorized_providers for each statement execute function refuse_truncate()');
    // A transaction begun by hand and broken by an error: the session refuses everything until it ends.
    await used.db.query('begin');
    await expect(used.db.query('select 1 / 0')).rejects.toThrow('division by zero');
    await expect(used.db.query('select 1')).rejects.toThrow('current transaction is aborted');
    await used.drop();

    const next = await createMigratedDatabase();
    try {
      expect(await leftovers(next.db)).toEqual({ providers: 0, triggers: 0 });
      expect((await next.db.query<{ ok: number }>('select 1 as ok')).rows[0]!.ok).toBe(1);
    } finally {
      await next.drop();
    }
  });
});
