export { accountMailHandlers } from './account-mail.js';
export { invitationsRoutes } from './invitations.routes.js';
export { passwordResetLimits, passwordResetRoutes } from './password-reset.routes.js';
