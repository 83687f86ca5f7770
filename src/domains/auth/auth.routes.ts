import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { publicSecurity, signedInSecurity } from '../../platform/http/openapi.js';
import { publicRoute } from '../../platform/http/rate-limits.js';
import { prepareDummyHash } from '../../platform/security/passwords.js';
import type { TwoLayerCache } from '../../platform/cache/two-layer-cache.js';
import { asksNoCache } from '../../platform/http/cached-as-caller.js';
import { createSerializedOnce } from '../../platform/http/serialized-once.js';
import { createGetMe, UserSchema, type UsersDeps } from '../users/index.js';
import { ChangePasswordBody, LoginBody, LogoutBody, RefreshBody, TokenPairSchema } from './auth.schemas.js';
import { type AuthDeps, changeOwnPassword, login, logout, refresh } from './auth.service.js';
import { whenReady } from '../../platform/shared/now-or-later.js';

export type AuthRouteDeps = AuthDeps & UsersDeps & { cache: TwoLayerCache };

export const authRoutes: FastifyPluginAsyncTypebox<AuthRouteDeps> = async (app, deps) => {
  const tags = ['auth'];
  const originOf = (request: { ip: string; actor: { userAgent?: string | null } }) => ({ ip: request.ip, userAgent: request.actor.userAgent ?? null });
  // The first unknown e-mail must not take longer than the others because the dummy hash is being made.
  app.addHook('onReady', prepareDummyHash);
  const sendSerializedOnce = createSerializedOnce();
  const getMe = createGetMe(deps);

  app.post(
    '/v1/auth/login',
    {
      config: publicRoute,
      schema: {
        tags,
        operationId: 'login',
        security: publicSecurity,
        summary: 'Sign in with e-mail and password',
        body: LoginBody,
        response: { 200: TokenPairSchema, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => login(deps, request.body, originOf(request)),
  );

  app.post(
    '/v1/auth/refresh',
    {
      config: publicRoute,
      schema: {
        tags,
        operationId: 'refreshTokens',
        security: publicSecurity,
        summary: 'Trade a refresh token for a new access and refresh token (each refresh token works once)',
        body: RefreshBody,
        response: { 200: TokenPairSchema, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => refresh(deps, request.body.refresh_token, originOf(request)),
  );

  app.post(
    '/v1/auth/logout',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'logout',
        security: signedInSecurity,
        summary: 'Sign out: revoke refresh tokens (the access token expires on its own)',
        body: Type.Union([LogoutBody, Type.Null()]),
        response: { 204: Type.Null(), ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const actor = requireSignedIn(request);
      await logout(deps, actor.userId, request.body?.refresh_token);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/me',
    { onRequest: signedInOnly, schema: { tags, operationId: 'getMe', security: signedInSecurity, summary: 'The signed-in user', response: { 200: UserSchema, ...errorResponses(401) } } },
    // Not an async handler: an answer from memory is sent in this turn, without a promise (decision 0104).
    (request, reply) => whenReady(getMe(requireSignedIn(request), { noCache: asksNoCache(request) }), (me) => void sendSerializedOnce(reply, me)),
  );

  app.post(
    '/v1/me/password',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'changeMyPassword',
        security: signedInSecurity,
        summary: 'Change your password (every refresh token is revoked: other devices sign in again)',
        body: ChangePasswordBody,
        response: { 204: Type.Null(), ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const actor = requireSignedIn(request);
      await changeOwnPassword(deps, actor.userId, { current: request.body.current_password, next: request.body.new_password });
      return reply.status(204).send(null);
    },
  );
};
