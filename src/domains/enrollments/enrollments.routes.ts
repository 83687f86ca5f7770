import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { registerResourceRoutes } from '../../platform/shared/crud/crud.routes.js';
import { enrollmentBatchRoutes } from './enrollments.batch.routes.js';
import { enrollmentsResource } from './enrollments.resource.js';
import { enrollmentResultsRoutes } from './enrollments.results.routes.js';
import { expectedVersion } from '../../platform/shared/crud/expected-version.js';
import { optionalBody } from '../../platform/shared/crud/route-helpers.js';
import {
  CancelBody,
  CapacityBody,
  CourseIdParams,
  CourseWaitlistOffersBody,
  EnrollBody,
  EnrollmentIdParams,
  SessionEnrollmentPage,
  EnrollmentSchema,
  SessionCapacitySchema,
  SessionEnrollmentsQuery,
  SessionIdParams,
  SessionWaitlistOffersBody,
  WaitlistOffersSchema,
} from './enrollments.schemas.js';
import {
  answerOffer,
  cancel,
  changeCapacity,
  enroll,
  type EnrollmentsDeps,
  listSessionEnrollments,
  setCourseWaitlistOffers,
  setSessionWaitlistOffers,
} from './enrollments.service.js';

/**
 * Enrollment with capacity and waitlists. Who may do what is decided in the database functions
 * (migration 0012) from the actor's claims: staff of a session for anyone, anyone signed in for
 * themselves where the session takes self-enrollment.
 */
export const enrollmentsRoutes: FastifyPluginAsyncTypebox<EnrollmentsDeps> = async (app, deps) => {
  const tags = ['enrollments'];
  // GET /v1/enrollments (filters, sort, cursor, total) and GET /v1/enrollments/:id (ETag): what RLS shows.
  registerResourceRoutes(app, enrollmentsResource, deps);
  await app.register(enrollmentResultsRoutes, deps);
  await app.register(enrollmentBatchRoutes, deps);

  app.get(
    '/v1/sessions/:id/enrollments',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'listSessionEnrollments',
        security: signedInSecurity,
        summary: "A session's enrollments that you may see, paged like GET /v1/enrollments",
        params: SessionIdParams,
        querystring: SessionEnrollmentsQuery,
        response: { 200: SessionEnrollmentPage, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { sort = 'enrollment_date', direction = 'asc', limit = 50, cursor, ...filters } = request.query;
      return listSessionEnrollments(deps, requireSignedIn(request), request.params.id, { filters, sort, direction, limit, cursor });
    },
  );

  app.post(
    '/v1/sessions/:id/enrollments',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'enrollStudent',
        security: signedInSecurity,
        summary: 'Enroll a student, or yourself when no student is named; a full session waitlists',
        params: SessionIdParams,
        body: EnrollBody,
        response: { 201: EnrollmentSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const actor = requireSignedIn(request);
      const { student_id, student_profile_id, allow_overlap } = request.body ?? {};
      const enrollment = await enroll(deps, actor, request.params.id, { studentId: student_id, studentProfileId: student_profile_id, allowOverlap: allow_overlap });
      return reply.status(201).send(enrollment);
    },
  );

  app.post(
    '/v1/enrollments/:id/cancel',
    {
      onRequest: signedInOnly,
      preValidation: optionalBody,
      schema: {
        tags,
        operationId: 'cancelEnrollment',
        security: signedInSecurity,
        summary: 'Cancel an enrollment (your own, or any as staff of its session); the first waitlisted student takes the seat',
        params: EnrollmentIdParams,
        body: CancelBody,
        response: { 200: EnrollmentSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => cancel(deps, requireSignedIn(request), request.params.id, expectedVersion(request, request.body?.version)),
  );

  app.put(
    '/v1/sessions/:id/capacity',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'setSessionCapacity',
        security: signedInSecurity,
        summary: 'Change the capacity of a session (its staff); below the enrolled count is 409 CAPACITY_CONFLICT',
        params: SessionIdParams,
        body: CapacityBody,
        response: { 200: SessionCapacitySchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      changeCapacity(deps, requireSignedIn(request), request.params.id, request.body.max_capacity, expectedVersion(request, request.body.version)),
  );

  for (const answer of ['accept', 'decline'] as const) {
    app.post(
      `/v1/enrollments/:id/offer/${answer}`,
      {
        onRequest: signedInOnly,
        schema: {
          tags,
          operationId: answer === 'accept' ? 'acceptWaitlistOffer' : 'declineWaitlistOffer',
          security: signedInSecurity,
          summary: answer === 'accept'
            ? 'Accept the seat you are offered from the waitlist (before offer_expires_at): ENROLLED; late is 409 OFFER_EXPIRED'
            : 'Decline the seat you are offered from the waitlist: the enrollment is cancelled and the seat offered to the next in line',
          params: EnrollmentIdParams,
          response: { 200: EnrollmentSchema, ...errorResponses(400, 401, 404, 409) },
        },
      },
      async (request) => answerOffer(deps, requireSignedIn(request), request.params.id, answer === 'accept'),
    );
  }

  app.put(
    '/v1/sessions/:id/waitlist-offers',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'setSessionWaitlistOffers',
        security: signedInSecurity,
        summary: 'How the session fills a freed seat (its staff): offered to the next in line for some hours, or assigned at once',
        params: SessionIdParams,
        body: SessionWaitlistOffersBody,
        response: { 200: WaitlistOffersSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => setSessionWaitlistOffers(deps, requireSignedIn(request), request.params.id, request.body.offer_hours),
  );

  app.put(
    '/v1/courses/:id/waitlist-offers',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'setCourseWaitlistOffers',
        security: signedInSecurity,
        summary: 'How the sessions of a course fill a freed seat unless they say otherwise (SA, AD)',
        params: CourseIdParams,
        body: CourseWaitlistOffersBody,
        response: { 200: WaitlistOffersSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => setCourseWaitlistOffers(deps, requireSignedIn(request), request.params.id, request.body.offer_hours),
  );
};
