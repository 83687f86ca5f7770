export { complianceFollowsCertificates, complianceOnCompletion } from './compliance.handler.js';
export { complianceRoutes } from './compliance.routes.js';
export {
  recomputeComplianceNightly, recomputeNightlyName, sendComplianceReminders, sendRemindersName,
} from './compliance-schedule.handlers.js';
