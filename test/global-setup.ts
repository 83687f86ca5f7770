import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { pgliteExtensions, wrapPglite } from '../src/platform/db/pglite-database.js';
import { typeParsers } from '../src/platform/db/type-parsers.js';
import { migrateUp } from '../src/platform/db/migrations/migrator.js';
import { createQueryLog } from '../src/platform/db/query-log.js';
import { databaseUrl, serverUrl, testEngine } from './engine.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteDumpPath: string;
    /** A dump of a database before any migration: an "empty" database without PGlite's initdb (seconds) per test. */
    pgliteEmptyDumpPath: string;
    /** A migrated embedded data directory that CLI and server processes start from (a copy each). */
    pgliteDataDir: string;
    templateDatabase: string;
  }
}

/**
 * Migrates once per run. PGlite: a migrated database is dumped to a file that each test file loads
 * (well under a second, against seconds for a fresh one), and kept as a data directory that each
 * CLI or server process of a test starts from (a copy: no initdb, no migrations in the process). PostgreSQL: a migrated template database
 * that each test file clones with CREATE DATABASE ... TEMPLATE.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (testEngine === 'postgres') {
    // One template per run, so that runs from several checkouts against one server never share one.
    const templateDatabase = `unitrain_test_template_${process.pid}`;
    const admin = new pg.Client({ connectionString: serverUrl() });
    await admin.connect();
    await admin.query(`drop database if exists ${templateDatabase} with (force)`);
    await admin.query(`create database ${templateDatabase} template template0`);
    await admin.end();
    const { openPostgresDatabase } = await import('../src/platform/db/postgres-database.js');
    const db = await openPostgresDatabase({ url: databaseUrl(templateDatabase), replicaUrl: null, poolMax: 2 }, createQueryLog(null, 0));
    await migrateUp(db);
    await db.close();
    project.provide('pgliteDumpPath', '');
    project.provide('pgliteEmptyDumpPath', '');
    project.provide('pgliteDataDir', '');
    project.provide('templateDatabase', templateDatabase);
    return async () => {
      const dropper = new pg.Client({ connectionString: serverUrl() });
      await dropper.connect();
      await dropper.query(`drop database if exists ${templateDatabase} with (force)`);
      await dropper.end();
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'unitrain-test-'));
  // Migrated in a directory, not in memory: processes start from a copy of the directory, test files
  // load the dump of it.
  const dataDir = join(dir, 'pglite');
  const pglite = await PGlite.create({ dataDir, parsers: typeParsers, extensions: pgliteExtensions });
  // Uncompressed: a test file loads a plain tar faster than a gzipped one, and the files stay in /tmp.
  const emptyDumpPath = join(dir, 'empty.tar');
  await writeFile(emptyDumpPath, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()));
  await migrateUp(wrapPglite(pglite, createQueryLog(null, 0), () => pglite.close()));
  const dumpPath = join(dir, 'migrated.tar');
  await writeFile(dumpPath, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()));
  await pglite.close();
  project.provide('pgliteDumpPath', dumpPath);
  project.provide('pgliteEmptyDumpPath', emptyDumpPath);
  project.provide('pgliteDataDir', dataDir);
  project.provide('templateDatabase', '');
  return async () => rm(dir, { recursive: true, force: true });
}
