export { authRoutes } from './auth.routes.js';
export { findSignedInUser } from './auth.repository.js';
