import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/database.js';
import { testEngine } from '../../../test/engine.js';

// A real migrated database on either engine: `query` runs one statement, `exec` a script of several.
const context = useTestDatabase();

/** PostgreSQL's own refusal of a text of several statements sent as one prepared statement (42601). */
const severalStatements = { code: '42601', message: 'cannot insert multiple commands into a prepared statement' };

describe(`Db.query on ${testEngine}`, () => {
  it('refuses a text of several statements with the database\'s error, whatever the first statement is', async () => {
    const { db } = context;
    // Was, on PostgreSQL, a TypeError for a text pg sent by the simple protocol (it answers such a text with
    // one result per statement, and `query` read `rows` of the list); PGlite refused it already.
    await expect(db.query("set local statement_timeout = '5s'; select 1 as n")).rejects.toMatchObject(severalStatements);
    await expect(db.query('select 1 as n; select 2 as n')).rejects.toMatchObject(severalStatements);
    // A transaction's first statement goes to the server with its BEGIN (postgres-database.ts), the next ones alone.
    await expect(db.transaction((tx) => tx.query("set local statement_timeout = '5s'; select 2 as n"))).rejects.toMatchObject(severalStatements);
    await expect(db.transaction(async (tx) => {
      await tx.query('select 1 as n');
      await tx.query("set local statement_timeout = '5s'; select 2 as n");
    })).rejects.toMatchObject(severalStatements);
  });

  it('still runs one statement, with or without a closing semicolon, and exec still runs several', async () => {
    const { db } = context;
    expect((await db.query("set local statement_timeout = '5s';")).rows).toEqual([]);
    expect((await db.query<{ n: number }>('select 1 as n;')).rows).toEqual([{ n: 1 }]);
    await db.transaction(async (tx) => {
      await tx.exec("select set_config('unitrain.probe', 'a', true); select set_config('unitrain.probe', current_setting('unitrain.probe') || 'b', true)");
      expect((await tx.query<{ probe: string }>("select current_setting('unitrain.probe') as probe")).rows).toEqual([{ probe: 'ab' }]);
    });
  });
});
