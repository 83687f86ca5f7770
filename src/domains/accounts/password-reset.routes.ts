import { publicSecurity } from '../../platform/http/openapi.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { errorResponses } from '../../platform/http/error-responses.js';
import { publicUrlOf } from '../../platform/http/public-url.js';
import { keyedLimit, publicRoute } from '../../platform/http/rate-limits.js';
import { accountLinkPaths } from './account-tokens.js';
import { PasswordResetAccepted, PasswordResetConfirmBody, PasswordResetRequestBody } from './accounts.schemas.js';
import type { AccountsRouteDeps } from './invitations.routes.js';
import { confirmPasswordReset, requestPasswordReset, resetKeyOf } from './password-reset.service.js';

/**
 * Reset requests are limited beside the general limit of signed-out routes: per address typed (its
 * blind index, known or not, so the limit tells nothing either), so nobody fills one inbox, and per
 * client address, so nobody mails the whole user list.
 */
const passwordResetLimits = {
  perEmailAddress: { max: 5, timeWindowMs: 3_600_000 },
  perClient: { max: 20, timeWindowMs: 3_600_000 },
} as const;

const accepted = { message: 'If an active account has this address, a link to reset its password is on its way.' };

/** Password reset by e-mail, signed out. */
export const passwordResetRoutes: FastifyPluginAsyncTypebox<AccountsRouteDeps> = async (app, deps) => {
  const tags = ['auth'];
  const perEmail = keyedLimit(app, {
    name: 'password-reset:email', ...passwordResetLimits.perEmailAddress, keyOf: (request) => resetKeyOf(deps.cipher, (request.body as { email: string }).email),
  });
  const perClient = keyedLimit(app, { name: 'password-reset:client', ...passwordResetLimits.perClient, keyOf: (request) => request.ip });

  app.post(
    '/v1/auth/password-reset',
    {
      config: publicRoute,
      preHandler: [perClient, perEmail],
      schema: {
        operationId: 'requestPasswordReset',
        tags,
        security: publicSecurity,
        summary: 'Ask for a password-reset link by e-mail: 202 with the same answer whether the address has an account or not',
        body: PasswordResetRequestBody,
        response: { 202: PasswordResetAccepted, ...errorResponses(400, 429) },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(deps, request.body.email, publicUrlOf(deps.publicUrl, request, accountLinkPaths.resetPassword));
      return reply.status(202).send(accepted);
    },
  );

  app.post(
    '/v1/auth/password-reset/confirm',
    {
      config: publicRoute,
      schema: {
        operationId: 'confirmPasswordReset',
        tags,
        security: publicSecurity,
        summary: 'Set a new password with the token of a reset link (works once); every refresh token of the account is revoked',
        body: PasswordResetConfirmBody,
        response: { 204: Type.Null(), ...errorResponses(400, 429) },
      },
    },
    async (request, reply) => {
      await confirmPasswordReset(deps, request.body.token, request.body.new_password);
      return reply.status(204).send(null);
    },
  );
};
