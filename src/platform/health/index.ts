export { healthRoutes } from './health.routes.js';
export { checkReadiness, type Readiness } from './health.service.js';
