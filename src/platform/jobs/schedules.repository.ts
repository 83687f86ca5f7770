import type { Queryable, Tx } from '../db/database.js';
import { insertJob } from './jobs.repository.js';

/** The last slot each schedule was enqueued for (migration 0036). */
export async function readScheduleSlots(db: Queryable, names: readonly string[]): Promise<Map<string, Date>> {
  const { rows } = await db.query<{ name: string; last_slot: Date }>(
    'select name, last_slot from job_schedules where name = any($1::text[])',
    [names],
  );
  return new Map(rows.map((row) => [row.name, row.last_slot]));
}

/** First sight of a schedule: `slot` is where it starts counting from; nothing is queued for it. */
export async function insertScheduleBaseline(tx: Tx, name: string, slot: Date): Promise<boolean> {
  const { rowCount } = await tx.query('insert into job_schedules (name, last_slot) values ($1, $2) on conflict (name) do nothing', [name, slot]);
  return rowCount === 1;
}

/**
 * Moves the schedule to `slot` and queues its job, in one transaction. One UPDATE guarded by the old
 * slot on purpose: of two workers that both found the slot due, the second waits for the first's row
 * lock, then finds the condition false and queues nothing; the job's idempotency key (one per slot)
 * would refuse a second copy anyway.
 */
export async function advanceSchedule(
  tx: Tx,
  schedule: { name: string; handler: string; payload: Record<string, unknown> },
  slot: Date,
): Promise<string | undefined> {
  const { rowCount } = await tx.query(
    'update job_schedules set last_slot = $2, updated_at = now() where name = $1 and last_slot < $2',
    [schedule.name, slot],
  );
  if (rowCount !== 1) return undefined;
  return insertJob(tx, {
    handler: schedule.handler,
    payload: { ...schedule.payload, schedule: schedule.name, slot: slot.toISOString() },
    idempotencyKey: `schedule:${schedule.name}:${slot.toISOString()}`,
    maxAttempts: 3,
  });
}
