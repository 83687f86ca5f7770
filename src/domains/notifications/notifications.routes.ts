import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../platform/db/database.js';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { InboxPage, InboxQuery, NotificationParams, NotificationSchema, ReadAllResult } from './notifications.schemas.js';
import { listInbox, markAllRead, markNotification } from './notifications.service.js';

export interface NotificationsRouteDeps {
  db: Db;
}

/** Everyone's own inbox: every signed-in role has one, and row-level security keeps it theirs. */
export const notificationsRoutes: FastifyPluginAsyncTypebox<NotificationsRouteDeps> = async (app, deps) => {
  const tags = ['notifications'];
  app.get(
    '/v1/notifications',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'listNotifications',
        security: signedInSecurity,
        summary: 'Your notifications, newest first, with the number unread',
        querystring: InboxQuery,
        response: { 200: InboxPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => deps.db.withActor(requireSignedIn(request), (tx) => listInbox(tx, request.query)),
  );

  for (const [action, read] of [['read', true], ['unread', false]] as const) {
    app.post(
      `/v1/notifications/:id/${action}`,
      {
        onRequest: signedInOnly,
        schema: {
          tags,
          operationId: read ? 'markNotificationRead' : 'markNotificationUnread',
          security: signedInSecurity,
          summary: read ? 'Mark one of your notifications read (the first read time is kept)' : 'Mark one of your notifications unread',
          params: NotificationParams,
          response: { 200: NotificationSchema, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => deps.db.withActor(requireSignedIn(request), (tx) => markNotification(tx, request.params.id, read)),
    );
  }

  app.post(
    '/v1/notifications/read-all',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'markAllNotificationsRead',
        security: signedInSecurity,
        summary: 'Mark all your unread notifications read',
        response: { 200: ReadAllResult, ...errorResponses(401) },
      },
    },
    async (request) => deps.db.withActor(requireSignedIn(request), (tx) => markAllRead(tx)),
  );
};
