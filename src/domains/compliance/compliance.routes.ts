import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requireSignedIn, rolesOnly, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { acceptsCsv, toCsv } from '../../platform/shared/csv/csv-writing.js';
import {
  IdParams, MatrixQuery, MatrixSchema, matrixColumns, NewRequirement, RecordInput, RecordList, RecordQuery, RecordSchema,
  RequirementChange, RequirementList, RequirementQuery, RequirementSchema, TierChangeDecision, TierChangeList, TierChangeQuery, TierChangeSchema,
} from './compliance.schemas.js';
import {
  changeRequirement, type ComplianceDeps, createRequirement, decideTierChangeProposal, getMatrix, listRecords, listRequirements, listTierChanges,
  recordRequirement,
} from './compliance.service.js';

/**
 * Compliance: requirements per role and tier, each person's records, the matrix (JSON or CSV) and the
 * tier changes lapses propose. Reads are scoped by row-level security (SA, AD all; AP its affiliated
 * people; everyone else their own); writes are SA's and AD's.
 */
export const complianceRoutes: FastifyPluginAsyncTypebox<ComplianceDeps> = async (app, deps) => {
  const tags = ['compliance'];
  const administrators = rolesOnly('SA', 'AD');

  app.get('/v1/compliance/requirements', {
    onRequest: signedInOnly,
    schema: {
      tags, operationId: 'listComplianceRequirements', security: signedInSecurity,
      summary: 'Requirements, by code; filter by the role that owes them, tier and status',
      querystring: RequirementQuery,
      response: { 200: RequirementList, ...errorResponses(400, 401) },
    },
  }, async (request) => listRequirements(deps, requireSignedIn(request), request.query));

  app.post('/v1/compliance/requirements', {
    onRequest: administrators,
    schema: {
      tags, operationId: 'createComplianceRequirement', security: signedInSecurity,
      summary: 'Add a requirement (SA, AD); the people of its roles are recomputed',
      body: NewRequirement,
      response: { 201: RequirementSchema, ...errorResponses(400, 401, 403, 409, 422) },
    },
  }, async (request, reply) => reply.code(201).send(await createRequirement(deps, requireSignedIn(request), request.body)));

  app.patch('/v1/compliance/requirements/:id', {
    onRequest: administrators,
    schema: {
      tags, operationId: 'changeComplianceRequirement', security: signedInSecurity,
      summary: 'Change a requirement at the version you read (SA, AD); the people it applies to are recomputed',
      params: IdParams,
      body: RequirementChange,
      response: { 200: RequirementSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
    },
  }, async (request) => changeRequirement(deps, requireSignedIn(request), request.params.id, request.body));

  app.get('/v1/compliance/records', {
    onRequest: signedInOnly,
    schema: {
      tags, operationId: 'listComplianceRecords', security: signedInSecurity,
      summary: 'Records with where each stands today (PENDING, MET, WAIVED, EXPIRING, GRACE, OVERDUE): all for SA and AD, an AP’s affiliated people’s, otherwise your own',
      querystring: RecordQuery,
      response: { 200: RecordList, ...errorResponses(400, 401) },
    },
  }, async (request) => listRecords(deps, requireSignedIn(request), request.query));

  app.put('/v1/compliance/records', {
    onRequest: administrators,
    schema: {
      tags, operationId: 'recordComplianceRequirement', security: signedInSecurity,
      summary: 'Record a person’s standing on a requirement: MET (with completed_at), PENDING, or WAIVED (with waiver_reason and an optional end) (SA, AD); their score is recomputed',
      body: RecordInput,
      response: { 200: RecordSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
    },
  }, async (request) => recordRequirement(deps, requireSignedIn(request), request.body));

  app.get('/v1/compliance/matrix', {
    onRequest: signedInOnly,
    schema: {
      tags, operationId: 'getComplianceMatrix', security: signedInSecurity,
      summary: 'Who is compliant, expiring or overdue, per provider, tier and requirement, scoped to your role; CSV with Accept: text/csv',
      querystring: MatrixQuery,
      produces: ['application/json', 'text/csv'],
      response: {
        200: {
          description: 'one row per person and requirement they owe, and counts per provider, tier and requirement; as CSV the rows only',
          content: { 'application/json': { schema: MatrixSchema }, 'text/csv': { schema: Type.String() } },
        },
        ...errorResponses(400, 401),
      },
    },
  }, async (request, reply) => {
    const matrix = await getMatrix(deps, requireSignedIn(request), request.query);
    if (acceptsCsv(request.headers.accept)) {
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="compliance-matrix.csv"')
        .send(toCsv(matrixColumns, matrix.rows));
    }
    return reply.send(matrix);
  });

  app.get('/v1/compliance/tier-changes', {
    onRequest: signedInOnly,
    schema: {
      tags, operationId: 'listComplianceTierChanges', security: signedInSecurity,
      summary: 'Tier changes that lapses proposed (IC → IP), newest first: all for SA and AD, an AP’s affiliated people’s, otherwise your own',
      querystring: TierChangeQuery,
      response: { 200: TierChangeList, ...errorResponses(400, 401) },
    },
  }, async (request) => listTierChanges(deps, requireSignedIn(request), request.query));

  for (const [action, status] of [['confirm', 'CONFIRMED'], ['dismiss', 'DISMISSED']] as const) {
    app.post(`/v1/compliance/tier-changes/:id/${action}`, {
      onRequest: administrators,
      schema: {
        tags, operationId: action === 'confirm' ? 'confirmComplianceTierChange' : 'dismissComplianceTierChange', security: signedInSecurity,
        summary: action === 'confirm'
          ? 'Confirm a proposed tier change (SA, AD): the person’s role changes and their score is recomputed; audited'
          : 'Dismiss a proposed tier change (SA, AD); the same lapse is not proposed again',
        params: IdParams,
        body: TierChangeDecision,
        response: { 200: TierChangeSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    }, async (request) => decideTierChangeProposal(deps, requireSignedIn(request), request.params.id, status, request.body));
  }
};
