export { notificationsRoutes } from './notifications.routes.js';
export { type NotificationSenderDeps, notifyOnSessionCancelled } from './session-cancelled.handler.js';
