import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { MigrationFilesError } from '../platform/db/migrations/migration-files.js';
import { MigrationError } from '../platform/db/migrations/migrator.js';
import { DatabaseInUseError } from '../platform/db/database-in-use-error.js';
import { translateDatabaseError } from '../platform/db/postgres-errors.js';
import { KeyringError } from '../platform/security/keyring.js';
import type { Logger } from '../platform/shared/logger.js';
import { repositoryPath } from '../repository-path.js';
import { StartupError } from '../startup-error.js';
import { CliFailure } from './cli-failure.js';

export interface CliContext {
  config: () => Config;
  logger: () => Logger;
}

const { version } = JSON.parse(readFileSync(repositoryPath('package.json'), 'utf8')) as { version: string };

type Register = (program: Command, context: CliContext) => void;

/**
 * Each command's module, loaded only when that command runs: `migrate` need not load the HTTP app, the
 * job handlers and the PDF renderer that `serve` needs (seconds of module loading on every CLI call).
 */
const commandModules: Record<string, () => Promise<Register>> = {
  migrate: async () => (await import('./migrate.command.js')).registerMigrateCommand,
  seed: async () => (await import('./seed.command.js')).registerSeedCommand,
  user: async () => (await import('./user.command.js')).registerUserCommand,
  keys: async () => (await import('./keys.command.js')).registerKeysCommand,
  doctor: async () => (await import('./doctor.command.js')).registerDoctorCommand,
  jobs: async () => (await import('./jobs.command.js')).registerJobsCommand,
  worker: async () => (await import('./worker.command.js')).registerWorkerCommand,
  prune: async () => (await import('./prune.command.js')).registerPruneCommand,
};

/**
 * The commands whose modules `args` (without node and the script) need: the one they name; none for
 * `serve` (the default) and `--version`; every one for help and for an unknown word, so both list them.
 */
function commandsFor(args: readonly string[]): string[] {
  const named = args.find((arg) => !arg.startsWith('-'));
  if (named !== undefined && Object.hasOwn(commandModules, named)) return [named];
  const wantsHelp = args.includes('--help') || args.includes('-h');
  if (!wantsHelp && (named === undefined || named === 'serve')) return [];
  return Object.keys(commandModules);
}

/** The `unitrain` program for `argv` as Node gives it (`[node, script, ...args]`). */
export async function createProgram(context: CliContext, argv: readonly string[]): Promise<Command> {
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
      const { serveUntilSignalled } = await import('../server.js');
      await serveUntilSignalled(context.config(), context.logger(), { migrate: options.migrate === true });
    });

  for (const name of commandsFor(argv.slice(2))) (await commandModules[name]!())(program, context);
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
  if (code === '3D000') return `${error.message}: create it first (see the README, "On a PostgreSQL server"), or correct DATABASE_URL`;
  if (code.startsWith('28')) return `${error.message}: check the user and password in DATABASE_URL`;
  // A table the code needs is missing: the database has not been migrated.
  if (code === '42P01') return `${error.message}: the database is not migrated; run \`unitrain migrate up\``;
  // Only a socket error of a database connection counts (the engine marks them, postgres-errors.ts): a
  // broken stdout (EPIPE: its reader went away) is not one; cli.ts drops what is left to print.
  if (translateDatabaseError(error)?.code === 'SERVICE_UNAVAILABLE') {
    // ECONNREFUSED on several addresses comes as an AggregateError without a message.
    return `the database is not available (${error.message || code})`;
  }
  return null;
}
