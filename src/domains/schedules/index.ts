export { schedulesRoutes } from './schedules.routes.js';
