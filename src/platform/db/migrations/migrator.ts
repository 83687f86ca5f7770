import type { Connection, Db, Queryable } from '../database.js';
import { type MigrationFile, readMigrationFiles } from './migration-files.js';

/** Any fixed 64-bit number works; this one is "unitrain" read as a number, so it will not collide by chance. */
const migrationLockKey = 8_245_972_158_721_126;

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
}

export interface MigrationState {
  id: string;
  version: number;
  state: 'applied' | 'pending' | 'edited' | 'missing-file';
  appliedAt: Date | null;
}

export interface MigrationEvent {
  direction: 'up' | 'down';
  id: string;
  durationMs: number;
}

export interface MigrateOptions {
  /** The migrations: a directory to read (default migrations/), or files already read (`serve` reads them once). */
  source?: MigrationSource;
  dryRun?: boolean;
  onMigrated?: (event: MigrationEvent) => void;
}

export interface MigrationRun {
  direction: 'up' | 'down';
  planned: string[];
  dryRun: boolean;
}

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly migrationId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** Thrown inside a dry run's transaction so that everything it did is rolled back. */
class DryRunRollback extends Error {}

const createHistoryTable = `
  create table if not exists schema_migrations (
    version integer primary key,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default now(),
    duration_ms integer not null
  )`;

async function readApplied(executor: Queryable): Promise<AppliedMigration[]> {
  const exists = await executor.query<{ present: boolean }>(`select to_regclass('schema_migrations') is not null as present`);
  if (!exists.rows[0]?.present) return [];
  const { rows } = await executor.query<AppliedMigration>(
    'select version, name, checksum, applied_at as "appliedAt" from schema_migrations order by version',
  );
  return rows;
}

/** Where the expected migrations come from: a directory to read, or files already read (so /ready reads no files). */
export type MigrationSource = string | MigrationFile[] | undefined;

const filesOf = (source: MigrationSource) => (Array.isArray(source) ? Promise.resolve(source) : readMigrationFiles(source));

/** Compares the history table with the migration files. */
export async function migrationStatus(db: Queryable, source?: MigrationSource): Promise<MigrationState[]> {
  const [files, applied] = await Promise.all([filesOf(source), readApplied(db)]);
  const appliedByVersion = new Map(applied.map((row) => [row.version, row]));
  const states: MigrationState[] = files.map((file) => {
    const row = appliedByVersion.get(file.version);
    const state = !row ? 'pending' : row.checksum === file.checksum ? 'applied' : 'edited';
    return { id: file.id, version: file.version, state, appliedAt: row?.appliedAt ?? null };
  });
  const onDisk = new Set(files.map((file) => file.version));
  for (const row of applied.filter((r) => !onDisk.has(r.version))) {
    states.push({ id: `${String(row.version).padStart(4, '0')}_${row.name}`, version: row.version, state: 'missing-file', appliedAt: row.appliedAt });
  }
  return states.sort((a, b) => a.version - b.version);
}

/** Problems that make the applied history untrustworthy; empty when it matches the files. */
export function historyProblems(states: MigrationState[]): string[] {
  return states.flatMap((s) => {
    if (s.state === 'edited') return [`${s.id}.up.sql was edited after it was applied (its checksum differs from the recorded one)`];
    if (s.state === 'missing-file') return [`${s.id} is applied but its file is missing`];
    return [];
  });
}

async function withMigrationLock<T>(db: Db, fn: (connection: Connection) => Promise<T>): Promise<T> {
  return db.withConnection(async (connection) => {
    // A second migrator waits here, then finds nothing left to do.
    await connection.query('select pg_advisory_lock($1)', [migrationLockKey]);
    try {
      return await fn(connection);
    } finally {
      await connection.query('select pg_advisory_unlock($1)', [migrationLockKey]);
    }
  });
}

async function applyEach(
  connection: Connection,
  steps: { migration: MigrationFile; direction: 'up' | 'down' }[],
  options: MigrateOptions,
): Promise<void> {
  const run = async (execute: (work: (tx: Queryable) => Promise<void>) => Promise<void>) => {
    for (const { migration, direction } of steps) {
      const started = performance.now();
      await execute(async (tx) => {
        try {
          if (direction === 'up') {
            await tx.exec(migration.up);
            const durationMs = Math.round(performance.now() - started);
            await tx.query('insert into schema_migrations (version, name, checksum, duration_ms) values ($1, $2, $3, $4)', [
              migration.version, migration.name, migration.checksum, durationMs,
            ]);
          } else {
            await tx.exec(migration.down ?? '');
            await tx.query('delete from schema_migrations where version = $1', [migration.version]);
          }
        } catch (error) {
          throw new MigrationError(`${migration.id} (${direction}) failed: ${(error as Error).message}`, migration.id, { cause: error });
        }
      });
      options.onMigrated?.({ direction, id: migration.id, durationMs: Math.round(performance.now() - started) });
    }
  };
  if (!options.dryRun) {
    await connection.exec(createHistoryTable);
    // Each migration in its own transaction: a failure keeps what went before it.
    await run((work) => connection.transaction(work));
    return;
  }
  // A dry run executes the whole plan in one transaction, so later steps see earlier ones, then rolls it all back.
  await connection
    .transaction(async (tx) => {
      await tx.exec(createHistoryTable);
      await run((work) => work(tx));
      throw new DryRunRollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof DryRunRollback)) throw error;
    });
}

/** Applies every pending migration in order. */
export async function migrateUp(db: Db, options: MigrateOptions = {}): Promise<MigrationRun> {
  const files = await filesOf(options.source);
  return withMigrationLock(db, async (connection) => {
    const states = await migrationStatus(connection, files);
    const problems = historyProblems(states);
    if (problems.length > 0) throw new MigrationError(`refusing to migrate: ${problems.join('; ')}`);
    const pending = new Set(states.filter((s) => s.state === 'pending').map((s) => s.version));
    const steps = files.filter((f) => pending.has(f.version)).map((migration) => ({ migration, direction: 'up' as const }));
    await applyEach(connection, steps, options);
    return { direction: 'up', planned: steps.map((s) => s.migration.id), dryRun: options.dryRun === true };
  });
}

export type DownTarget = { steps: number } | { toVersion: number };

/** Rolls back the latest `steps` migrations, or every migration numbered above `toVersion`. */
export async function migrateDown(db: Db, target: DownTarget, options: MigrateOptions = {}): Promise<MigrationRun> {
  const files = await filesOf(options.source);
  const fileByVersion = new Map(files.map((f) => [f.version, f]));
  return withMigrationLock(db, async (connection) => {
    const applied = (await readApplied(connection)).reverse();
    const chosen = 'steps' in target ? applied.slice(0, target.steps) : applied.filter((row) => row.version > target.toVersion);
    const steps = chosen.map((row) => {
      const migration = fileByVersion.get(row.version);
      if (!migration?.down) throw new MigrationError(`cannot roll back version ${row.version}: its .down.sql file is missing`);
      return { migration, direction: 'down' as const };
    });
    await applyEach(connection, steps, options);
    return { direction: 'down', planned: steps.map((s) => s.migration.id), dryRun: options.dryRun === true };
  });
}
