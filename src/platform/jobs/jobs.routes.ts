import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../db/database.js';
import { requireRole, rolesOnly } from '../http/authenticate.js';
import { errorResponses } from '../http/error-responses.js';
import { signedInSecurity } from '../http/openapi.js';
import { JobPage, JobParams, JobSchema, JobsQuery } from './jobs.schemas.js';
import { listJobs, retryJob } from './jobs.service.js';

export interface JobsRouteDeps {
  db: Db;
}

// The matrix gives jobs to SA and AD only; everyone else is refused before any query.
const operators = ['SA', 'AD'] as const;

/** The job queue for operators: list (e.g. the dead letters) and retry. */
export const jobsRoutes: FastifyPluginAsyncTypebox<JobsRouteDeps> = async (app, deps) => {
  const tags = ['jobs'];
  app.get(
    '/v1/admin/jobs',
    {
      onRequest: rolesOnly(...operators),
      schema: {
        tags,
        operationId: 'listJobs',
        security: signedInSecurity,
        summary: 'Background jobs, newest first, optionally of one status (DEAD: the dead letters)',
        querystring: JobsQuery,
        response: { 200: JobPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => deps.db.withActor(requireRole(request, ...operators), (tx) => listJobs(tx, request.query)),
  );

  app.post(
    '/v1/admin/jobs/:id/retry',
    {
      onRequest: rolesOnly(...operators),
      schema: {
        tags,
        operationId: 'retryJob',
        security: signedInSecurity,
        summary: 'Run a DEAD (or FAILED) job again now, with all its attempts back',
        params: JobParams,
        response: { 200: JobSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    // The dispatchers find the job at their next poll.
    async (request) => deps.db.withActor(requireRole(request, ...operators), (tx) => retryJob(tx, request.params.id)),
  );
};
