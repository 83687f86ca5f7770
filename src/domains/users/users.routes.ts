import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireRole, requireSignedIn, rolesOnly, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { ChangeUserBody, CreateUserBody, ListUsersQuery, UserIdParams, UserPageSchema, UserSchema } from './users.schemas.js';
import { changeUser, createUser, deactivateUser, getUser, listUsers, type UsersDeps } from './users.service.js';

/**
 * User administration. Every route runs as the caller under row-level security: SA and AD manage
 * accounts, and what anyone reads is what the database lets them see (AD never sees an SA: 404).
 */
export const usersRoutes: FastifyPluginAsyncTypebox<UsersDeps> = async (app, deps) => {
  const tags = ['users'];
  const administrators = rolesOnly('SA', 'AD');

  app.post(
    '/v1/users',
    {
      onRequest: administrators,
      schema: {
        tags,
        operationId: 'createUser',
        security: signedInSecurity,
        summary: 'Create an account and its profile (SA, AD)',
        body: CreateUserBody,
        response: { 201: UserSchema, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const actor = requireRole(request, 'SA', 'AD');
      const { role, email, password, first_name, last_name, phone, provider_id } = request.body;
      const user = await createUser(deps, actor, { role, email, password, firstName: first_name, lastName: last_name, phone, providerId: provider_id });
      return reply.status(201).send(user);
    },
  );

  app.get(
    '/v1/users',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'listUsers',
        security: signedInSecurity,
        summary: 'Users you may see, newest first, a page at a time',
        querystring: ListUsersQuery,
        response: { 200: UserPageSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => listUsers(deps, requireSignedIn(request), request.query),
  );

  app.get(
    '/v1/users/:id',
    { onRequest: signedInOnly, schema: { tags, operationId: 'getUser', security: signedInSecurity, summary: 'One user', params: UserIdParams, response: { 200: UserSchema, ...errorResponses(400, 401, 404) } } },
    async (request) => getUser(deps, requireSignedIn(request), request.params.id),
  );

  app.patch(
    '/v1/users/:id',
    {
      onRequest: administrators,
      schema: {
        tags,
        operationId: 'updateUser',
        security: signedInSecurity,
        summary: 'Change role, status or names (SA, AD); send the version you read',
        params: UserIdParams,
        body: ChangeUserBody,
        response: { 200: UserSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const actor = requireRole(request, 'SA', 'AD');
      const { version, role, status, first_name, last_name } = request.body;
      return changeUser(deps, actor, request.params.id, { version, role, status, firstName: first_name, lastName: last_name });
    },
  );

  app.post(
    '/v1/users/:id/deactivate',
    {
      onRequest: administrators,
      schema: {
        tags,
        operationId: 'deactivateUser',
        security: signedInSecurity,
        summary: 'Deactivate an account: its tokens stop working at once (SA, AD)',
        params: UserIdParams,
        response: { 200: UserSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => deactivateUser(deps, requireRole(request, 'SA', 'AD'), request.params.id),
  );
};
