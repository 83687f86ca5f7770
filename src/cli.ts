import { Command } from 'commander';
import { registerDoctorCommand } from './cli/doctor.command.js';
import { registerJobsCommand } from './cli/jobs.command.js';
import { registerMigrateCommand } from './cli/migrate.command.js';
import { registerPruneCommand } from './cli/prune.command.js';
import { registerKeysCommand } from './cli/keys.command.js';
import { registerSeedCommand } from './cli/seed.command.js';
import { registerUserCommand } from './cli/user.command.js';
import { registerWorkerCommand } from './cli/worker.command.js';
import { CliFailure } from './cli/cli-failure.js';
import { ConfigError, type Config, loadConfig } from './config.js';
import { MigrationFilesError } from './db/migrations/migration-files.js';
import { MigrationError } from './db/migrations/migrator.js';
import { DatabaseInUseError } from './db/pglite-database.js';
import { KeyringError } from './security/keyring.js';
import { serveUntilSignalled, StartupError } from './server.js';
import { createLogger, type Logger } from './shared/logger.js';

// Config is read once, lazily, so `unitrain --help` works even with a broken environment.
let config: Config | undefined;
let logger: Logger | undefined;
const context = {
  config: () => (config ??= loadConfig()),
  logger: () => (logger ??= createLogger(context.config())),
};

const program = new Command('unitrain').description('Unitrain training-management server').showHelpAfterError();

program
  .command('serve', { isDefault: true })
  .description('start the HTTP server (the embedded database is created and migrated on first start)')
  .option('--migrate', 'apply pending migrations to a server database before starting')
  .action(async (options: { migrate?: boolean }) => {
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

const expectedFailures = [ConfigError, CliFailure, MigrationError, MigrationFilesError, StartupError, DatabaseInUseError, KeyringError];

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) console.error(`configuration error: ${problem}`);
  } else if (expectedFailures.some((type) => error instanceof type)) {
    console.error(`error: ${(error as Error).message}`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
}
