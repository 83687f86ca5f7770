import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { expectedVersion } from '../../platform/shared/crud/expected-version.js';
import { CourseIdParams } from './courses.schemas.js';
import { InstructorRequirementsBody, InstructorRequirementsSchema } from './instructor-requirements.schemas.js';
import { type InstructorRequirementsDeps, readInstructorRequirements, saveRequirements } from './instructor-requirements.service.js';

/** What a course asks of the instructors of its sessions (decision 0042): read by whoever sees the course, set by administrators. */
export const instructorRequirementsRoutes: FastifyPluginAsyncTypebox<InstructorRequirementsDeps> = async (app, deps) => {
  const tags = ['courses'];
  app.get(
    '/v1/courses/:id/instructor-requirements',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'readCourseInstructorRequirements',
        summary: 'What a course asks of the instructor of its sessions: a minimum tier, compliance requirements, certificates',
        params: CourseIdParams, response: { 200: InstructorRequirementsSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => readInstructorRequirements(deps, requireSignedIn(request), request.params.id),
  );

  app.put(
    '/v1/courses/:id/instructor-requirements',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'saveCourseInstructorRequirements',
        summary: 'Set what a course asks of the instructor of its sessions (administrators); assigning one who does not meet it is then 422 INSTRUCTOR_NOT_ELIGIBLE',
        params: CourseIdParams, body: InstructorRequirementsBody, response: { 200: InstructorRequirementsSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const { version, ...values } = request.body;
      return saveRequirements(deps, requireSignedIn(request), request.params.id, values, expectedVersion(request, version));
    },
  );
};
