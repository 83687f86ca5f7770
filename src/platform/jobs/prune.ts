import type { RetentionSettings } from '../../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import { type ChangeLogPrune, formatPosition, pruneChangeLog } from '../change-log/index.js';
import type { PruneHook } from './dispatcher.js';
import { deleteSucceededJobs } from './jobs.repository.js';

const jobBatchSize = 1_000;

/** Held by the process that prunes on schedule; any number would do, as long as nothing else uses it. */
export const scheduledPruneLockKey = 8_245_972_158_721_128;

export interface PruneReport {
  changeLog: ChangeLogPrune;
  jobs: { deleted: number };
}

/**
 * Deletes SUCCEEDED jobs finished more than `olderThanDays` ago whose event the relay has passed
 * (deleteSucceededJobs says why), in batches that each commit alone, until none is left or `signal`
 * is aborted.
 */
export async function pruneJobs(db: Db, options: { olderThanDays: number; signal?: AbortSignal }): Promise<number> {
  let deleted = 0;
  while (!options.signal?.aborted) {
    const batch = await deleteSucceededJobs(db, options.olderThanDays, jobBatchSize);
    deleted += batch;
    if (batch < jobBatchSize) break;
  }
  return deleted;
}

/** Prunes change_log and succeeded jobs once, now: what `unitrain prune` runs and the schedule repeats. */
export async function pruneRetained(db: Db, retention: Pick<RetentionSettings, 'changeLogHours' | 'jobDays'>, signal?: AbortSignal): Promise<PruneReport> {
  const changeLog = await pruneChangeLog(db, { olderThanHours: retention.changeLogHours, signal });
  const deleted = await pruneJobs(db, { olderThanDays: retention.jobDays, signal });
  return { changeLog, jobs: { deleted } };
}

/**
 * The dispatcher's prune hook. Every process runs it on its own interval; a session advisory lock lets
 * one prune at a time and the others skip their turn, since they would only repeat its work (two
 * prunes at once are safe, decision 0019). The lock's connection stays idle, outside any
 * transaction, while the batches run on the pool; on PGlite there is one connection and one process.
 */
export function scheduledPrune(db: Db, retention: RetentionSettings, logger: Logger): PruneHook {
  return {
    intervalMs: retention.pruneIntervalMs,
    run: (signal) => db.withConnection(async (connection) => {
      const { rows: [lock] } = await connection.query<{ taken: boolean }>('select pg_try_advisory_lock($1) as taken', [scheduledPruneLockKey]);
      if (!lock?.taken) {
        logger.debug('another process is pruning; skipping this turn');
        return;
      }
      try {
        const started = performance.now();
        const report = await pruneRetained(db, retention, signal);
        logger.info({
          changeLogDeleted: report.changeLog.deleted,
          prunedThrough: report.changeLog.prunedThrough && formatPosition(report.changeLog.prunedThrough),
          jobsDeleted: report.jobs.deleted,
          durationMs: Math.round(performance.now() - started),
        }, 'pruned change_log and succeeded jobs');
      } finally {
        await connection.query('select pg_advisory_unlock($1)', [scheduledPruneLockKey]);
      }
    }),
  };
}
