import { Cron } from 'croner';
import type { Db } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import { advanceSchedule, insertScheduleBaseline, readScheduleSlots } from './schedules.repository.js';

/**
 * Work queued at the slots of a cron expression. The composition root lists them (src/job-handlers.ts),
 * like handlers, so any domain can add one: the analytics refresh, a certificate expiry sweep, a nightly
 * compliance recompute.
 */
export interface ScheduledJob {
  /** Stored in job_schedules and part of each slot's idempotency key. */
  readonly name: string;
  /** Five or six fields (seconds first when six), as croner reads them. */
  readonly cron: string;
  /** The job handler the slot queues. */
  readonly handler: string;
  readonly payload?: Record<string, unknown>;
}

export interface Scheduler {
  /**
   * Queues the job of every schedule whose latest slot (at the clock's now) is after the slot it last
   * queued. Slots missed while no worker ran are caught up with one job, for the latest of them: a
   * refresh or a sweep run once covers them all. Resolves to the jobs queued.
   */
  enqueueDue(): Promise<number>;
  /** Whether a slot of any schedule may have fallen since the last look, by the clock (no query): the dispatcher asks each round. */
  due(): boolean;
}

export function cronOf(expression: string, timezone: string): Cron {
  return new Cron(expression, { timezone, paused: true });
}

/** The latest slot at or before `now`, if the expression has one. */
function latestSlot(cron: Cron, now: Date): Date | null {
  return cron.previousRuns(1, new Date(now.getTime() + 1))[0] ?? null;
}

export function createScheduler(
  db: Db,
  schedules: readonly ScheduledJob[],
  settings: { timezone: string; now: () => Date },
  logger: Logger,
): Scheduler {
  const crons = new Map(schedules.map((schedule) => [schedule.name, cronOf(schedule.cron, settings.timezone)]));
  // At start the table is read at once: slots missed while nothing ran are queued by the first round.
  let checkAt = Number.NEGATIVE_INFINITY;

  const planNext = (now: Date) => {
    const next = [...crons.values()].map((cron) => cron.nextRun(now)?.getTime() ?? Number.POSITIVE_INFINITY);
    checkAt = Math.min(...next);
  };

  return {
    async enqueueDue() {
      const now = settings.now();
      if (schedules.length === 0) return 0;
      // A read first, without locks: most rounds find nothing due and write nothing (a write would
      // signal a commit and wake every worker and feed).
      const slots = await readScheduleSlots(db, schedules.map((schedule) => schedule.name));
      let queued = 0;
      for (const schedule of schedules) {
        const slot = latestSlot(crons.get(schedule.name) as Cron, now);
        const last = slots.get(schedule.name);
        if (last === undefined) {
          await db.transaction((tx) => insertScheduleBaseline(tx, schedule.name, slot ?? now));
          continue;
        }
        if (slot === null || slot <= last) continue;
        const job = await db.transaction((tx) => advanceSchedule(tx, { name: schedule.name, handler: schedule.handler, payload: schedule.payload ?? {} }, slot));
        if (job) {
          queued += 1;
          logger.info({ schedule: schedule.name, slot: slot.toISOString(), job }, 'scheduled job queued');
        }
      }
      planNext(now);
      return queued;
    },
    due() {
      return settings.now().getTime() >= checkAt;
    },
  };
}
