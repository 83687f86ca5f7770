import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSignedIn, rolesOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { registerResourceRoutes } from '../../platform/shared/crud/crud.routes.js';
import type { FieldCipher } from '../../platform/security/field-cipher.js';
import { requiredVersion } from '../../platform/shared/crud/expected-version.js';
import { withEtag } from '../../platform/shared/crud/route-helpers.js';
import { rolesThatMay } from '../sessions/index.js';
import { schedulesResource } from './schedules.resource.js';
import { CreateScheduleBody, GenerateBody, PatchScheduleBody, ScheduleChangeSchema, ScheduleIdParams } from './schedules.schemas.js';
import { changeSchedule, createSchedule, extendSchedule, type ScheduleChange, type SchedulesDeps } from './schedules.service.js';

/** A schedule change answers with the schedule and its sessions; the ETag is the schedule's version. */
const withScheduleEtag = (reply: { header: (name: string, value: string) => unknown }, change: ScheduleChange) => {
  withEtag(reply, change.schedule);
  return change;
};

/**
 * Course schedules: list and read through the shared resource routes, create, edit and extend as
 * workflows that materialise the schedule's sessions in the same transaction.
 */
export const schedulesRoutes: FastifyPluginAsyncTypebox<SchedulesDeps & { cipher: FieldCipher }> = async (app, deps) => {
  registerResourceRoutes(app, schedulesResource, deps);
  const tags = ['schedules'];
  const writers = rolesOnly(...rolesThatMay('course_schedules', 'update'));

  app.post(
    '/v1/schedules',
    {
      onRequest: rolesOnly(...rolesThatMay('course_schedules', 'insert')),
      schema: {
        tags,
        operationId: 'createSchedule',
        security: signedInSecurity,
        summary: 'Create a schedule (an RRULE in a time zone) and generate its sessions up to generate_until (default 90 days)',
        body: CreateScheduleBody,
        response: { 201: ScheduleChangeSchema, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => withScheduleEtag(reply.status(201), await createSchedule(deps, requireSignedIn(request), request.body)),
  );

  app.patch(
    '/v1/schedules/:id',
    {
      onRequest: writers,
      schema: {
        tags,
        operationId: 'updateSchedule',
        security: signedInSecurity,
        summary: 'Edit a schedule at the version you read, for one occurrence, this and the following ones (a split), or all; its upcoming, untouched sessions follow, and the answer says which changed',
        params: ScheduleIdParams,
        body: PatchScheduleBody,
        response: { 200: ScheduleChangeSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { version, scope = 'all', occurrence_date: occurrence, ...edits } = request.body;
      const target = { scope, occurrence };
      return withScheduleEtag(reply, await changeSchedule(deps, requireSignedIn(request), request.params.id, requiredVersion(request, version), edits, target));
    },
  );

  app.post(
    '/v1/schedules/:id/generate',
    {
      onRequest: writers,
      schema: {
        tags,
        operationId: 'generateScheduleSessions',
        security: signedInSecurity,
        summary: 'Generate the sessions of an ACTIVE schedule up to a day (at most 366 days ahead); existing ones are kept',
        params: ScheduleIdParams,
        body: GenerateBody,
        response: { 200: ScheduleChangeSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => withScheduleEtag(reply, await extendSchedule(deps, requireSignedIn(request), request.params.id, request.body.until)),
  );
};
