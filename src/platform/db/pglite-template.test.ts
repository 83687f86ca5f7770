import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryPath } from '../../repository-path.js';
import { openPgliteDatabase } from './pglite-database.js';
import { createQueryLog } from './query-log.js';

// `npm ci` builds dist/, and with it the template a new data directory is copied from (decision 0084).
let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'unitrain-template-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('a new embedded data directory', () => {
  it('starts as a copy of the build template, and a copy cut short (no PG_VERSION yet) is made again', async () => {
    expect(await readdir(repositoryPath('dist/pglite-template'))).toContain('PG_VERSION');
    const path = join(workDir, 'interrupted');
    // What a start killed during the copy leaves: some of the files, never PG_VERSION (copied last).
    await mkdir(join(path, 'global'), { recursive: true });
    await writeFile(join(path, 'global', 'pg_control'), 'cut short');
    const systemIdentifier = 'select system_identifier::text as id from pg_control_system()';
    const db = await openPgliteDatabase({ kind: 'directory', path }, createQueryLog(null, 0));
    const fresh = await openPgliteDatabase({ kind: 'directory', path: join(workDir, 'fresh') }, createQueryLog(null, 0));
    try {
      // initdb would give each its own system identifier; copies of one template share it.
      expect((await db.query(systemIdentifier)).rows).toEqual((await fresh.query(systemIdentifier)).rows);
      await db.exec('create table kept (id int primary key)');
      await db.query('insert into kept values (1)');
    } finally {
      await db.close();
      await fresh.close();
    }
    // Reopened, it is the same database, not a new copy over it.
    const reopened = await openPgliteDatabase({ kind: 'directory', path }, createQueryLog(null, 0));
    try {
      expect((await reopened.query<{ id: number }>('select id from kept')).rows).toEqual([{ id: 1 }]);
    } finally {
      await reopened.close();
    }
  });
});
