export { certificatesRoutes } from './certificates.routes.js';
export { certificateTemplatesRoutes } from './certificate-templates.routes.js';
export { certificateBatchesRoutes } from './certificate-batches.routes.js';
export { type CertificateHandlerDeps, certificateHandlers } from './certificates.handlers.js';
export { builtInTemplateId } from './built-in-template.js';
