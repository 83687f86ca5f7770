import type { TwoLayerCache } from '../../platform/cache/two-layer-cache.js';
import { publicSecurity, signedInSecurity } from '../../platform/http/openapi.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { publicUrlOf } from '../../platform/http/public-url.js';
import { publicRoute } from '../../platform/http/rate-limits.js';
import { AppError } from '../../errors.js';
import { requiredVersion } from '../../platform/shared/crud/expected-version.js';
import { withEtag } from '../../platform/shared/crud/route-helpers.js';
import { whenReady } from '../../platform/shared/now-or-later.js';
import type { CertificateRow } from './certificates.repository.js';
import {
  CertificateListQuery,
  CertificatePageSchema,
  CertificateSchema,
  IdParams,
  IssueCertificateBody,
  ReissueBody,
  RevokeBody,
  SuspendBody,
  VerificationCodeParams,
  VerificationSchema,
  VersionBody,
} from './certificates.schemas.js';
import {
  type CertificatesDeps,
  certificatePdf,
  issueCertificate,
  listCertificates,
  readOneCertificate,
  reinstateCertificate,
  reissueCertificate,
  revokeCertificate,
  snapshotOf,
  suspendCertificate,
  type Verification,
  type VerificationUrlOf,
  verificationUrlOf,
  verifyByCodeCached,
  countedVerification,
} from './certificates.service.js';
import { createPublicAnswersReader } from './public-answers-reader.js';
import { createVerificationCounts } from './verification-counts.js';
import { sendVerification } from './verification-sender.js';
import {
  renderVerificationPage,
  verificationStylesheet,
  verificationStylesheetPath,
} from './verification-page.js';

/** A PDF document, sent as it is (Fastify does not serialise a Buffer). */
export const PdfBytes = Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'application/pdf' });

export interface CertificatesRouteDeps extends CertificatesDeps {
  /** PUBLIC_URL: the base of the verification links certificates print; null uses the request's origin. */
  publicUrl: string | null;
  /** Public verifications are answered from it (decision 0052). */
  cache: TwoLayerCache;
  /** The clock public verifications take the day and the counts' times from (tests move it). */
  now: () => Date;
}

/** The certificate as the API shows it: its printed facts and links instead of the raw snapshot. */
export function presentCertificate(certificate: CertificateRow, urlOf: VerificationUrlOf, base: string) {
  const snapshot = snapshotOf(certificate, urlOf);
  const row: Partial<CertificateRow> = { ...certificate };
  delete row.snapshot;
  delete row.stored_status;
  return {
    ...(row as Omit<CertificateRow, 'snapshot' | 'stored_status'>),
    printed: snapshot.printed,
    template: snapshot.template,
    verification_url: snapshot.verification_url,
    pdf_url: `${base}/v1/certificates/${certificate.id}/pdf`,
    credential_url: `${base}/v1/certificates/${certificate.id}/credential`,
  };
}

/**
 * Certificates: issued for a completed enrollment or roster line, read by their holder and by staff,
 * suspended, reinstated, revoked or reissued, never deleted. Row-level security decides who sees and
 * changes which (the access matrix); see docs/decisions/0030-certificates.md.
 */
