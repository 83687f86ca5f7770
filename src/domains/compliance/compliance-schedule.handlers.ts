import type { JobHandler } from '../../platform/jobs/index.js';
import { proposeTierChanges, recomputeAllScores, sendDueReminders } from './compliance-schedule.repository.js';

export const recomputeNightlyName = 'compliance.recompute-nightly';
export const sendRemindersName = 'compliance.send-reminders';

/**
 * `compliance.recompute-nightly`: queued by its schedule (COMPLIANCE_RECOMPUTE_CRON; a slot missed
 * while no worker ran is caught up with one job). Recomputes every score as of the clock, then proposes
 * the tier changes that lapses call for. Idempotent: a second run writes nothing.
 */
export function recomputeComplianceNightly(deps: { now: () => Date }): JobHandler {
  return {
    name: recomputeNightlyName,
    eventTypes: [],
    async run(tx) {
      const asOf = deps.now();
      await recomputeAllScores(tx, asOf);
      await proposeTierChanges(tx, asOf);
    },
  };
}

/**
 * `compliance.send-reminders`: queued by its schedule (COMPLIANCE_REMINDER_CRON). Sends each renewal
 * reminder once, whoever runs it and however late (compliance_reminders' unique key; see sendDueReminders).
 */
export function sendComplianceReminders(deps: { now: () => Date }): JobHandler {
  return {
    name: sendRemindersName,
    eventTypes: [],
    async run(tx) {
      await sendDueReminders(tx, deps.now());
    },
  };
}
