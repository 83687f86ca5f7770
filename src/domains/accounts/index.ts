export { accountMailHandlers } from './account-mail.js';
export { invitationsRoutes } from './invitations.routes.js';
export { passwordResetRoutes } from './password-reset.routes.js';
