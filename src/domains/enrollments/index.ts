export { enrollmentsRoutes } from './enrollments.routes.js';
export { expireOffersName, expireWaitlistOffersHandler } from './offer-expiry.handler.js';