export const certificatesRoutes: FastifyPluginAsyncTypebox<CertificatesRouteDeps> = async (app, deps) => {
  const tags = ['certificates'];
  const one = { 200: CertificateSchema, ...errorResponses(400, 401, 403, 404, 409) };
  const baseOf = (request: FastifyRequest) => publicUrlOf(deps.publicUrl, request, '');
  const verifying = { ...deps, counts: createVerificationCounts(deps.db, app.log, deps.now), readPublicAnswers: createPublicAnswersReader(deps.db) };
  // Counts still waiting are written before the database closes.
  app.addHook('onClose', () => verifying.counts.flush());
  const present = (request: FastifyRequest, certificate: CertificateRow) => {
    const base = baseOf(request);
    return presentCertificate(certificate, verificationUrlOf(base), base);
  };

  app.post(
    '/v1/certificates',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'issueCertificate',
        summary: 'Issue the certificate of a COMPLETED enrollment or a completed roster line (201), or get the one it has (200)',
        description: 'One live certificate per source: issuing again, also concurrently, answers the existing one. 409 NOT_ELIGIBLE names why a source cannot be certified.',
        body: IssueCertificateBody,
        response: { 200: CertificateSchema, 201: CertificateSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { enrollment_id, roster_member_id } = request.body;
      if ((enrollment_id === undefined) === (roster_member_id === undefined)) {
        throw new AppError('VALIDATION_FAILED', 'send exactly one of enrollment_id and roster_member_id', { field: 'body.enrollment_id' });
      }
      const base = baseOf(request);
      const issued = await issueCertificate(deps, requireSignedIn(request), { enrollment_id, roster_member_id }, verificationUrlOf(base));
      return reply.status(issued.created ? 201 : 200).send(withEtag(reply, present(request, issued.certificate)));
    },
  );

  app.get(
    '/v1/certificates',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'listCertificates',
        summary: 'List the certificates you may see: your own; staff those of their locations or that they issued; administrators all',
        querystring: CertificateListQuery,
        response: { 200: CertificatePageSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { sort, direction, limit, cursor, expiring_before, ...filters } = request.query;
      const page = await listCertificates(deps, requireSignedIn(request), { filters, expiringBefore: expiring_before, sort, direction, limit, cursor });
      return { ...page, items: page.items.map((item) => present(request, item)) };
    },
  );

  app.get(
    '/v1/certificates/:id',
    { onRequest: signedInOnly, schema: { tags, security: signedInSecurity, operationId: 'readCertificate', summary: 'Read one certificate', params: IdParams, response: { 200: CertificateSchema, ...errorResponses(400, 401, 404) } } },
    async (request, reply) => withEtag(reply, present(request, await readOneCertificate(deps, requireSignedIn(request), request.params.id))),
  );

  app.get(
    '/v1/certificates/:id/pdf',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'downloadCertificatePdf',
        summary: 'The certificate as a PDF, the same bytes every time (their SHA-256 is pdf_sha256)',
        params: IdParams,
        response: { 200: PdfBytes, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const base = baseOf(request);
      const { certificate, pdf } = await certificatePdf(deps, requireSignedIn(request), request.params.id, verificationUrlOf(base));
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `inline; filename="certificate-${certificate.verification_code}.pdf"`)
        .header('cache-control', 'private, no-store')
        .send(Buffer.from(pdf));
    },
  );

  app.post(
    '/v1/certificates/:id/revoke',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'revokeCertificate',
        summary: 'Revoke a certificate for good, with a reason code and text (400 without them; 409 INVALID_TRANSITION when already revoked)',
        params: IdParams, body: RevokeBody, response: one,
      },
    },
    async (request, reply) => {
      const { version, ...reason } = request.body;
      const certificate = await revokeCertificate(deps, requireSignedIn(request), request.params.id, requiredVersion(request, version), reason);
      return withEtag(reply, present(request, certificate));
    },
  );

  app.post(
    '/v1/certificates/:id/suspend',
    {
      onRequest: signedInOnly,
      schema: { tags, security: signedInSecurity, operationId: 'suspendCertificate', summary: 'Suspend an ACTIVE certificate, with a reason (it may be reinstated)', params: IdParams, body: SuspendBody, response: one },
    },
    async (request, reply) => {
      const { version, reason } = request.body;
      return withEtag(reply, present(request, await suspendCertificate(deps, requireSignedIn(request), request.params.id, requiredVersion(request, version), reason)));
    },
  );

  app.post(
    '/v1/certificates/:id/reinstate',
    {
      onRequest: signedInOnly,
      schema: { tags, security: signedInSecurity, operationId: 'reinstateCertificate', summary: 'Make a SUSPENDED certificate ACTIVE again', params: IdParams, body: VersionBody, response: one },
    },
    async (request, reply) =>
      withEtag(reply, present(request, await reinstateCertificate(deps, requireSignedIn(request), request.params.id, requiredVersion(request, request.body.version)))),
  );

  app.post(
    '/v1/certificates/:id/reissue',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'reissueCertificate',
        summary: 'Replace a certificate by a new one with a new code (the old one becomes REVOKED, reason SUPERSEDED)',
        params: IdParams, body: ReissueBody, response: { 201: CertificateSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const base = baseOf(request);
      const certificate = await reissueCertificate(deps, requireSignedIn(request), request.params.id,
        requiredVersion(request, request.body.version), request.body.reason, verificationUrlOf(base));
      return reply.status(201).send(withEtag(reply, present(request, certificate)));
    },
  );

  // Public verification: anyone with the code, signed out, rate-limited like the catalogue.
  app.get(
    '/v1/verify/:code',
    {
      config: publicRoute,
      schema: {
        tags, security: publicSecurity, operationId: 'verifyCertificate',
        summary: 'Verify a certificate by the code printed on it (no sign-in needed; counted)',
        description: 'Case, spaces and dashes do not matter; O reads as 0, I and L as 1. A text that cannot be a code answers 404 like an unknown code.',
        params: VerificationCodeParams,
        response: { 200: VerificationSchema, ...errorResponses(404, 429) },
      },
    },
    (request, reply) => {
      // Cache-Control: no-store, as every answer that chooses no caching (buildApp's onSend): a count changes on every call.
      // Not an async handler: an answer in the cache is sent at once, without a promise (decision 0093).
      return whenReady(countedVerification(verifying, request.params.code), (verification) => void sendVerification(reply, verification));
    },
  );

  app.get(verificationStylesheetPath, { config: publicRoute, schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(verificationStylesheet),
  );

  app.get(
    '/verify/:code',
    { config: publicRoute, schema: { hide: true, params: VerificationCodeParams } },
    async (request, reply) => {
      let verification: Verification | null = null;
      try {
        verification = await verifyByCodeCached(verifying, request.params.code);
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'NOT_FOUND')) throw error;
      }
      return reply
        .status(verification === null ? 404 : 200)
        .header('content-type', 'text/html; charset=utf-8')
        .send(renderVerificationPage(verification));
    },
  );
};
