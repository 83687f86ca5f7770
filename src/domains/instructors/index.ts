export { instructorsRoutes } from './instructors.routes.js';
