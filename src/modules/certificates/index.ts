export { certificatesRoutes } from './certificates.routes.js';
export { certificateTemplatesRoutes } from './certificate-templates.routes.js';
