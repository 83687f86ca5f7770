export { certificatesRoutes } from './certificates.routes.js';
