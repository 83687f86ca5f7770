import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeCatalogue } from '../../../../test/catalogue.js';
import { createEmptyDatabase, type TestDatabase } from '../../../../test/database.js';
import { defaultMigrationsDir, readMigrationFiles } from './migration-files.js';
import { MigrationError, historyProblems, migrateDown, migrateUp, migrationStatus } from './migrator.js';

// Real database: an empty PGlite, or an empty database on the PostgreSQL server when DATABASE_URL is set.
// The project's migrations are applied, rolled back and applied again once; the migrator's mechanics
// (status, steps, edits, dry runs, failures) are tested on a small set of four, in a copy each test may edit.
const smallMigrationsDir = fileURLToPath(new URL('../../../../test/fixtures/migrations/', import.meta.url));
let database: TestDatabase;
let dir: string;

beforeEach(async () => {
  database = await createEmptyDatabase();
  dir = await mkdtemp(join(tmpdir(), 'unitrain-migrations-'));
  await cp(smallMigrationsDir, dir, { recursive: true });
});

afterEach(async () => {
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

const appliedVersions = async () =>
  (await database.db.query<{ version: number }>('select version from schema_migrations order by version')).rows.map((r) => r.version);

describe('migrations', () => {
  it("the project's migrations: up, down of everything, then up again leaves an identical schema", async () => {
    const dir = defaultMigrationsDir;
    const files = await readMigrationFiles(dir);
    const first = await migrateUp(database.db, { source: dir });
    expect(first.planned).toEqual(files.map((f) => f.id));
    const migrated = await describeCatalogue(database.db);
    expect(migrated.filter((line) => line.startsWith('column ')).length).toBeGreaterThan(200);

    const down = await migrateDown(database.db, { toVersion: 0 }, { source: dir });
    expect(down.planned).toEqual(files.map((f) => f.id).reverse());
    const emptied = await describeCatalogue(database.db);
    expect(emptied.every((line) => line.includes('schema_migrations'))).toBe(true);

    await migrateUp(database.db, { source: dir });
    expect(await describeCatalogue(database.db)).toEqual(migrated);
  });

  it('reports pending migrations, then applied ones, and finds nothing to do the second time', async () => {
    const before = await migrationStatus(database.db, dir);
    expect(before.every((m) => m.state === 'pending')).toBe(true);
    await migrateUp(database.db, { source: dir });
    const after = await migrationStatus(database.db, dir);
    expect(after.every((m) => m.state === 'applied' && m.appliedAt instanceof Date)).toBe(true);
    expect((await migrateUp(database.db, { source: dir })).planned).toEqual([]);
  });

  it('rolls back exactly --steps K or everything above --to N', async () => {
    const versions = (await readMigrationFiles(dir)).map((f) => f.version);
    await migrateUp(database.db, { source: dir });
    expect(versions).toEqual([1, 2, 3, 4]);
    await migrateDown(database.db, { steps: 1 }, { source: dir });
    expect(await appliedVersions()).toEqual([1, 2, 3]);
    await migrateDown(database.db, { toVersion: 1 }, { source: dir });
    expect(await appliedVersions()).toEqual([1]);
    await migrateUp(database.db, { source: dir });
    expect(await appliedVersions()).toEqual(versions);
  });

  it('catches an applied migration whose file was edited, and refuses to migrate past it', async () => {
    await migrateUp(database.db, { source: dir });
    const file = join(dir, '0002_identity.up.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- an edit after the fact\n`);
    const states = await migrationStatus(database.db, dir);
    expect(states.find((s) => s.version === 2)?.state).toBe('edited');
    expect(historyProblems(states)).toEqual([expect.stringContaining('0002_identity.up.sql was edited after it was applied')]);
    await expect(migrateUp(database.db, { source: dir })).rejects.toThrow(MigrationError);
  });

  it('a dry run prints the plan and leaves the database unchanged, up and down', async () => {
    const empty = await describeCatalogue(database.db);
    const dryUp = await migrateUp(database.db, { source: dir, dryRun: true });
    expect(dryUp.planned.length).toBe((await readMigrationFiles(dir)).length);
    expect(await describeCatalogue(database.db)).toEqual(empty);
    const history = await database.db.query(`select to_regclass('schema_migrations') as t`);
    expect(history.rows[0]).toEqual({ t: null });

    await migrateUp(database.db, { source: dir });
    const migrated = await describeCatalogue(database.db);
    expect(migrated).toContain('view people_in_teams ' + migrated.find((line) => line.startsWith('view people_in_teams '))?.split(' ')[2]);
    const dryDown = await migrateDown(database.db, { toVersion: 0 }, { source: dir, dryRun: true });
    expect(dryDown.planned.length).toBe(dryUp.planned.length);
    expect(await describeCatalogue(database.db)).toEqual(migrated);
  });

  it('a failing migration leaves no trace of itself and keeps the ones before it', async () => {
    await writeFile(join(dir, '0900_broken.up.sql'), 'create table half_done (id int);\nselect * from no_such_table;\n');
    await writeFile(join(dir, '0900_broken.down.sql'), 'drop table half_done;\n');
    await expect(migrateUp(database.db, { source: dir })).rejects.toThrow(/0900_broken \(up\) failed: .*no_such_table/);
    const states = await migrationStatus(database.db, dir);
    expect(states.filter((s) => s.state === 'pending').map((s) => s.id)).toEqual(['0900_broken']);
    const { rows } = await database.db.query(`select to_regclass('half_done') as t`);
    expect(rows[0]).toEqual({ t: null });
  });
});
