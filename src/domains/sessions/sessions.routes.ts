import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSignedIn, rolesOnly, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { requiredVersion } from '../../platform/shared/crud/expected-version.js';
import { optionalBody, withEtag } from '../../platform/shared/crud/route-helpers.js';
import { rolesThatMay } from './sessions.roles.js';
import {
  CancelBody,
  CreateSessionBody,
  PatchSessionBody,
  SessionIdParams,
  SessionListQuery,
  SessionPage,
  SessionSchema,
  TransitionBody,
} from './sessions.schemas.js';
import { changeSession, createSession, listSessions, moveSession, readSession, type SessionsDeps, type SessionTransition } from './sessions.service.js';

/**
 * Training sessions: read within the actor's scope, one-off sessions created and edited by those the
 * access matrix allows (row-level security decides which rows), and the status lifecycle. Capacity
 * and enrollments have their own routes (the enrollments module).
 */
export const sessionsRoutes: FastifyPluginAsyncTypebox<SessionsDeps> = async (app, deps) => {
  const tags = ['sessions'];
  const creators = rolesOnly(...rolesThatMay('training_sessions', 'insert'));
  const staff = rolesOnly(...rolesThatMay('training_sessions', 'update'));

  app.get(
    '/v1/sessions',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'listSessions',
        security: signedInSecurity,
        summary: 'List the sessions visible to you, by course, location, instructor, schedule, status, ids and a range of days',
        querystring: SessionListQuery,
        response: { 200: SessionPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { sort = 'session_date', direction = 'asc', limit = 50, cursor, from, to, ids, ...filters } = request.query;
      return listSessions(deps, requireSignedIn(request), { filters, ids, from, to, sort, direction, limit, cursor });
    },
  );

  app.get(
    '/v1/sessions/:id',
    {
      onRequest: signedInOnly,
      schema: { tags, operationId: 'getSession', security: signedInSecurity, summary: 'Read one session (ETag: its version)', params: SessionIdParams, response: { 200: SessionSchema, ...errorResponses(400, 401, 404) } },
    },
    async (request, reply) => withEtag(reply, await readSession(deps, requireSignedIn(request), request.params.id)),
  );

  app.post(
    '/v1/sessions',
    {
      onRequest: creators,
      schema: {
        tags,
        operationId: 'createSession',
        security: signedInSecurity,
        summary: 'Create a one-off session of a published course',
        body: CreateSessionBody,
        response: { 201: SessionSchema, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      return withEtag(reply.status(201), await createSession(deps, requireSignedIn(request), request.body));
    },
  );

  app.patch(
    '/v1/sessions/:id',
    {
      onRequest: staff,
      schema: {
        tags,
        operationId: 'updateSession',
        security: signedInSecurity,
        summary: 'Change a session at the version you read (body version or If-Match); a stale version is 409 with the current row; once started, only title and description',
        params: SessionIdParams,
        body: PatchSessionBody,
        response: { 200: SessionSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { version, ...changes } = request.body;
      return withEtag(reply, await changeSession(deps, requireSignedIn(request), request.params.id, requiredVersion(request, version), changes));
    },
  );

  const lifecycle: [SessionTransition, string][] = [
    ['start', 'Start a SCHEDULED session (IN_PROGRESS), at the version you read (body version or If-Match)'],
    ['complete', 'Complete an IN_PROGRESS session (COMPLETED), at the version you read (body version or If-Match)'],
  ];
  for (const [transition, summary] of lifecycle) {
    app.post(
      `/v1/sessions/:id/${transition}`,
      {
        onRequest: staff,
        // A transition needs nothing but the version, which may come as If-Match: the body may be left out.
        preValidation: optionalBody,
        schema: { tags, operationId: `${transition}Session`, security: signedInSecurity, summary, params: SessionIdParams, body: TransitionBody, response: { 200: SessionSchema, ...errorResponses(400, 401, 403, 404, 409) } },
      },
      async (request, reply) => {
        const version = requiredVersion(request, request.body.version);
        return withEtag(reply, await moveSession(deps, requireSignedIn(request), request.params.id, transition, { expectedVersion: version }));
      },
    );
  }

  app.post(
    '/v1/sessions/:id/cancel',
    {
      onRequest: staff,
      schema: {
        tags,
        operationId: 'cancelSession',
        security: signedInSecurity,
        summary: 'Cancel a SCHEDULED or IN_PROGRESS session with a reason, at the version you read; its enrollments are cancelled with it',
        params: SessionIdParams,
        body: CancelBody,
        response: { 200: SessionSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { reason, version } = request.body;
      return withEtag(reply, await moveSession(deps, requireSignedIn(request), request.params.id, 'cancel', { expectedVersion: requiredVersion(request, version), reason }));
    },
  );
};
