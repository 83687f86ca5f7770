import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { changeEnrollment, recordSessionResults } from './enrollments.results.service.js';
import { ChangeEnrollmentBody, EnrollmentIdParams, EnrollmentSchema, SessionIdParams, SessionResultsBody, SessionResultsSchema } from './enrollments.schemas.js';
import type { EnrollmentsDeps } from './enrollments.service.js';
import { requiredVersion } from '../../platform/shared/crud/expected-version.js';

/** Attendance, scores and completion: for the staff of the session (row-level security and the column guards of 0009 decide). */
export const enrollmentResultsRoutes: FastifyPluginAsyncTypebox<EnrollmentsDeps> = async (app, deps) => {
  const tags = ['enrollments'];

  app.patch(
    '/v1/enrollments/:id',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'recordEnrollmentResults',
        security: signedInSecurity,
        summary: 'Record attendance, scores and completion of an ENROLLED student (send the version you read)',
        params: EnrollmentIdParams,
        body: ChangeEnrollmentBody,
        response: { 200: EnrollmentSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = requireSignedIn(request);
      const { version, ...fields } = request.body;
      const row = await changeEnrollment(deps, actor, request.params.id, requiredVersion(request, version), fields);
      reply.header('etag', `"${row.version}"`);
      return row;
    },
  );

  app.put(
    '/v1/sessions/:id/results',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'recordSessionResults',
        security: signedInSecurity,
        summary: "Record many enrollments' attendance and results in one transaction; one stale version and nothing is written",
        params: SessionIdParams,
        body: SessionResultsBody,
        response: { 200: SessionResultsSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => recordSessionResults(deps, requireSignedIn(request), request.params.id, request.body.results),
  );
};
