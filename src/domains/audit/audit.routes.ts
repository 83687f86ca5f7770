import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../platform/db/database.js';
import { requireRole, rolesOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { ActivityParams, ActivityQuery, ActivitySummary, AuditPage, AuditQuery } from './audit.schemas.js';
import { listAuditEntries, summariseUserActivity } from './audit.service.js';

export interface AuditRouteDeps {
  db: Db;
}

const auditors = ['SA', 'AD'] as const;

/** The audit log, for SA and AD only; row-level security further hides what an AD may not see (SA accounts). */
export const auditRoutes: FastifyPluginAsyncTypebox<AuditRouteDeps> = async (app, deps) => {
  app.get(
    '/v1/audit',
    {
      onRequest: rolesOnly(...auditors),
      schema: {
        tags: ['audit'],
        operationId: 'listAuditEntries',
        security: signedInSecurity,
        summary: 'Recorded changes, newest first, filtered and paged by cursor',
        querystring: AuditQuery,
        response: { 200: AuditPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const actor = requireRole(request, ...auditors);
      return deps.db.withActor(actor, (tx) => listAuditEntries(tx, request.query));
    },
  );

  app.get(
    '/v1/audit/activity/:userId',
    {
      onRequest: rolesOnly(...auditors),
      schema: {
        tags: ['audit'],
        operationId: 'getUserActivity',
        security: signedInSecurity,
        summary: "A person's changes per day and table over the last days (user_activity_summary)",
        params: ActivityParams,
        querystring: ActivityQuery,
        response: { 200: ActivitySummary, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const actor = requireRole(request, ...auditors);
      return deps.db.withActor(actor, (tx) => summariseUserActivity(tx, request.params.userId, request.query.days ?? 30));
    },
  );
};
