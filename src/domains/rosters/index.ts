export { rostersRoutes } from './rosters.routes.js';
