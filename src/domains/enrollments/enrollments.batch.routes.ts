import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { csvUploadOf } from '../../platform/shared/csv/csv-upload.js';
import { BatchBody, BatchReportSchema, ImportQuery } from './enrollments.batch.schemas.js';
import { enrollStudentCsv, enrollStudentList } from './enrollments.batch.service.js';
import { SessionIdParams } from './enrollments.schemas.js';
import type { EnrollmentsDeps } from './enrollments.service.js';

/**
 * Many students into one session at once, for the staff of the session (migration 0016 checks):
 * a JSON list or a CSV upload, a result per row, best effort or all or nothing.
 */
export const enrollmentBatchRoutes: FastifyPluginAsyncTypebox<EnrollmentsDeps> = async (app, deps) => {
  const tags = ['enrollments'];
  const responses = { 200: BatchReportSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422) };

  app.post(
    '/v1/sessions/:id/enrollments/batch',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'batchEnrollStudents',
        security: signedInSecurity,
        summary: 'Enroll up to 10,000 students by account id or e-mail; a result per row (ENROLLED, WAITLISTED, ALREADY_ENROLLED, INVALID)',
        params: SessionIdParams,
        body: BatchBody,
        response: responses,
      },
    },
    async (request) =>
      enrollStudentList(deps, requireSignedIn(request), request.params.id, request.body.students, request.body.all_or_nothing ?? false),
  );

  app.post(
    '/v1/sessions/:id/enrollments/import',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'importEnrollments',
        security: signedInSecurity,
        summary: 'Enroll the students of a CSV file (text/csv or a multipart file; columns student_id or email, first_name, last_name, company)',
        params: SessionIdParams,
        querystring: ImportQuery,
        response: responses,
      },
    },
    async (request) => {
      const actor = requireSignedIn(request);
      const file = await csvUploadOf(request);
      return enrollStudentCsv(deps, actor, request.params.id, file, request.query.all_or_nothing ?? false);
    },
  );
};
