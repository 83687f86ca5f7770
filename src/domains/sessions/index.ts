export { sessionsRoutes } from './sessions.routes.js';
export { rolesThatMay } from './sessions.roles.js';
export { fullClockTime, requireInstructor, requireLocation, requirePublishedCourse } from './sessions.references.js';
export { cancelSessionAndEnrollments } from './sessions.repository.js';
export { changeSessionIn } from './sessions.service.js';
export { decideEligibility, type EligibilityOverride, noOverride, type OccurrenceGaps, selectEligibilityGaps } from './sessions.eligibility.js';
export { type ScheduleConflict, scheduleConflictError } from './sessions.conflicts.js';
