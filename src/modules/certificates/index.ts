export { certificatesRoutes } from './certificates.routes.js';
export { certificateCredentialsRoutes } from './certificate-credentials.routes.js';
export { createCredentialSigner } from './credential-signing.js';
export { expireDueCertificates, expireDueName } from './certificate-expiry.handler.js';
export { verifyDocumentRoutes } from './verify-document.routes.js';
