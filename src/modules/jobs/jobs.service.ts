import type { Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../shared/crud/cursor.js';
import { type JobPosition, type JobRow, requeueJob, selectJob, selectJobs } from './jobs.repository.js';
import type { JobPage, JobSchema, JobsQuery } from './jobs.schemas.js';

const cursorSort = 'created_at';
// PostgreSQL's text of a timestamptz, as the repository reads it: 2026-11-23 14:31:49.123456+00
const timestampText = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

function positionOf(cursor: string): JobPosition {
  const { value, id } = decodeCursor(cursor, cursorSort);
  if (typeof value !== 'string' || !timestampText.test(value)) {
    throw new AppError('VALIDATION_FAILED', 'cursor is not one this API returned', { field: 'querystring.cursor' });
  }
  return { createdAt: value, id };
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

export function jobOf({ created_at_text: _, idempotency_key: __, ...row }: JobRow): JobSchema {
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
  const limit = query.limit ?? 50;
  const after = query.cursor === undefined ? null : positionOf(query.cursor);
  const rows = await selectJobs(db, query.status, { after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(jobOf),
    next_cursor: rows.length > limit && last ? encodeCursor({ sort: cursorSort, value: last.created_at_text, id: last.id }) : null,
  };
}

/** A DEAD job (or one waiting for its next attempt) runs again now, with all its attempts back. */
export async function retryJob(db: Queryable, id: string): Promise<JobSchema> {
  const requeued = await requeueJob(db, id);
  if (requeued) return jobOf(requeued);
  const job = await selectJob(db, id);
  if (!job) throw new AppError('NOT_FOUND', 'no job with this id', { field: 'params.id' });
  throw new AppError('INVALID_TRANSITION', `the job is ${job.status}: only a DEAD or FAILED job can be retried`, { field: 'params.id', current: jobOf(job) });
}
