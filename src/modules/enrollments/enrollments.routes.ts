import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSignedIn, signedInOnly } from '../../http/authenticate.js';
import { errorResponses } from '../../http/error-responses.js';
import { CapacityBody, EnrollBody, EnrollmentIdParams, EnrollmentSchema, SessionCapacitySchema, SessionIdParams } from './enrollments.schemas.js';
import { cancel, changeCapacity, enroll, type EnrollmentsDeps } from './enrollments.service.js';

/**
 * Enrollment with capacity and waitlists. Who may do what is decided in the database functions
 * (migration 0012) from the actor's claims: staff of a session for anyone, anyone signed in for
 * themselves where the session takes self-enrollment.
 */
export const enrollmentsRoutes: FastifyPluginAsyncTypebox<EnrollmentsDeps> = async (app, deps) => {
  const tags = ['enrollments'];

  app.post(
    '/v1/sessions/:id/enrollments',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        summary: 'Enroll a student, or yourself when no student is named; a full session waitlists',
        params: SessionIdParams,
        body: EnrollBody,
        response: { 201: EnrollmentSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const actor = requireSignedIn(request);
      const { student_id, student_profile_id } = request.body ?? {};
      const enrollment = await enroll(deps, actor, request.params.id, { studentId: student_id, studentProfileId: student_profile_id });
      return reply.status(201).send(enrollment);
    },
  );

  app.post(
    '/v1/enrollments/:id/cancel',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        summary: 'Cancel an enrollment (your own, or any as staff of its session); the first waitlisted student takes the seat',
        params: EnrollmentIdParams,
        response: { 200: EnrollmentSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => cancel(deps, requireSignedIn(request), request.params.id),
  );

  app.put(
    '/v1/sessions/:id/capacity',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        summary: 'Change the capacity of a session (its staff); below the enrolled count is 409 CAPACITY_CONFLICT',
        params: SessionIdParams,
        body: CapacityBody,
        response: { 200: SessionCapacitySchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => changeCapacity(deps, requireSignedIn(request), request.params.id, request.body.max_capacity),
  );
};
