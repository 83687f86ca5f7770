import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { MigrationFilesError } from '../db/migrations/migration-files.js';
import { MigrationError } from '../db/migrations/migrator.js';
import { DatabaseInUseError } from '../db/pglite-database.js';
import { translateDatabaseError } from '../db/postgres-errors.js';
import { KeyringError } from '../security/keyring.js';
import { serveUntilSignalled, StartupError } from '../server.js';
import type { Logger } from '../shared/logger.js';
import { CliFailure } from './cli-failure.js';
import { registerDoctorCommand } from './doctor.command.js';
import { registerJobsCommand } from './jobs.command.js';
import { registerKeysCommand } from './keys.command.js';
import { registerMigrateCommand } from './migrate.command.js';
import { registerPruneCommand } from './prune.command.js';
import { registerSeedCommand } from './seed.command.js';
import { registerUserCommand } from './user.command.js';
import { registerWorkerCommand } from './worker.command.js';

export interface CliContext {
  config: () => Config;
  logger: () => Logger;
}

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function createProgram(context: CliContext): Command {
  const program = new Command('unitrain').description('Unitrain training-management server').version(version).showHelpAfterError();

  program
    .command('serve', { isDefault: true })
    .description('start the HTTP server (the embedded database is created and migrated on first start)')
    .option('--migrate', 'apply pending migrations to a server database before starting')
    // `serve` is the default command: without this, `unitrain frobnicate` would read as serve with an argument.
    .allowExcessArguments(true)
    .action(async (options: { migrate?: boolean }, command: Command) => {
      const [unknown] = command.args;
      if (unknown !== undefined) program.error(`error: unknown command '${unknown}' (see unitrain --help)`, { code: 'commander.unknownCommand' });
      await serveUntilSignalled(context.config(), context.logger(), { migrate: options.migrate === true });
    });

  registerMigrateCommand(program, context);
  registerSeedCommand(program, context);
  registerUserCommand(program, context);
  registerKeysCommand(program, context);
  registerDoctorCommand(program, context);
  registerJobsCommand(program, context);
  registerWorkerCommand(program, context);
  registerPruneCommand(program, context);
  return program;
}

const expectedFailures = [CliFailure, MigrationError, MigrationFilesError, StartupError, DatabaseInUseError, KeyringError];

/**
 * The lines a failed command prints: one `error: …` line for what the operator can fix (a database that
 * is missing, unmigrated or down, a bad setting), and the whole error only for what is a bug.
 */
export function failureLines(error: unknown): { lines: string[]; expected: boolean } {
  if (error instanceof ConfigError) return { lines: error.problems.map((problem) => `configuration error: ${problem}`), expected: true };
  if (expectedFailures.some((type) => error instanceof type)) return { lines: [`error: ${(error as Error).message}`], expected: true };
  const database = databaseFailure(error);
  if (database) return { lines: [`error: ${database}`], expected: true };
  return { lines: [], expected: false };
}

function databaseFailure(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: string }).code ?? '';
  // 3D000: DATABASE_URL names a database that is not there; class 28: the server refused the credentials.
  if (code === '3D000') return `${error.message}: create it first (see the README, "PostgreSQL"), or correct DATABASE_URL`;
  if (code.startsWith('28')) return `${error.message}: check the user and password in DATABASE_URL`;
  // A table the code needs is missing: the database has not been migrated.
  if (code === '42P01') return `${error.message}: the database is not migrated; run \`unitrain migrate up\``;
  if (translateDatabaseError(error)?.code === 'SERVICE_UNAVAILABLE') {
    // ECONNREFUSED on several addresses comes as an AggregateError without a message.
    return `the database is not available (${error.message || code})`;
  }
  return null;
}
