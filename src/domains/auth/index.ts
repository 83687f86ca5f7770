export { authRoutes } from './auth.routes.js';
export { findSignedInUser } from './auth.repository.js';
export { replacePassword } from './auth.service.js';
