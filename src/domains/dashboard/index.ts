export { dashboardRoutes } from './dashboard.routes.js';
export { type Dashboard, readDashboard } from './dashboard.repository.js';
