export { notificationsRoutes } from './notifications.routes.js';
export { type NotificationSenderDeps, notifyOnSessionCancelled } from './session-cancelled.handler.js';
export { createMailTransport, MailRecipientRefused, type MailTransport } from './mail-transport.js';
