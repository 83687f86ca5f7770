import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSignedIn, rolesOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import type { Db } from '../../platform/db/database.js';
import { NotificationTemplateList, NotificationTemplateSchema, PutNotificationTemplateBody, TemplateIdParams } from './templates.schemas.js';
import { listTemplates, putTemplate, removeTemplate } from './templates.service.js';

/**
 * The texts of training-day notifications (migration 0045): SA and AD edit the global ones and any
 * provider's override, an AP its providers' overrides. Row-level security decides which rows.
 */
export const notificationTemplatesRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, deps) => {
  const tags = ['notifications'];
  const onRequest = rolesOnly('SA', 'AD', 'AP');

  app.get(
    '/v1/notification-templates',
    {
      onRequest,
      schema: {
        tags, security: signedInSecurity, operationId: 'listNotificationTemplates',
        summary: 'The notification templates you may edit or override (an AP: the global ones and its providers’), with the placeholders of each kind',
        response: { 200: NotificationTemplateList, ...errorResponses(401, 403) },
      },
    },
    async (request) => listTemplates(deps.db, requireSignedIn(request)),
  );

  app.put(
    '/v1/notification-templates',
    {
      onRequest,
      schema: {
        tags, security: signedInSecurity, operationId: 'putNotificationTemplate',
        summary: 'Write the template of a kind, locale and provider (null: the global one), made or replaced',
        description: '422 INVALID_TEMPLATE names a placeholder the kind does not fill (details.field, details.placeholder).',
        body: PutNotificationTemplateBody,
        response: { 200: NotificationTemplateSchema, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request) => {
      const { kind, locale = 'en', provider_id = null, subject, body, version } = request.body;
      return putTemplate(deps.db, requireSignedIn(request), { kind, locale, provider_id, subject, body }, version);
    },
  );

  app.delete(
    '/v1/notification-templates/:id',
    {
      onRequest,
      schema: {
        tags, security: signedInSecurity, operationId: 'deleteNotificationTemplate',
        summary: 'Remove a provider’s override: its sessions get the global text again (global templates are edited, never removed)',
        params: TemplateIdParams,
        response: { 200: NotificationTemplateSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => removeTemplate(deps.db, requireSignedIn(request), request.params.id),
  );
};
