import closeWithGrace from 'close-with-grace';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { createCommitSignal } from '../db/commit-signal.js';
import { readMigrationFiles } from '../db/migrations/migration-files.js';
import { openDatabase } from '../db/open-database.js';
import { createJobHandlers } from '../job-handlers.js';
import { createWorker } from '../modules/jobs/index.js';
import { createFieldCipher } from '../security/field-cipher.js';
import { loadKeyring } from '../security/keyring.js';
import { prepareSchema } from '../server.js';
import type { Logger } from '../shared/logger.js';

export function registerWorkerCommand(program: Command, context: { config: () => Config; logger: () => Logger }): void {
  program
    .command('worker')
    .description('run a job dispatcher without the HTTP server, until SIGTERM or SIGINT (several may run on one PostgreSQL)')
    .option('--migrate', 'apply pending migrations to a server database before starting')
    .action(async (options: { migrate?: boolean }) => {
      const config = context.config();
      const logger = context.logger();
      // The e-mail addresses the handlers mail to are encrypted: the worker needs the keys.
      const keyring = await loadKeyring(config);
      const db = await openDatabase(config, logger);
      try {
        await prepareSchema(db, await readMigrationFiles(), config, options.migrate === true, logger);
      } catch (error) {
        await db.close();
        throw error;
      }
      // Commits of other processes (NOTIFY) wake it at once; its own commits NOTIFY theirs (the Db does).
      const commits = createCommitSignal(db, logger);
      const handlers = createJobHandlers({ cipher: createFieldCipher(keyring), mail: config.mail, logger });
      const worker = createWorker(db, config, handlers, logger);
      commits.onSignal(() => worker.wake());
      closeWithGrace({ delay: config.shutdownTimeoutMs, logger }, async ({ signal, err }) => {
        if (err) logger.error({ err }, 'stopping after an unexpected error');
        else logger.info({ signal }, 'worker shutting down: finishing the job in hand');
        await worker.stop();
        await commits.stop();
        await db.close();
        logger.info('worker stopped');
      });
      // After the signal handlers are in place: a stop that comes while LISTEN connects is still graceful.
      try {
        await commits.listen();
      } catch (error) {
        await db.close();
        throw error;
      }
      worker.start();
    });
}
