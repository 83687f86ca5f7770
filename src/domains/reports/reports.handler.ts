import type { JobHandler } from '../../platform/jobs/index.js';
import type { Logger } from '../../platform/shared/logger.js';
import { refreshAnalyticsViews } from './reports.repository.js';

/** The job the analytics schedule queues (src/job-handlers.ts): every view, CONCURRENTLY, one refresh at a time. */
export const refreshAnalyticsJob = 'reports.refresh-analytics';

export function refreshAnalyticsHandler(deps: { logger: Logger }): JobHandler {
  return {
    name: refreshAnalyticsJob,
    eventTypes: [],
    maxAttempts: 3,
    async run(tx, job) {
      const refreshed = await refreshAnalyticsViews(tx);
      if (refreshed === null) {
        deps.logger.info({ job: job.id }, 'another worker is refreshing the analytics views; this slot is covered by it');
        return;
      }
      deps.logger.info({ job: job.id, views: refreshed }, 'analytics views refreshed');
    },
  };
}
