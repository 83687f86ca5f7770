import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { readMigrationFiles } from '../platform/db/migrations/migration-files.js';
import { embeddedDatabaseDir, openDatabase } from '../platform/db/open-database.js';
import { formatPosition } from '../platform/change-log/index.js';
import { type PruneReport, pruneRetained } from '../platform/jobs/index.js';
import { prepareSchema } from '../server.js';
import type { Logger } from '../platform/shared/logger.js';
import { CliFailure } from './cli-failure.js';

const helpText = `
Deletes, as the database owner, in short batches:
  change_log      the rows older than CHANGE_LOG_RETENTION_HOURS whose transactions have ended, with
                  everything before them in delivery order; a stream resuming from before the new
                  horizon ("pruned through") gets a reset event
  jobs            SUCCEEDED jobs finished more than JOB_RETENTION_DAYS ago whose event the relay has
                  passed; waiting, failed and DEAD jobs stay

Workers (and serve) do the same every PRUNE_INTERVAL_MS; this runs it once, now, beside them.
`;

const number = (n: number) => n.toLocaleString('en-US');

function printText(report: PruneReport, retention: Config['retention']): void {
  const horizon = report.changeLog.prunedThrough ? `pruned through ${formatPosition(report.changeLog.prunedThrough)}` : 'nothing pruned yet';
  console.log(`change_log: ${number(report.changeLog.deleted)} row(s) deleted (retention ${retention.changeLogHours} h); ${horizon}`);
  console.log(`jobs: ${number(report.jobs.deleted)} succeeded job(s) deleted (retention ${retention.jobDays} days)`);
}

function printJson(report: PruneReport, retention: Config['retention']): void {
  const document = {
    change_log: {
      deleted: report.changeLog.deleted,
      pruned_through: report.changeLog.prunedThrough && formatPosition(report.changeLog.prunedThrough),
      retention_hours: retention.changeLogHours,
    },
    jobs: { deleted: report.jobs.deleted, retention_days: retention.jobDays },
  };
  console.log(JSON.stringify(document, null, 2));
}

export function registerPruneCommand(program: Command, context: { config: () => Config; logger: () => Logger }): void {
  program
    .command('prune')
    .description('delete change_log rows and succeeded jobs past their retention, now, and say how many')
    .option('--json', 'print what was deleted as JSON')
    .addHelpText('after', helpText)
    .action(async (options: { json?: boolean }) => {
      const config = context.config();
      const logger = context.logger();
      // Opening an embedded directory that does not exist would create an empty database there.
      if (config.database.engine === 'pglite' && config.database.dataDir !== null && !existsSync(embeddedDatabaseDir(config.database.dataDir))) {
        throw new CliFailure(`there is no embedded database in ${embeddedDatabaseDir(config.database.dataDir)}: nothing to prune`);
      }
      // No query log: its slow-query lines would land in the middle of the output, and bulk deletes are slow by nature.
      const db = await openDatabase(config, null);
      try {
        await prepareSchema(db, await readMigrationFiles(), config, false, logger);
        const report = await pruneRetained(db, config.retention);
        (options.json ? printJson : printText)(report, config.retention);
      } finally {
        await db.close();
      }
    });
}
