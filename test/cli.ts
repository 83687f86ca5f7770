import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { ensureServerBuilt } from '../bin/server-build.js';
import type { Db } from '../src/platform/db/database.js';
import { embeddedDatabaseDir } from '../src/platform/db/open-database.js';
import { openPgliteDatabase } from '../src/platform/db/pglite-database.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { createMigratedDatabase, type TestDatabase } from './database.js';
import { testEngine, testKeysEnv } from './engine.js';

export const cliPath = fileURLToPath(new URL('../bin/unitrain.js', import.meta.url));

// The processes tests start run the compiled server, as users' do (decision 0050): compiled here when
// src/ changed, once, rather than by the first processes a run starts at the same time.
await ensureServerBuilt();

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `unitrain <args>` as a real process, with only the variables given plus PATH and HOME, and `input` on its stdin. */
export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Puts a copy of the run's migrated embedded database into `dataDir` (PGlite only), so that a process
 * started on it skips initdb and the migrations (seconds each under load). Tests of the first start
 * itself (creating and migrating the database) leave their data directory empty instead.
 */
export async function withMigratedEmbeddedDatabase(dataDir: string): Promise<string> {
  if (testEngine === 'pglite') await cp(inject('pgliteDataDir'), embeddedDatabaseDir(dataDir), { recursive: true });
  return dataDir;
}

/** Where CLI processes of a test write: a new data directory, and on PostgreSQL a migrated database of its own. */
export interface CliTarget {
  workDir: string;
  env: Record<string, string>;
  database: TestDatabase | null;
  /** The database the processes wrote to, as its owner, opened while no process holds it. */
  withDatabase<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  remove(): Promise<void>;
}

export async function createCliTarget(prefix: string): Promise<CliTarget> {
  const workDir = await mkdtemp(join(tmpdir(), `unitrain-${prefix}-`));
  const database = testEngine === 'postgres' ? await createMigratedDatabase() : null;
  const env: Record<string, string> = {
    DATA_DIR: await withMigratedEmbeddedDatabase(join(workDir, 'data')),
    ...(database ? { ...testKeysEnv, DATABASE_URL: database.url as string } : {}),
  };
  return {
    workDir,
    env,
    database,
    async withDatabase(fn) {
      if (database) return fn(database.db);
      // The embedded directory admits one process at a time: open it only between CLI runs.
      const db = await openPgliteDatabase({ kind: 'directory', path: embeddedDatabaseDir(env['DATA_DIR'] as string) }, createQueryLog(null, 0));
      try {
        return await fn(db);
      } finally {
        await db.close();
      }
    },
    async remove() {
      await database?.drop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
