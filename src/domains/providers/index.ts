export { providersRoutes } from './providers.routes.js';
