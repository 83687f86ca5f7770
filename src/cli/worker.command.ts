import type { Command } from 'commander';
import type { Config } from '../config.js';
import { createCommitSignal } from '../platform/db/commit-signal.js';
import type { Db } from '../platform/db/database.js';
import { readMigrationFiles } from '../platform/db/migrations/migration-files.js';
import { openDatabase } from '../platform/db/open-database.js';
import { translateDatabaseError } from '../platform/db/postgres-errors.js';
import { createJobHandlers, createScheduledJobs } from '../job-handlers.js';
import { createWorker, retryDelayMs } from '../platform/jobs/index.js';
import { createFieldCipher } from '../platform/security/field-cipher.js';
import { loadKeyring } from '../platform/security/keyring.js';
import { prepareSchema } from '../server.js';
import type { Logger } from '../platform/shared/logger.js';
import { stopOnSignal } from '../platform/shared/stop-on-signal.js';
import { createWakeableSleep } from '../platform/shared/wakeable-sleep.js';

/** Waits between attempts to reach a database that is down: 0.5 s doubling up to 30 s, half of each at random. */
const startBackoff = { backoffBaseMs: 500, backoffMaxMs: 30_000 };

/**
 * Runs `step` until it succeeds. A database that is down, starting or shutting down (a restart, a
 * failover) is waited for with backoff; any other failure is thrown. Resolves false when stopped first.
 */
async function untilDatabaseAnswers(step: () => Promise<void>, logger: Logger, stopped: () => boolean, pause: (ms: number) => Promise<void>): Promise<boolean> {
  for (let attempt = 1; !stopped(); attempt++) {
    try {
      await step();
      return true;
    } catch (error) {
      if (translateDatabaseError(error)?.code !== 'SERVICE_UNAVAILABLE') throw error;
      const delayMs = retryDelayMs(attempt, startBackoff);
      logger.warn({ attempt, retryInMs: delayMs, reason: (error as Error).message || (error as { code?: string }).code }, 'the database is not available; the worker starts once it is');
      await pause(delayMs);
    }
  }
  return false;
}

export function registerWorkerCommand(program: Command, context: { config: () => Config; logger: () => Logger }): void {
  program
    .command('worker')
    .description('run a job dispatcher without the HTTP server, until SIGTERM, SIGINT or SIGHUP (several may run on one PostgreSQL)')
    .option('--migrate', 'apply pending migrations to a server database before starting')
    .action(async (options: { migrate?: boolean }) => {
      const config = context.config();
      const logger = context.logger();
      // The e-mail addresses the handlers mail to are encrypted: the worker needs the keys.
      const keyring = await loadKeyring(config);
      const db: Db = await openDatabase(config, logger);
      // Commits of other processes (NOTIFY) wake it at once; its own commits NOTIFY theirs (the Db does).
      const commits = createCommitSignal(db, logger);
      const handlers = createJobHandlers({ cipher: createFieldCipher(keyring), mail: config.mail, logger, publicUrl: config.publicUrl ?? `http://${config.host}:${config.port}` });
      const worker = createWorker(db, config, handlers, logger, createScheduledJobs(config.schedules));
      commits.onSignal(() => worker.wake());
      let stopping = false;
      const pause = createWakeableSleep();
      // Before the first query: a stop that comes while the database is awaited, or while LISTEN connects, is still graceful.
      stopOnSignal(logger, { deadlineMs: config.shutdownTimeoutMs, stoppingMessage: 'worker shutting down: finishing the job in hand' }, async () => {
        stopping = true;
        pause.wake();
        await worker.stop();
        await commits.stop();
        await db.close();
        logger.info('worker stopped');
      });
      try {
        const migrations = await readMigrationFiles();
        const ready = await untilDatabaseAnswers(
          async () => {
            await prepareSchema(db, migrations, config, options.migrate === true, logger);
            await commits.listen();
          },
          logger,
          () => stopping,
          (ms) => pause.sleep(ms),
        );
        if (ready && !stopping) worker.start();
      } catch (error) {
        await commits.stop();
        await db.close();
        throw error;
      }
    });
}
