import type { Config } from '../../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import { createDispatcher, defaultDispatcherSettings, type Dispatcher } from './dispatcher.js';
import type { JobHandler } from './job-handler.js';
import { scheduledPrune } from './prune.js';
import { createScheduler, type ScheduledJob } from './schedules.js';

/**
 * The dispatcher `serve` runs in process and `unitrain worker` runs alone, with the handlers they give it
 * (src/job-handlers.ts), and with the retention prune when given retention settings (the processes are;
 * handler tests are not).
 */
export function createWorker(
  db: Db,
  config: Pick<Config, 'worker'> & Partial<Pick<Config, 'retention' | 'schedules'>>,
  handlers: readonly JobHandler[],
  logger: Logger,
  schedules: readonly ScheduledJob[] = [],
): Dispatcher {
  const prune = config.retention && scheduledPrune(db, config.retention, logger);
  const timezone = config.schedules?.timezone ?? 'UTC';
  const scheduler = schedules.length > 0 ? createScheduler(db, schedules, { timezone, now: () => new Date() }, logger) : undefined;
  return createDispatcher(db, handlers, logger, { ...defaultDispatcherSettings, pollMs: config.worker.pollMs, leaseMs: config.worker.leaseMs, prune, scheduler });
}
