import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { AppError } from '../../errors.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { publicSecurity } from '../../platform/http/openapi.js';
import { publicRoute } from '../../platform/http/rate-limits.js';
import { CertificateStatusSchema, VerificationCodeParams } from './certificates.schemas.js';
import type { CertificatesDeps } from './certificates.service.js';
import { verifyDocument } from './verify-document.service.js';

/** A certificate PDF is about 20 kB; a template with images stays far below this. */
export const maxDocumentBytes = 4 * 1024 * 1024;

const DocumentVerificationSchema = Type.Object(
  {
    verification_code: Type.String(),
    status: CertificateStatusSchema,
    matches: Type.Union([Type.Boolean(), Type.Null()], { description: 'true: byte for byte the PDF issued; false: another or an edited document; null: this certificate’s PDF was never hashed (issued before PDFs were)' }),
    document_sha256: Type.String({ description: 'SHA-256 of the document sent' }),
    pdf_sha256: Type.Union([Type.String(), Type.Null()], { description: 'SHA-256 of the PDF issued' }),
  },
  { title: 'DocumentVerification' },
);

/** The bytes sent: the whole body as application/pdf, or the file of a multipart/form-data form. */
async function uploadedDocument(request: FastifyRequest): Promise<Buffer> {
  if (Buffer.isBuffer(request.body)) return request.body;
  if (request.isMultipart()) {
    let file;
    try {
      file = await request.file({ limits: { fileSize: maxDocumentBytes, files: 1 } });
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('FST_')) throw error;
      throw new AppError('VALIDATION_FAILED', 'the form could not be read', { field: 'body' });
    }
    if (!file) throw new AppError('VALIDATION_FAILED', 'the form has no file field', { field: 'body' });
    // A file over the limit makes toBuffer throw FST_REQ_FILE_TOO_LARGE, which the error handler answers with 413.
    return file.toBuffer();
  }
  throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the PDF as application/pdf or as the file of a multipart/form-data form', { field: 'headers.content-type' });
}

/** POST /v1/verify/:code/document: is this PDF the one issued? Public and rate-limited like verification. */
export const verifyDocumentRoutes: FastifyPluginAsyncTypebox<CertificatesDeps> = async (app, deps) => {
  // Only this plugin's routes read PDF bodies (the parser is encapsulated here).
  app.addContentTypeParser('application/pdf', { parseAs: 'buffer', bodyLimit: maxDocumentBytes }, (_request, body, done) => done(null, body));

  app.post(
    '/v1/verify/:code/document',
    {
      config: publicRoute,
      bodyLimit: maxDocumentBytes,
      schema: {
        tags: ['certificates'], security: publicSecurity, operationId: 'verifyCertificateDocument',
        summary: 'Check that a PDF is the one issued under a code (its SHA-256 against the hash stored at issue)',
        description: `Send the PDF as the body (Content-Type: application/pdf) or as the file of a multipart/form-data form, up to ${maxDocumentBytes / 1024 / 1024} MiB. An edited PDF does not match. Counted as a verification. A malformed, forged or unknown code answers 404 like GET /v1/verify/:code.`,
        params: VerificationCodeParams,
        consumes: ['application/pdf', 'multipart/form-data'],
        response: { 200: DocumentVerificationSchema, ...errorResponses(400, 404, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const document = await uploadedDocument(request);
      return reply.send(await verifyDocument(deps, request.params.code, document));
    },
  );
};
