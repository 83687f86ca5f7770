import { access, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import lockfile from 'proper-lockfile';
import { repositoryPath } from '../../repository-path.js';
import { isProcessAlive } from '../shared/process-alive.js';
import { createCommitListeners, type WroteRow } from './commit-signal.js';
import { DatabaseInUseError } from './database-in-use-error.js';
import { applyActor, asTx, type Connection, type Db, type QueryResult, type Queryable, type Row, type Tx } from './database.js';
import type { QueryLog } from './query-log.js';
import { retryingSerializationFailures } from './serialization-retry.js';
import { typeParsers } from './type-parsers.js';

export type PgliteSource =
  | { kind: 'directory'; path: string }
  | { kind: 'memory' }
  /** A tarball made by `dumpDataDir()`: how tests copy one migrated database per file. */
  | { kind: 'dump'; dump: Blob };

/**
 * The contrib extensions the migrations create (PGlite ships them but loads only those named here):
 * btree_gist for the scheduling exclusion constraints (migration 0039). Every PGlite this project
 * opens passes these, or `CREATE EXTENSION` fails.
 */
export const pgliteExtensions = { btree_gist };

type PgliteExecutor = Pick<PGlite, 'query' | 'exec'> | Transaction;

function queryableOf(executor: PgliteExecutor, queryLog: QueryLog): Queryable {
  return {
    async query<R = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      const result = await queryLog.time(sql, () => executor.query<R>(sql, params as unknown[]));
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await executor.exec(sql);
    },
  };
}

/** Beside the lock: who holds it, so that a lock left by a process that died (kill -9) is recognised at once. */
interface LockHolder {
  pid: number;
  host: string;
}


async function readHolder(file: string): Promise<LockHolder | null> {
  try {
    const holder = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? { pid: holder.pid, host: holder.host } : null;
  } catch {
    return null;
  }
}

/**
 * Takes over a lock whose holder, on this host, is no longer running. The holder file is claimed by
 * renaming it (only one process can rename it), and read again: if another process took the lock over
 * meanwhile, the file names that live process, and it is put back.
 */
async function removeLockOfDeadHolder(lockPath: string, holderFile: string): Promise<boolean> {
  const holder = await readHolder(holderFile);
  if (!holder || holder.host !== hostname() || isProcessAlive(holder.pid)) return false;
  const claimed = `${holderFile}.${process.pid}`;
  try {
    await rename(holderFile, claimed);
  } catch {
    return false;
  }
  const taken = await readHolder(claimed);
  if (!taken || taken.pid !== holder.pid) {
    await rename(claimed, holderFile).catch(() => undefined);
    return false;
  }
  await rm(lockPath, { recursive: true, force: true });
  await rm(claimed, { force: true });
  return true;
}

