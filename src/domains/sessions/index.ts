export { sessionsRoutes } from './sessions.routes.js';
export { rolesThatMay } from './sessions.roles.js';
export { fullClockTime, requireInstructor, requireLocation, requirePublishedCourse } from './sessions.references.js';
export { cancelSessionAndEnrollments } from './sessions.repository.js';
