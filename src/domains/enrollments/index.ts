export { enrollmentsRoutes } from './enrollments.routes.js';
