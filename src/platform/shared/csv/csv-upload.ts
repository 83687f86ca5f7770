import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../../errors.js';

const defaultMaxCsvBytes = 10 * 1024 * 1024;

/**
 * CSV arrives either as the whole body (`Content-Type: text/csv`, what scripts send) or as the file
 * field of a `multipart/form-data` form (what a browser's file input sends).
 */
export async function registerCsvUploads(app: FastifyInstance, maxBytes = defaultMaxCsvBytes): Promise<void> {
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: maxBytes }, (_request, body, done) => done(null, body));
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 10 } });
}

/** The uploaded file's bytes, however it was sent. */
export async function csvUploadOf(request: FastifyRequest): Promise<Buffer> {
  if (Buffer.isBuffer(request.body)) return request.body;
  if (request.isMultipart()) {
    try {
      const file = await request.file();
      if (!file) throw new AppError('VALIDATION_FAILED', 'the form has no file field', { field: 'file' });
      // A file over the limit makes toBuffer throw FST_REQ_FILE_TOO_LARGE, which the error handler answers with 413.
      return await file.toBuffer();
    } catch (error) {
      throw unreadableForm(error);
    }
  }
  throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the CSV as text/csv or as the file of a multipart/form-data form', { field: 'headers.content-type' });
}

/** The multipart parser's own errors (no boundary, a form cut short) carry no code: they are the client's. */
function unreadableForm(error: unknown): unknown {
  if (error instanceof AppError || (error as { code?: string }).code?.startsWith('FST_')) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new AppError('VALIDATION_FAILED', `the form could not be read: ${reason}`, { field: 'file' });
}
