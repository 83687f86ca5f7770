import type { MailSettings, ScheduleSettings } from './config.js';
import { accountMailHandlers } from './domains/accounts/index.js';
import { certificateHandlers, certificateSubscribers, expireDueCertificates, expireDueName } from './domains/certificates/index.js';
import {
  complianceFollowsCertificates, complianceOnCompletion, recomputeComplianceNightly, recomputeNightlyName, sendComplianceReminders, sendRemindersName,
} from './domains/compliance/index.js';
import { eligibilityNoticesName, noticeIneligibleInstructors } from './domains/instructors/index.js';
import { expireOffersName, expireWaitlistOffersHandler } from './domains/enrollments/index.js';
import type { EventSubscriber, JobHandler, ScheduledJob } from './platform/jobs/index.js';
import { queueRemindersName, trainingDayHandlers, trainingDaySubscribers } from './domains/notifications/index.js';
import { refreshAnalyticsHandler, refreshAnalyticsJob } from './domains/reports/index.js';
import type { FieldCipher } from './platform/security/field-cipher.js';
import type { Logger } from './platform/shared/logger.js';

/**
 * The handlers below that subscribe to events, as their domains declare them: which events queue a job
 * of which handler, known without the keys and the mail the handlers need (`unitrain doctor` reads
 * this). A handler added below with event types is added here too (handlers.test.ts compares the two).
 */
export const eventSubscribers: readonly EventSubscriber[] = [
  complianceOnCompletion, complianceFollowsCertificates, ...Object.values(trainingDaySubscribers), ...Object.values(certificateSubscribers),
];

/**
 * Every handler a worker runs, subscribed to its event types. The processes that run a worker (`serve`,
 * `unitrain worker`) hand this list to it, so the job queue does not know its consumers. Every worker
 * must run the same list: an event is relayed once, for the handlers of the relaying process.
 */
export function createJobHandlers(deps: {
  cipher: FieldCipher; mail: MailSettings; logger: Logger; now?: () => Date;
  /** The base of verification links printed by certificates issued without a request (PUBLIC_URL, else the server's own address). */
  publicUrl?: string | null;
}): JobHandler[] {
  const now = deps.now ?? (() => new Date());
  const publicUrl = deps.publicUrl ?? 'http://localhost';
  return [
    complianceOnCompletion, complianceFollowsCertificates, recomputeComplianceNightly({ now }), sendComplianceReminders({ now }), ...trainingDayHandlers({ ...deps, now }), ...accountMailHandlers(deps),
    refreshAnalyticsHandler(deps), expireDueCertificates({ now }), noticeIneligibleInstructors({ now }), ...certificateHandlers({ ...deps, publicUrl }),
    expireWaitlistOffersHandler({ now }),
  ];
}

/**
 * Every cron-style schedule a worker keeps (platform/jobs/schedules.ts): each slot queues one job of the
 * named handler, once across all workers, caught up after downtime. Another domain adds its entry here
 * with its handler above.
 */
export function createScheduledJobs(settings: ScheduleSettings): ScheduledJob[] {
  return [
    { name: 'analytics-refresh', cron: settings.analyticsRefreshCron, handler: refreshAnalyticsJob },
    { name: 'certificate-expiry', cron: settings.certificateExpiryCron, handler: expireDueName },
    { name: 'compliance-recompute', cron: settings.complianceRecomputeCron, handler: recomputeNightlyName },
    { name: 'compliance-reminders', cron: settings.complianceReminderCron, handler: sendRemindersName },
    { name: 'instructor-eligibility', cron: settings.instructorEligibilityCron, handler: eligibilityNoticesName },
    { name: 'waitlist-offer-expiry', cron: settings.waitlistOfferExpiryCron, handler: expireOffersName },
    { name: 'session-reminders', cron: settings.sessionReminderCron, handler: queueRemindersName },
  ];
}
