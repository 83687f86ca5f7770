import type { Command } from 'commander';
import type { Config } from '../config.js';
import { openDatabase } from '../platform/db/open-database.js';
import { createMigrationFiles } from '../platform/db/migrations/migration-files.js';
import { type MigrationRun, historyProblems, migrateDown, migrateUp, migrationStatus } from '../platform/db/migrations/migrator.js';
import type { Logger } from '../platform/shared/logger.js';
import { CliFailure } from './cli-failure.js';

function parseCount(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new CliFailure(`${name} must be a whole number, got "${value}"`);
  return Number(value);
}

function report(run: MigrationRun): void {
  const verb = run.direction === 'up' ? 'applied' : 'rolled back';
  if (run.planned.length === 0) console.log(`nothing to do: no migration to ${run.direction === 'up' ? 'apply' : 'roll back'}`);
  else if (run.dryRun) console.log(`dry run: ${run.planned.length} migration(s) would be ${verb}; everything was rolled back`);
  else console.log(`${run.planned.length} migration(s) ${verb}`);
}

export function registerMigrateCommand(program: Command, context: { config: () => Config; logger: () => Logger }): void {
  const migrate = program
    .command('migrate')
    .description('apply, roll back and inspect database migrations')
    .option('--dir <path>', 'the migrations directory (default: the one shipped with Unitrain)');
  const dir = () => migrate.opts<{ dir?: string }>().dir;
  const withDb = async <T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> => {
    const db = await openDatabase(context.config(), context.logger());
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  const printStep = (dryRun: boolean) => (event: { direction: string; id: string; durationMs: number }) =>
    console.log(`${dryRun ? '[dry run] ' : ''}${event.direction === 'up' ? 'applied    ' : 'rolled back'} ${event.id} (${event.durationMs} ms)`);

  migrate
    .command('up')
    .description('apply every pending migration, each in its own transaction')
    .option('--dry-run', 'show the plan and run it inside a transaction that is rolled back')
    .action(async (options: { dryRun?: boolean }) => {
      const dryRun = options.dryRun === true;
      report(await withDb((db) => migrateUp(db, { source: dir(), dryRun, onMigrated: printStep(dryRun) })));
    });

  migrate
    .command('down')
    .description('roll back the latest migration (or --steps K, or everything above --to N)')
    .option('--steps <k>', 'how many migrations to roll back')
    .option('--to <n>', 'roll back every migration numbered above n (0 rolls back all)')
    .option('--dry-run', 'show the plan and run it inside a transaction that is rolled back')
    .action(async (options: { steps?: string; to?: string; dryRun?: boolean }) => {
      if (options.steps !== undefined && options.to !== undefined) throw new CliFailure('give either --steps or --to, not both');
      const target = options.to !== undefined ? { toVersion: parseCount(options.to, '--to') } : { steps: parseCount(options.steps ?? '1', '--steps') };
      const dryRun = options.dryRun === true;
      report(await withDb((db) => migrateDown(db, target, { source: dir(), dryRun, onMigrated: printStep(dryRun) })));
    });

  migrate
    .command('status')
    .description('list every migration and whether it is applied')
    .action(async () => {
      const states = await withDb((db) => migrationStatus(db, dir()));
      for (const s of states) console.log(`${s.state.padEnd(12)} ${s.id}${s.appliedAt ? `  (applied ${s.appliedAt.toISOString()})` : ''}`);
      const pending = states.filter((s) => s.state === 'pending').length;
      console.log(`${states.length - pending} applied, ${pending} pending`);
    });

  migrate
    .command('validate')
    .description('check that no applied migration file was edited or removed')
    .action(async () => {
      const problems = historyProblems(await withDb((db) => migrationStatus(db, dir())));
      if (problems.length > 0) throw new CliFailure(problems.join('\n'));
      console.log('ok: every applied migration matches its file');
    });

  migrate
    .command('create')
    .description('write an empty NNNN_name.up.sql / .down.sql pair')
    .argument('<name>', 'lower-case words joined by underscores, e.g. add_session_notes')
    .action(async (name: string) => {
      for (const path of await createMigrationFiles(name, dir())) console.log(`created ${path}`);
    });
}
