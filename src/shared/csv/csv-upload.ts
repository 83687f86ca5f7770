import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';

const maxCsvBytes = 10 * 1024 * 1024;

/**
 * CSV arrives either as the whole body (`Content-Type: text/csv`, what scripts send) or as the file
 * field of a `multipart/form-data` form (what a browser's file input sends).
 */
export async function registerCsvUploads(app: FastifyInstance): Promise<void> {
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: maxCsvBytes }, (_request, body, done) => done(null, body));
  await app.register(multipart, { limits: { fileSize: maxCsvBytes, files: 1, fields: 10 } });
}

/** The uploaded file's bytes, however it was sent. */
export async function csvUploadOf(request: FastifyRequest): Promise<Buffer> {
  if (Buffer.isBuffer(request.body)) return request.body;
  if (request.isMultipart()) {
    const file = await request.file();
    if (!file) throw new AppError('VALIDATION_FAILED', 'the form has no file field', { field: 'file' });
    const bytes = await file.toBuffer();
    if (file.file.truncated) throw new AppError('PAYLOAD_TOO_LARGE', `the file is larger than ${maxCsvBytes} bytes`, { field: 'file' });
    return bytes;
  }
  throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the CSV as text/csv or as the file of a multipart/form-data form', { field: 'headers.content-type' });
}
