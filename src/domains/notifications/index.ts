export { notificationsRoutes } from './notifications.routes.js';
export { notificationTemplatesRoutes } from './templates.routes.js';
export { type NotificationSenderDeps, queueRemindersName, trainingDayHandlers, trainingDaySubscribers } from './training-day.handlers.js';
export { createMailTransport, MailRecipientRefused, type MailTransport } from './mail-transport.js';