async function lockDirectory(path: string): Promise<() => Promise<void>> {
  await mkdir(path, { recursive: true });
  const lockPath = `${path}/.unitrain.lock`;
  const holderFile = `${lockPath}.holder`;
  // PGlite does not lock its directory, and two processes on one directory corrupt it. proper-lockfile
  // alone would take a dead process's lock only once it is stale (15 s without an update).
  const take = () => lockfile.lock(path, { lockfilePath: lockPath, stale: 15_000, update: 5_000 });
  let release: () => Promise<void>;
  try {
    release = await take().catch(async (error: unknown) => {
      if ((error as { code?: string }).code === 'ELOCKED' && (await removeLockOfDeadHolder(lockPath, holderFile))) return take();
      throw error;
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOCKED') {
      throw new DatabaseInUseError(`the data directory ${path} is in use by another Unitrain process`, { cause: error });
    }
    throw error;
  }
  await writeFile(holderFile, JSON.stringify({ pid: process.pid, host: hostname() } satisfies LockHolder));
  return async () => {
    await rm(holderFile, { force: true });
    await release();
  };
}

const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * Copies the template's files into `path` (which exists): its directories first, then every file at once,
 * PG_VERSION last. All at once rather than fs.cp's walk, which stats, copies and sets the mode of one file
 * after another: the 971 files took it 40 % more CPU (decision 0087). copyFile keeps each file's mode.
 */
async function copyTemplate(template: string, path: string): Promise<void> {
  const entries = await readdir(template, { recursive: true, withFileTypes: true });
  const relative = (entry: (typeof entries)[number]) => join(entry.parentPath, entry.name).slice(template.length + 1);
  // Sorted, a parent comes before its children.
  for (const directory of entries.filter((entry) => entry.isDirectory()).map(relative).sort()) {
    await mkdir(join(path, directory), { recursive: true });
  }
  const files = entries.filter((entry) => entry.isFile()).map(relative).filter((file) => file !== 'PG_VERSION');
  await Promise.all(files.map((file) => copyFile(join(template, file), join(path, file))));
  await copyFile(join(template, 'PG_VERSION'), join(path, 'PG_VERSION'));
}

/**
 * A new directory starts as a copy of the cluster the build initialised (dist/pglite-template, decision 0084)
 * instead of PGlite running initdb in it: initdb was more than half of a first start (~3 s of CPU, ~800 MB
 * resident). PG_VERSION, which tells PGlite that a directory holds a database, is copied last, so a copy
 * cut short is made again on the next start. Without the template (sources run through tsx before any
 * build), PGlite runs initdb as before. Called under the directory's lock.
 */
async function seedFromTemplate(path: string): Promise<void> {
  const template = repositoryPath('dist/pglite-template');
  if ((await exists(join(path, 'PG_VERSION'))) || !(await exists(join(template, 'PG_VERSION')))) return;
  await copyTemplate(template, path);
}

/**
 * V8 runs PGlite's WebAssembly as compiled by its baseline compiler (Liftoff), and compiles a function again
 * with its optimising compiler (TurboFan), on background threads, once it has run for a budget (V8's default
 * 1,800,000, roughly bytes of code executed). PostgreSQL's start and a start's first queries run a great deal of
 * code once: at the default, a restart of `serve` spent 1.3–2 s of CPU on those threads (more than the main
 * thread's own work), taking one of the two cores from the start, and held ~20–70 MB more. Ten times the budget
 * leaves the start's once-run code in Liftoff; the code a workload repeats is still optimised, within its first
 * few hundred requests (decision 0096). Process-wide, and read when PGlite compiles and instantiates its module:
 * set before the first open.
 */
const wasmTieringBudget = 18_000_000;
let wasmTieringSet = false;

/**
 * The embedded engine. It has one connection: an open transaction makes every other query wait,
 * so keep transactions short, and never query the `Db` from inside a transaction on it.
 */
export async function openPgliteDatabase(source: PgliteSource, queryLog: QueryLog): Promise<Db> {
  if (!wasmTieringSet) {
    setFlagsFromString(`--wasm-tiering-budget=${wasmTieringBudget}`);
    wasmTieringSet = true;
  }
  const unlock = source.kind === 'directory' ? await lockDirectory(source.path) : null;
  try {
    if (source.kind === 'directory') await seedFromTemplate(source.path);
    const pglite = await PGlite.create({
      ...(source.kind === 'directory' ? { dataDir: source.path } : {}),
      ...(source.kind === 'dump' ? { loadDataDir: source.dump } : {}),
      parsers: typeParsers,
      extensions: pgliteExtensions,
    });
    return wrapPglite(pglite, queryLog, async () => {
      await pglite.close();
      await unlock?.();
    });
  } catch (error) {
    await unlock?.();
    throw error;
  }
}

/** The `Db` interface over a PGlite instance the caller created (tests use this to dump it afterwards). */
export function wrapPglite(pglite: PGlite, queryLog: QueryLog, close: () => Promise<void>): Db {
  const primary = queryableOf(pglite, queryLog);
  const commits = createCommitListeners();
  /** `signalled`: whether the commit is told to `onCommit`'s listeners (a session's is not: database.ts). */
  const transactionOf = (signalled: boolean) => async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
    let answer: WroteRow = {};
    const result = await pglite.transaction(async (t) => {
      const value = await fn(asTx(queryableOf(t, queryLog)));
      // One process, so nobody else to tell: asked only when someone here listens.
      if (signalled && commits.any) answer = (await t.query<WroteRow>(commits.wroteQuery)).rows[0] ?? {};
      return value;
    });
    commits.emit(answer);
    return result;
  };
  const transaction = transactionOf(true);
  const connection: Connection = { ...primary, transaction };
  let reads = 0;
  return {
    engine: 'pglite',
    ...connection,
    // No replica here; READ ONLY all the same, so that a write through the reader fails on every engine.
    reader: {
      ...primary,
      withActor: (actor, fn) => {
        reads += 1;
        return transaction(async (tx) => {
          await applyActor(tx, actor, { readOnly: true });
          return fn(tx);
        });
      },
    },
    queryLog,
    replicaStatus: async () => null,
    readCounts: () => new Map([['no_replica', reads]]),
    withActor: (actor, fn, options) =>
      retryingSerializationFailures(() => transaction(async (tx) => {
        await applyActor(tx, actor);
        return fn(tx);
      }), options?.serializationAttempts),
    withConnection: (fn) => fn(connection),
    openSession: async () => ({ ...primary, transaction: transactionOf(false), close: async () => undefined }),
    listen: async (channel, onNotify) => {
      const stop = await pglite.listen(channel, onNotify);
      return () => stop();
    },
    onCommit: (listener, options) => commits.add(listener, options),
    poolStats: () => null,
    close,
  };
}
