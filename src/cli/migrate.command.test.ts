import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliPath, runCli, withMigratedEmbeddedDatabase } from '../../test/cli.js';
import { createEmptyDatabase, createMigratedDatabase, type TestDatabase } from '../../test/database.js';
import { testEngine } from '../../test/engine.js';
import { defaultMigrationsDir } from '../platform/db/migrations/migration-files.js';

// Real `unitrain migrate` processes against a migrated embedded data directory or PostgreSQL database
// (applying every migration from nothing is the migrator's own test, in process: seconds per run here).
let workDir: string;
let migrationsDir: string;
let database: TestDatabase | null = null;
let env: Record<string, string>;

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'unitrain-cli-'));
  migrationsDir = join(workDir, 'migrations');
  await cp(defaultMigrationsDir, migrationsDir, { recursive: true });
  env = { DATA_DIR: await withMigratedEmbeddedDatabase(join(workDir, 'data')) };
  if (testEngine === 'postgres') {
    database = await createMigratedDatabase();
    env['DATABASE_URL'] = database.url as string;
  }
});

/** Points the processes at an empty PostgreSQL database instead of the migrated one. */
async function startFromNothing(): Promise<void> {
  await database?.drop();
  database = await createEmptyDatabase();
  env['DATABASE_URL'] = database.url as string;
}

afterEach(async () => {
  await database?.drop();
  database = null;
  await rm(workDir, { recursive: true, force: true });
});

const migrate = (...args: string[]) => runCli(['migrate', '--dir', migrationsDir, ...args], env);

describe('unitrain migrate', () => {
  it('status, down --steps, dry run, up and validate report what they do', async () => {
    const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.up.sql')).sort();
    const count = files.length;
    const [secondLast, last] = files.slice(-2).map((f) => f.replace('.up.sql', ''));
    expect((await migrate('status')).stdout).toContain(`${count} applied, 0 pending`);

    const down = await migrate('down', '--steps', '2');
    expect([down.code, down.stdout]).toEqual([0, expect.stringContaining('2 migration(s) rolled back')]);
    expect(down.stdout).toMatch(new RegExp(`rolled back ${last} \\(\\d+ ms\\)\\n.*rolled back ${secondLast} `));
    expect((await migrate('status')).stdout).toContain(`${count - 2} applied, 2 pending`);

    const dry = await migrate('up', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run: 2 migration(s) would be applied; everything was rolled back');
    expect((await migrate('status')).stdout).toContain(`${count - 2} applied, 2 pending`);

    const up = await migrate('up');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(new RegExp(`applied {5}${secondLast} \\(\\d+ ms\\)`));
    expect(up.stdout).toContain('2 migration(s) applied');
    expect((await migrate('validate')).stdout).toContain('ok: every applied migration matches its file');
  });

  it('validate fails with a clear message when an applied file was edited', async () => {
    const file = join(migrationsDir, '0003_training.up.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- edited\n`);
    const result = await migrate('validate');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('0003_training.up.sql was edited after it was applied');
  });

  it('create writes the next numbered up/down pair, and refuses a bad name', async () => {
    const created = await migrate('create', 'add_session_notes');
    expect(created.code).toBe(0);
    const files = await readdir(migrationsDir);
    const last = files.filter((f) => f.endsWith('.up.sql')).sort().at(-1);
    expect(last).toMatch(/^\d{4}_add_session_notes\.up\.sql$/);
    expect(files).toContain(last?.replace('.up.sql', '.down.sql'));
    const refused = await migrate('create', 'Bad Name');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('must be lower-case letters, digits and underscores');
  });

  it('whose output nobody reads any more (`| head -1`) still applies every migration, exits 0 and prints nothing on stderr', async () => {
    expect((await migrate('down', '--steps', '2')).code).toBe(0);
    // The reader of its stdout is gone before it starts: every line it prints meets a broken pipe (EPIPE).
    const child = spawn(process.execPath, [cliPath, 'migrate', '--dir', migrationsDir, 'up'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    // Was Node's stack of an unhandled 'error' event, and exit 1.
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect((await migrate('status')).stdout).toMatch(/\d+ applied, 0 pending/);
  });

  it('rejects a non-numeric --steps', async () => {
    const result = await migrate('down', '--steps', 'two');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--steps must be a whole number');
  });

  it.runIf(testEngine === 'postgres')('two migrators started together: both exit 0 and each migration is applied once', async () => {
    await startFromNothing();
    const [first, second] = await Promise.all([migrate('up'), migrate('up')]);
    expect([first.code, second.code]).toEqual([0, 0]);
    const outputs = [first.stdout, second.stdout];
    // The advisory lock makes one wait for the other, which then finds nothing to do.
    expect(outputs.filter((out) => out.includes('nothing to do'))).toHaveLength(1);
    const { rows } = await (database as TestDatabase).db.query<{ version: number; n: number }>(
      'select version, count(*)::int as n from schema_migrations group by version order by version',
    );
    const count = (await readdir(migrationsDir)).filter((f) => f.endsWith('.up.sql')).length;
    expect(rows).toHaveLength(count);
    expect(rows.every((row) => row.n === 1)).toBe(true);
  });
});
