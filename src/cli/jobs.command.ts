import { type Command, Option } from 'commander';
import type { Config } from '../config.js';
import type { Db } from '../platform/db/database.js';
import { openDatabase } from '../platform/db/open-database.js';
import { AppError } from '../errors.js';
import { jobStatuses, listJobs, retryJob } from '../platform/jobs/index.js';
import type { Logger } from '../platform/shared/logger.js';
import { CliFailure } from './cli-failure.js';

/** As the database owner: the embedded database in DATA_DIR (stop the server first) or DATABASE_URL. */
async function withDatabase<T>(context: { config: () => Config; logger: () => Logger }, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase(context.config(), context.logger());
  try {
    return await fn(db);
  } catch (error) {
    if (error instanceof AppError) throw new CliFailure(error.message);
    throw error;
  } finally {
    await db.close();
  }
}

const shortError = (error: string | null) => (error ? error.replace(/\s+/g, ' ').slice(0, 80) : '');

export function registerJobsCommand(program: Command, context: { config: () => Config; logger: () => Logger }): void {
  const jobs = program.command('jobs').description('list and retry background jobs (as the database owner)');
  jobs
    .command('ls')
    .description('list jobs, newest first: id, status, attempts, handler, event, last error')
    .addOption(new Option('--status <status>', 'only jobs in this status (DEAD: the dead letters)').choices([...jobStatuses]))
    .option('--limit <n>', 'at most this many (1 to 200)', (value) => Number.parseInt(value, 10), 50)
    .option('--json', 'print the page as JSON')
    .action(async (options: { status?: (typeof jobStatuses)[number]; limit: number; json?: boolean }) => {
      if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > 200) throw new CliFailure('--limit must be an integer from 1 to 200');
      const page = await withDatabase(context, (db) => listJobs(db, { status: options.status, limit: options.limit }));
      if (options.json) {
        console.log(JSON.stringify(page, null, 2));
        return;
      }
      for (const job of page.items) {
        console.log([job.id, job.status.padEnd(9), `${job.attempts}/${job.max_attempts}`.padEnd(5), job.handler, job.event_seq ?? '-', shortError(job.last_error)].join('  '));
      }
      console.log(`${page.items.length} job(s)${page.next_cursor ? ' (more: raise --limit)' : ''}`);
    });
  jobs
    .command('retry')
    .description('run a DEAD (or FAILED) job again with all its attempts back; a running worker picks it up')
    .argument('<id>', 'the job id')
    .action(async (id: string) => {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new CliFailure('the job id must be a UUID');
      const job = await withDatabase(context, (db) => retryJob(db, id));
      console.log(`job ${job.id} (${job.handler}) is ${job.status} again`);
    });
}
