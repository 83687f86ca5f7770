import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { rosterMembersRoutes } from './roster-members.routes.js';
import {
  CreateRosterBody,
  IdParams,
  PatchRosterBody,
  RosterFromSessionBody,
  RosterListQuery,
  RosterPage,
  RosterSchema,
  VersionBody,
} from './rosters.schemas.js';
import { changeRoster, createRoster, createRosterFromSession, listRosters, moveRoster, readRoster, type RostersDeps } from './rosters.service.js';
import { expectedVersion, requiredVersion } from '../../platform/shared/crud/expected-version.js';
import { optionalBody, withEtag } from '../../platform/shared/crud/route-helpers.js';

/**
 * Rosters: standalone ones for students without accounts, or made from a session's enrollments;
 * archived, their members are read-only. Row-level security (and the functions and guards of
 * migration 0017) decide who may do what; see docs/decisions/0012-rosters.md.
 */
export const rostersRoutes: FastifyPluginAsyncTypebox<RostersDeps> = async (app, deps) => {
  const tags = ['rosters'];
  const one = { 200: RosterSchema, ...errorResponses(400, 401, 403, 404, 409, 422) };

  app.get(
    '/v1/rosters',
    { onRequest: signedInOnly, schema: { tags, operationId: 'listRosters', security: signedInSecurity, summary: 'List the rosters you may see', querystring: RosterListQuery, response: { 200: RosterPage, ...errorResponses(400, 401) } } },
    async (request) => {
      const { sort, direction, limit, cursor, ...filters } = request.query;
      return listRosters(deps, requireSignedIn(request), { filters, sort, direction, limit, cursor });
    },
  );

  app.get(
    '/v1/rosters/:id',
    { onRequest: signedInOnly, schema: { tags, operationId: 'getRoster', security: signedInSecurity, summary: 'Read one roster (with its member and certificate counts)', params: IdParams, response: one } },
    async (request, reply) => withEtag(reply, await readRoster(deps, requireSignedIn(request), request.params.id)),
  );

  app.post(
    '/v1/rosters',
    {
      onRequest: signedInOnly,
      schema: { tags, operationId: 'createRoster', security: signedInSecurity, summary: 'Create a roster without a session (name the instructor by id, by name or both)', body: CreateRosterBody, response: { 201: RosterSchema, ...errorResponses(400, 401, 403, 422) } },
    },
    async (request, reply) => reply.status(201).send(withEtag(reply, await createRoster(deps, requireSignedIn(request), request.body))),
  );

  app.post(
    '/v1/rosters/from-session',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'createRosterFromSession',
        security: signedInSecurity,
        summary: "Make the roster of a session (its staff): its course, location, provider and instructor, a member per ENROLLED student",
        body: RosterFromSessionBody,
        response: { 201: RosterSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => reply.status(201).send(withEtag(reply, await createRosterFromSession(deps, requireSignedIn(request), request.body))),
  );

  app.patch(
    '/v1/rosters/:id',
    { onRequest: signedInOnly, schema: { tags, operationId: 'updateRoster', security: signedInSecurity, summary: 'Change a roster (send the version you read)', params: IdParams, body: PatchRosterBody, response: one } },
    async (request, reply) => {
      const { version, ...fields } = request.body;
      return withEtag(reply, await changeRoster(deps, requireSignedIn(request), request.params.id, expectedVersion(request, version), fields));
    },
  );

  app.post(
    '/v1/rosters/:id/archive',
    { onRequest: signedInOnly, preValidation: optionalBody, schema: { tags, operationId: 'archiveRoster', security: signedInSecurity, summary: 'Archive a roster: its members become read-only (409 INVALID_TRANSITION when already archived)', params: IdParams, body: VersionBody, response: one } },
    async (request, reply) =>
      withEtag(reply, await moveRoster(deps, requireSignedIn(request), request.params.id, 'ARCHIVED', requiredVersion(request, request.body?.version))),
  );

  app.post(
    '/v1/rosters/:id/unarchive',
    { onRequest: signedInOnly, preValidation: optionalBody, schema: { tags, operationId: 'unarchiveRoster', security: signedInSecurity, summary: 'Make an archived roster active again (409 INVALID_TRANSITION when it is not archived)', params: IdParams, body: VersionBody, response: one } },
    async (request, reply) =>
      withEtag(reply, await moveRoster(deps, requireSignedIn(request), request.params.id, 'ACTIVE', requiredVersion(request, request.body?.version))),
  );

  await rosterMembersRoutes(app, deps);
};
