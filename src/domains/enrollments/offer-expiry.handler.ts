import { insertJob, type JobHandler } from '../../platform/jobs/index.js';
import { expireWaitlistOffers } from './enrollments.repository.js';

export const expireOffersName = 'enrollments.expire-offers';

/** Offers one run withdraws at most: a run that had more queues the next one, so no transaction grows unbounded. */
export const defaultOfferExpiryBatchSize = 500;

/**
 * `enrollments.expire-offers`: queued by the scheduler (every minute by default). Withdraws every
 * waitlist offer whose deadline has passed by the clock and offers (or gives) each seat to the next in
 * line. After downtime the first run finds every offer that lapsed meanwhile, so nothing more is
 * needed to catch up; the next offers are timed from the run, not from the missed deadline. An answer
 * never waits for this job: accepting judges the deadline itself (answer_waitlist_offer, migration 0044).
 * Idempotent: a second run finds nothing due.
 */
export function expireWaitlistOffersHandler(deps: { now: () => Date; batchSize?: number }): JobHandler {
  const batchSize = deps.batchSize ?? defaultOfferExpiryBatchSize;
  return {
    name: expireOffersName,
    eventTypes: [],
    async run(tx) {
      const at = deps.now();
      const expired = await expireWaitlistOffers(tx, at, batchSize);
      if (expired === batchSize) await insertJob(tx, { handler: expireOffersName, payload: { continues: at.toISOString() } });
    },
  };
}
