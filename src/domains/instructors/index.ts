export { instructorsRoutes } from './instructors.routes.js';
export { eligibilityNoticesName, noticeIneligibleInstructors } from './eligibility-notices.handler.js';
