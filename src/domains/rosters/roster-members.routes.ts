import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import type { Row } from '../../platform/db/database.js';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { registerResourceRoutes, type ResourceContext } from '../../platform/shared/crud/crud.routes.js';
import { Uuid } from '../../platform/shared/crud/schema-types.js';
import { csvUploadOf } from '../../platform/shared/csv/csv-upload.js';
import { rosterMembersTable } from './roster-members.repository.js';
import { addMember, changeMember, importMembers, listMembersOfRoster, removeMember } from './roster-members.service.js';
import { AddMemberBody, IdParams, ImportReportSchema, MemberListQuery, MemberPage, MemberSchema, PatchMemberBody } from './rosters.schemas.js';
import type { RostersDeps } from './rosters.service.js';
import { expectedVersion } from '../../platform/shared/crud/expected-version.js';
import { presentingConflicts, withEtag } from '../../platform/shared/crud/route-helpers.js';

type Member = Static<typeof MemberSchema>;

/** A line as the API shows it: the e-mail opened where the view let it through (administrators). */
function presentMember(row: Row, context: ResourceContext): Member {
  const { email_ciphertext: sealed, ...rest } = row;
  return { ...rest, email: typeof sealed === 'string' ? context.cipher.decrypt(sealed) : null } as Member;
}

const Nothing = Type.Object({}, { additionalProperties: false });

/**
 * The lines of rosters. `/v1/roster-members` lists every line the caller may see (a student: their
 * own); the lines of one roster are under `/v1/rosters/:id/members`, where they are added and imported.
 */
export async function rosterMembersRoutes(app: FastifyInstance, deps: RostersDeps): Promise<void> {
  const tags = ['rosters'];
  const context: ResourceContext = { cipher: deps.cipher };
  const present = (row: Row) => presentMember(row, context);
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();

  registerResourceRoutes(app, {
    path: '/v1/roster-members',
    what: 'roster member',
    tag: 'rosters',
    table: rosterMembersTable,
    rowSchema: MemberSchema,
    createBody: Nothing,
    patchBody: Nothing,
    filters: { roster_id: Type.Optional(Uuid), student_id: Type.Optional(Uuid) },
    defaultSort: 'created_at',
    fromRow: presentMember,
    // Added through their roster; changed and removed below, with their events.
    creatable: false,
    updatable: false,
    deletable: false,
  }, deps);

  typed.get(
    '/v1/rosters/:id/members',
    { onRequest: signedInOnly, schema: { tags, operationId: 'listMembersOfRoster', security: signedInSecurity, summary: 'List the members of a roster', params: IdParams, querystring: MemberListQuery, response: { 200: MemberPage, ...errorResponses(400, 401, 404) } } },
    async (request) => {
      const { sort = 'created_at', direction = 'asc', limit = 50, cursor } = request.query;
      const page = await listMembersOfRoster(deps, requireSignedIn(request), request.params.id, { sort, direction, limit, cursor });
      return { ...page, items: page.items.map(present) };
    },
  );

  typed.post(
    '/v1/rosters/:id/members',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'addRosterMember',
        security: signedInSecurity,
        summary: 'Put a person on a roster (their student profile at the roster’s provider is found by e-mail, or made)',
        params: IdParams,
        body: AddMemberBody,
        response: { 201: MemberSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => reply.status(201).send(withEtag(reply, present(await addMember(deps, requireSignedIn(request), request.params.id, request.body)))),
  );

  typed.post(
    '/v1/rosters/:id/members/import',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'importRosterMembers',
        security: signedInSecurity,
        summary: 'Put the people of a CSV file on a roster (text/csv or a multipart file; columns first_name, last_name, email, company, '
          + 'enrollment_status, attendance_status, completion_status, practical_score, written_score), with a result per line',
        params: IdParams,
        response: { 200: ImportReportSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      const actor = requireSignedIn(request);
      return importMembers(deps, actor, request.params.id, await csvUploadOf(request));
    },
  );

  typed.patch(
    '/v1/roster-members/:id',
    {
      onRequest: signedInOnly,
      schema: { tags, operationId: 'updateRosterMember', security: signedInSecurity, summary: 'Record a member’s attendance, scores and completion (send the version you read)', params: IdParams, body: PatchMemberBody, response: { 200: MemberSchema, ...errorResponses(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const { version, ...results } = request.body;
      const member = await presentingConflicts(present, () => changeMember(deps, requireSignedIn(request), request.params.id, expectedVersion(request, version), results));
      return withEtag(reply, present(member));
    },
  );

  typed.delete(
    '/v1/roster-members/:id',
    { onRequest: signedInOnly, schema: { tags, operationId: 'deleteRosterMember', security: signedInSecurity, summary: 'Take a member off a roster', params: IdParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409) } } },
    async (request, reply) => {
      await removeMember(deps, requireSignedIn(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
