import { publicSecurity, signedInSecurity } from '../../platform/http/openapi.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireRole, rolesOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { publicUrlOf } from '../../platform/http/public-url.js';
import { publicRoute } from '../../platform/http/rate-limits.js';
import { UserSchema } from '../users/index.js';
import { accountLinkPaths } from './account-tokens.js';
import {
  AcceptInvitationBody,
  CreateInvitationBody,
  InvitationIdParams,
  InvitationPageSchema,
  InvitationSchema,
  ListInvitationsQuery,
} from './accounts.schemas.js';
import {
  acceptInvitation,
  createInvitation,
  getInvitation,
  type InvitationsDeps,
  listInvitations,
  resendInvitation,
  revokeInvitation,
} from './invitations.service.js';

export interface AccountsRouteDeps extends InvitationsDeps {
  /** PUBLIC_URL, the base of the links in the mails; null: the request's own. */
  publicUrl: string | null;
}

// The matrix gives invitations to SA and AD only (decision 0026); everyone else is refused before any query.
const administrators = ['SA', 'AD'] as const;

/** Invitations by e-mail: administrators invite, resend, revoke and list; the invitee accepts signed out. */
export const invitationsRoutes: FastifyPluginAsyncTypebox<AccountsRouteDeps> = async (app, deps) => {
  const tags = ['invitations'];
  const acceptPage = (request: Parameters<typeof publicUrlOf>[1]) => publicUrlOf(deps.publicUrl, request, accountLinkPaths.acceptInvitation);

  app.post(
    '/v1/invitations',
    {
      onRequest: rolesOnly(...administrators),
      schema: {
        operationId: 'createInvitation',
        tags,
        security: signedInSecurity,
        summary: 'Invite an e-mail address to a role (an AP into a provider); the link is mailed after the commit (SA, AD; AD never invites an SA)',
        body: CreateInvitationBody,
        response: { 201: InvitationSchema, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const actor = requireRole(request, ...administrators);
      const { email, role, provider_id } = request.body;
      return reply.status(201).send(await createInvitation(deps, actor, { email, role, providerId: provider_id }, acceptPage(request)));
    },
  );

  app.get(
    '/v1/invitations',
    {
      onRequest: rolesOnly(...administrators),
      schema: {
        operationId: 'listInvitations',
        tags,
        security: signedInSecurity,
        summary: 'Invitations newest first, with their status now, a page at a time (SA, AD)',
        querystring: ListInvitationsQuery,
        response: { 200: InvitationPageSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => listInvitations(deps, requireRole(request, ...administrators), request.query),
  );

  app.get(
    '/v1/invitations/:id',
    {
      onRequest: rolesOnly(...administrators),
      schema: {
        operationId: 'getInvitation',
        tags,
        security: signedInSecurity,
        summary: 'One invitation (SA, AD)',
        params: InvitationIdParams,
        response: { 200: InvitationSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => getInvitation(deps, requireRole(request, ...administrators), request.params.id),
  );

  app.post(
    '/v1/invitations/:id/resend',
    {
      onRequest: rolesOnly(...administrators),
      schema: {
        operationId: 'resendInvitation',
        tags,
        security: signedInSecurity,
        summary: 'Mail a new link with a new expiry; the link mailed before stops working at once (a pending or expired invitation; SA, AD)',
        params: InvitationIdParams,
        response: { 200: InvitationSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => resendInvitation(deps, requireRole(request, ...administrators), request.params.id, acceptPage(request)),
  );

  app.post(
    '/v1/invitations/:id/revoke',
    {
      onRequest: rolesOnly(...administrators),
      schema: {
        operationId: 'revokeInvitation',
        tags,
        security: signedInSecurity,
        summary: 'End a pending or expired invitation: its link opens nothing any more (SA, AD)',
        params: InvitationIdParams,
        response: { 200: InvitationSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => revokeInvitation(deps, requireRole(request, ...administrators), request.params.id),
  );

  app.post(
    '/v1/invitations/accept',
    {
      config: publicRoute,
      schema: {
        operationId: 'acceptInvitation',
        tags,
        security: publicSecurity,
        summary: 'Accept an invitation signed out: the token from the mailed link, a password and names make an active account (the link works once)',
        body: AcceptInvitationBody,
        response: { 201: UserSchema, ...errorResponses(400, 409, 429) },
      },
    },
    async (request, reply) => {
      const { token, password, first_name, last_name } = request.body;
      return reply.status(201).send(await acceptInvitation(deps, { token, password, firstName: first_name, lastName: last_name }));
    },
  );
};
