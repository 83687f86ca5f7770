import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cliPath, runCli, withMigratedEmbeddedDatabase } from '../../test/cli.js';
import { embeddedDatabaseDir } from '../platform/db/open-database.js';
import { openPgliteDatabase } from '../platform/db/pglite-database.js';
import { createQueryLog } from '../platform/db/query-log.js';
import { createEmptyDatabase, createMigratedDatabase, type TestDatabase } from '../../test/database.js';
import { testEngine, testKeysEnv } from '../../test/engine.js';

// Real `unitrain seed` processes: on a copy of the run's migrated embedded database (the command
// migrates a fresh one first, as `serve` does: server.test.ts tests that), or on a migrated PostgreSQL
// database given its keys.
let workDir: string;
let database: TestDatabase | null = null;
let env: Record<string, string>;

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'unitrain-seed-'));
  env = { DATA_DIR: await withMigratedEmbeddedDatabase(join(workDir, 'data')) };
  if (testEngine === 'postgres') {
    database = await createMigratedDatabase();
    env = { ...env, ...testKeysEnv, DATABASE_URL: database.url as string };
  }
});

afterEach(async () => {
  await database?.drop();
  database = null;
  await rm(workDir, { recursive: true, force: true });
});

describe('unitrain seed', () => {
  it('seeds the small size, prints the counts, and refuses to seed the same database twice', async () => {
    const first = await runCli(['seed', '--size', 'small', '--seed', '7', '--today', '2025-06-15'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^training_sessions +400$/m);
    expect(first.stdout).toMatch(/^users +60$/m);
    expect(first.stdout).toMatch(/^session_enrollments +\d,\d{3}$/m);
    expect(first.stdout).toMatch(/^total +[\d,]+$/m);
    expect(first.stdout).toMatch(/seeded small data \(seed 7, today 2025-06-15\) in \d+\.\d s/);

    const second = await runCli(['seed', '--size', 'small', '--seed', '7'], env);
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toMatch(/^error: the database already holds data \(rows in .+\): the seed fills only an empty database$/);
  });

  it('rejects a bad option with one clear line, before touching the database', async () => {
    const cases = [
      [['--size', 'huge'], 'error: --size must be one of small, large, got "huge"'],
      [['--seed', 'abc'], 'error: --seed must be a non-negative whole number, got "abc"'],
      [['--seed', '1.5'], 'error: --seed must be a non-negative whole number, got "1.5"'],
      [['--today', '2025-02-30'], 'error: --today must be a date written YYYY-MM-DD, got "2025-02-30"'],
    ] as const;
    const results = await Promise.all(cases.map(([args]) => runCli(['seed', ...args], env)));
    results.forEach((result, i) => {
      const [args, message] = cases[i] as (typeof cases)[number];
      expect({ args, code: result.code, stderr: result.stderr.trim() }).toEqual({ args, code: 1, stderr: message });
    });
  });

  it.runIf(testEngine === 'postgres')('refuses a server database with pending migrations and names them', async () => {
    const empty = await createEmptyDatabase();
    try {
      const result = await runCli(['seed'], { ...env, DATABASE_URL: empty.url as string });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/error: the database has \d+ pending migration\(s\) \(0001_foundation, .*\): run `npx unitrain migrate up` first/);
    } finally {
      await empty.drop();
    }
  });

  // SIGHUP: its terminal was closed; a stop like Ctrl-C's, as serve and worker stop on it.
  it.each(['SIGINT', 'SIGHUP'] as const)('stops at the next statement on %s, leaves nothing behind and closes the database', async (signal) => {
    const child = spawn(process.execPath, [cliPath, 'seed', '--size', 'small'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        // In the middle of the load: the first tables are in, the transaction is open.
        if (/^seeded users: /m.test(stdout)) resolve();
      });
      void exited.then(() => reject(new Error(`the seed ended before it was interrupted:\n${stdout}${stderr}`)));
    });
    child.kill(signal);
    expect(await exited).toEqual([1, null]);
    expect(stderr.trim()).toBe('error: the seed was interrupted; nothing was written');
    expect(stdout).not.toMatch(/^seeded small data/m);
    // Nothing stayed: its transaction rolled back.
    const count = async (query: (sql: string) => Promise<{ rows: { n: number }[] }>) => (await query("select count(*)::int as n from users where email_hmac is not null and role <> 'SA'")).rows[0]?.n;
    if (database) {
      expect(await count((sql) => database!.db.query<{ n: number }>(sql))).toBe(0);
    } else {
      const db = await openPgliteDatabase({ kind: 'directory', path: embeddedDatabaseDir(env['DATA_DIR'] as string) }, createQueryLog(null, 0));
      try {
        expect(await count((sql) => db.query<{ n: number }>(sql))).toBe(0);
      } finally {
        await db.close();
      }
    }
  });
});
