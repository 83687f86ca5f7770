import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { signedInSecurity } from '../../platform/http/openapi.js';
import { publicUrlOf } from '../../platform/http/public-url.js';
import { AppError } from '../../errors.js';
import { withEtag } from '../../platform/shared/crud/route-helpers.js';
import { Nullable, Timestamp, Uuid } from '../../platform/shared/crud/schema-types.js';
import { batchZip, batchResults, type BatchesDeps, readBatch, requestBatch } from './certificate-batches.service.js';
import { batchStatuses } from './certificate-batches.repository.js';

const Outcome = Type.Union([Type.Literal('ISSUED'), Type.Literal('ALREADY_ISSUED'), Type.Literal('NOT_ELIGIBLE')]);

export const CertificateBatchSchema = Type.Object(
  {
    id: Uuid,
    roster_id: Nullable(Uuid),
    session_id: Nullable(Uuid),
    template_id: Uuid,
    template_version_id: Nullable(Uuid),
    requested_by: Nullable(Uuid),
    status: Type.Union(batchStatuses.map((status) => Type.Literal(status))),
    total_count: Type.Integer(),
    processed_count: Type.Integer({ description: 'learners with a result so far; rises a chunk (1,000) at a time, on the stream too' }),
    failed_count: Type.Integer({ description: 'learners NOT_ELIGIBLE' }),
    started_at: Nullable(Timestamp),
    finished_at: Nullable(Timestamp),
    last_error: Nullable(Type.String({ description: 'why the batch is FAILED: the error of its chunk job’s last attempt' })),
    created_at: Timestamp,
    updated_at: Timestamp,
    version: Type.Integer(),
  },
  { title: 'CertificateBatch' },
);

const BatchResultSchema = Type.Object(
  {
    position: Type.Integer(),
    enrollment_id: Nullable(Uuid),
    roster_member_id: Nullable(Uuid),
    outcome: Nullable(Outcome),
    reason: Nullable(Type.String({ description: 'why a learner is NOT_ELIGIBLE' })),
    certificate_id: Nullable(Uuid),
    processed_at: Nullable(Timestamp),
  },
  { title: 'CertificateBatchResult', description: 'one learner of the batch; outcome null while pending' },
);

const RequestBatchBody = Type.Object(
  { roster_id: Type.Optional(Uuid), session_id: Type.Optional(Uuid), template_id: Type.Optional(Uuid) },
  { additionalProperties: false, description: 'exactly one of roster_id and session_id (a COMPLETED session); template_id: a published template (default: the course’s)' },
);
const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
const ResultsQuery = Type.Object(
  {
    outcome: Type.Optional(Outcome),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 16 })),
  },
  { additionalProperties: false },
);
const ResultsPage = Type.Object({ items: Type.Array(BatchResultSchema), next_cursor: Nullable(Type.String()) });
const ZipBytes = Type.Unsafe<Readable>({ type: 'string', format: 'binary', description: 'application/zip' });

export interface BatchesRouteDeps extends BatchesDeps {
  publicUrl: string | null;
}

/** Certificate batches: request one, follow its progress and per-learner results, download its PDFs as a ZIP (decision 0034). */
export const certificateBatchesRoutes: FastifyPluginAsyncTypebox<BatchesRouteDeps> = async (app, deps) => {
  const tags = ['certificates'];

  app.post(
    '/v1/certificate-batches',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'requestCertificateBatch',
        summary: 'Certify a roster or a COMPLETED session as a batch: a job issues the certificates, 1,000 at a time (202)',
        body: RequestBatchBody,
        response: { 202: CertificateBatchSchema, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { roster_id, session_id } = request.body;
      if ((roster_id === undefined) === (session_id === undefined)) {
        throw new AppError('VALIDATION_FAILED', 'send exactly one of roster_id and session_id', { field: 'body.roster_id' });
      }
      const batch = await requestBatch(deps, requireSignedIn(request), request.body, publicUrlOf(deps.publicUrl, request, ''));
      return reply.status(202).send(withEtag(reply, batch as never));
    },
  );

  app.get(
    '/v1/certificate-batches/:id',
    { onRequest: signedInOnly, schema: { tags, security: signedInSecurity, operationId: 'readCertificateBatch', summary: 'A batch and its progress', params: IdParams, response: { 200: CertificateBatchSchema, ...errorResponses(400, 401, 404) } } },
    async (request, reply) => withEtag(reply, (await readBatch(deps, requireSignedIn(request), request.params.id)) as never),
  );

  app.get(
    '/v1/certificate-batches/:id/results',
    {
      onRequest: signedInOnly,
      schema: { tags, security: signedInSecurity, operationId: 'listCertificateBatchResults', summary: 'Each learner’s result: ISSUED, ALREADY_ISSUED, or NOT_ELIGIBLE with the reason', params: IdParams, querystring: ResultsQuery, response: { 200: ResultsPage, ...errorResponses(400, 401, 404) } },
    },
    async (request) => batchResults(deps, requireSignedIn(request), request.params.id, { limit: request.query.limit ?? 100, cursor: request.query.cursor, outcome: request.query.outcome }),
  );

  app.get(
    '/v1/certificate-batches/:id/zip',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'downloadCertificateBatchZip',
        summary: 'The batch’s certificates (all but revoked ones) as PDFs in a ZIP, streamed',
        params: IdParams, response: { 200: ZipBytes, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const stream = await batchZip(deps, requireSignedIn(request), request.params.id);
      return reply.header('content-type', 'application/zip').header('cache-control', 'private, no-store')
        .header('content-disposition', `attachment; filename="certificates-${request.params.id}.zip"`).send(stream);
    },
  );
};
