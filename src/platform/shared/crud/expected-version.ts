import type { FastifyRequest } from 'fastify';
import { AppError } from '../../../errors.js';

const ifMatchPattern = /^(?:W\/)?"?(\d{1,9})"?$/;

/** The version the client read: the body's `version` wins, else an `If-Match: "N"` header (the ETag this API sends). */
export function expectedVersion(request: FastifyRequest, bodyVersion: number | undefined): number | undefined {
  if (bodyVersion !== undefined) return bodyVersion;
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const match = ifMatchPattern.exec(header);
  if (!match) throw new AppError('VALIDATION_FAILED', 'If-Match must be the version in quotes, e.g. "3"', { field: 'headers.if-match' });
  return Number(match[1]);
}

/** As `expectedVersion`, for changes that may not be made blind. */
export function requiredVersion(request: FastifyRequest, bodyVersion: number | undefined): number {
  const version = expectedVersion(request, bodyVersion);
  if (version === undefined) {
    throw new AppError('VALIDATION_FAILED', 'version is required (the version you read, as a field or an If-Match header)', { field: 'body.version' });
  }
  return version;
}
