export { coursesRoutes } from './courses.routes.js';
