import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { createSerializedOnce } from '../../platform/http/serialized-once.js';
import { DashboardSchema } from './dashboard.schemas.js';
import { type DashboardDeps, getDashboard } from './dashboard.service.js';

export const dashboardRoutes: FastifyPluginAsyncTypebox<DashboardDeps> = async (app, deps) => {
  const sendSerializedOnce = createSerializedOnce();
  app.get(
    '/v1/dashboard',
    {
      onRequest: signedInOnly,
      schema: {
        tags: ['dashboard'],
        operationId: 'getDashboard',
        security: signedInSecurity,
        summary: 'Your dashboard: upcoming sessions, what needs attention, this month against last, certificates, compliance, unread notifications',
        response: { 200: DashboardSchema, ...errorResponses(401) },
      },
    },
    async (request, reply) => sendSerializedOnce(reply, await getDashboard(deps, requireSignedIn(request))),
  );
};
