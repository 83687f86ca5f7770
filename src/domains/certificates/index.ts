export { certificatesRoutes } from './certificates.routes.js';
export { certificateCredentialsRoutes } from './certificate-credentials.routes.js';
export { createCredentialSigner } from './credential-signing.js';
export { expireDueCertificates, expireDueName } from './certificate-expiry.handler.js';
export { verifyDocumentRoutes } from './verify-document.routes.js';
export { certificateTemplatesRoutes } from './certificate-templates.routes.js';
export { certificateBatchesRoutes } from './certificate-batches.routes.js';
export { type CertificateHandlerDeps, certificateHandlers, certificateSubscribers } from './certificates.handlers.js';
export { builtInTemplateId } from './built-in-template.js';
