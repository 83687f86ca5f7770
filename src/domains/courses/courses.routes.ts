import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { publicSecurity, signedInSecurity } from '../../platform/http/openapi.js';
import { createSerializedOnce } from '../../platform/http/serialized-once.js';
import { publicRoute } from '../../platform/http/rate-limits.js';
import { registerResourceRoutes, type ResourceDeps } from '../../platform/shared/crud/crud.routes.js';
import { coursesResource } from './courses.resource.js';
import { instructorRequirementsRoutes } from './instructor-requirements.routes.js';
import {
  CatalogueCodeParams,
  CatalogueEntrySchema,
  CataloguePage,
  CatalogueQuery,
  CourseIdParams,
  CourseSchema,
  CourseVersionPage,
  CourseVersionParams,
  CourseVersionSchema,
  TransitionBody,
  VersionsQuery,
} from './courses.schemas.js';
import { archiveCourse, catalogue, catalogueEntry, type CoursesDeps, type CourseTransition, courseVersion, courseVersions, publishCourse, unpublishCourse } from './courses.service.js';
import { requiredVersion } from '../../platform/shared/crud/expected-version.js';
import { optionalBody, withEtag } from '../../platform/shared/crud/route-helpers.js';

const transitions: Record<CourseTransition, { run: typeof publishCourse; summary: string }> = {
  publish: { run: publishCourse, summary: 'Publish the working copy as the next version: the catalogue and everyone but administrators see it' },
  unpublish: { run: unpublishCourse, summary: 'Take a published course out of the catalogue (back to DRAFT); its versions stay' },
  archive: { run: archiveCourse, summary: 'Archive a course: out of the catalogue for good, no new schedules or sessions' },
};

/**
 * Courses: the working copy through the shared resource routes (administrators write, RLS decides who
 * reads what), publishing as status changes that name the version they were decided on, the versions,
 * and the public catalogue.
 */
export const coursesRoutes: FastifyPluginAsyncTypebox<ResourceDeps & Pick<CoursesDeps, 'cache'>> = async (app, deps) => {
  const sendSerializedOnce = createSerializedOnce();
  registerResourceRoutes(app, coursesResource, deps);
  await app.register(instructorRequirementsRoutes, deps);
  const tags = ['courses'];

  for (const [transition, { run, summary }] of Object.entries(transitions) as [CourseTransition, (typeof transitions)[CourseTransition]][]) {
    app.post(
      `/v1/courses/:id/${transition}`,
      {
        onRequest: signedInOnly,
        // The body is optional (If-Match alone will do).
        preValidation: optionalBody,
        schema: { tags, operationId: `${transition}Course`, security: signedInSecurity, summary, params: CourseIdParams, body: TransitionBody, response: { 200: CourseSchema, ...errorResponses(400, 401, 403, 404, 409) } },
      },
      async (request, reply) => {
        return withEtag(reply, await run(deps, requireSignedIn(request), request.params.id, requiredVersion(request, request.body?.version)));
      },
    );
  }

  app.get(
    '/v1/courses/:id/versions',
    {
      onRequest: signedInOnly,
      schema: { tags, operationId: 'listCourseVersions', security: signedInSecurity, summary: 'The published versions of a course you may read, newest first', params: CourseIdParams, querystring: VersionsQuery, response: { 200: CourseVersionPage, ...errorResponses(400, 401, 404) } },
    },
    async (request) => courseVersions(deps, requireSignedIn(request), request.params.id, { limit: request.query.limit ?? 50, cursor: request.query.cursor }),
  );

  app.get(
    '/v1/courses/:id/versions/:number',
    {
      onRequest: signedInOnly,
      schema: { tags, operationId: 'getCourseVersion', security: signedInSecurity, summary: 'One published version of a course', params: CourseVersionParams, response: { 200: CourseVersionSchema, ...errorResponses(400, 401, 404) } },
    },
    async (request) => courseVersion(deps, requireSignedIn(request), request.params.id, request.params.number),
  );

  app.get(
    '/v1/catalogue',
    {
      config: publicRoute,
      schema: { tags, operationId: 'listCatalogue', security: publicSecurity, summary: 'The published courses, as published (no sign-in needed)', querystring: CatalogueQuery, response: { 200: CataloguePage, ...errorResponses(400, 429) } },
    },
    async (request, reply) => {
      const { q, certifies, sort = 'code', direction = 'asc', limit = 50, cursor } = request.query;
      return sendSerializedOnce(reply, await catalogue(deps, request.actor, { search: q, certifies, sort, direction, limit, cursor }));
    },
  );

  app.get(
    '/v1/catalogue/:code',
    {
      config: publicRoute,
      schema: { tags, operationId: 'getCatalogueEntry', security: publicSecurity, summary: 'One published course by its code (no sign-in needed)', params: CatalogueCodeParams, response: { 200: CatalogueEntrySchema, ...errorResponses(400, 404, 429) } },
    },
    async (request, reply) => sendSerializedOnce(reply, await catalogueEntry(deps, request.actor, request.params.code)),
  );
};
