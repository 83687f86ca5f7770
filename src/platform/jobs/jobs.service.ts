import type { Db, Queryable } from '../db/database.js';
import { AppError } from '../../errors.js';
import { type JobRow, queueEventsPassedWithoutJobs, requeueJob, selectJob, selectJobs, type Subscription } from './jobs.repository.js';
import type { JobPage, JobSchema, JobsQuery } from './jobs.schemas.js';

const iso = (date: Date | null) => date?.toISOString() ?? null;

function jobOf({ idempotency_key: _, ...row }: JobRow): JobSchema {
  return {
    ...row,
    run_after: row.run_after.toISOString(), locked_until: iso(row.locked_until), finished_at: iso(row.finished_at),
    created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString(),
  };
}

/**
 * Jobs newest first, optionally of one status. `db` is an actor transaction (the API: row-level
 * security shows jobs to SA and AD only) or the owner (the CLI).
 */
export async function listJobs(db: Queryable, query: JobsQuery): Promise<JobPage> {
  const page = await selectJobs(db, query.status, { cursor: query.cursor, limit: query.limit ?? 50 });
  return { items: page.items.map(jobOf), next_cursor: page.next_cursor };
}

/** A DEAD job (or one waiting for its next attempt) runs again now, with all its attempts back. */
export async function retryJob(db: Queryable, id: string): Promise<JobSchema> {
  const requeued = await requeueJob(db, id);
  if (requeued) return jobOf(requeued);
  const job = await selectJob(db, id);
  if (!job) throw new AppError('NOT_FOUND', 'no job with this id', { field: 'params.id' });
  throw new AppError('INVALID_TRANSITION', `the job is ${job.status}: only a DEAD or FAILED job can be retried`, { field: 'params.id', current: jobOf(job) });
}

/**
 * Queues, as the relay would have, the jobs of the events it passed without queuing them (an old relay's
 * bug, decision 0016), among the events of the last `retentionDays` (JOB_RETENTION_DAYS: older ones may
 * have had their jobs pruned). As the database owner, in one transaction; a repeat, or a second repair at
 * the same time, queues nothing more. `events`: how many such events it found; `jobs`: how many jobs it queued.
 */
export function queueJobsOfPassedEvents(db: Db, subscriptions: readonly Subscription[], retentionDays: number): Promise<{ events: number; jobs: number }> {
  return db.transaction((tx) => queueEventsPassedWithoutJobs(tx, subscriptions, retentionDays));
}
