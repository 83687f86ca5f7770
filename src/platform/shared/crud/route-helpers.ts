import type { FastifyRequest } from 'fastify';
import type { Row } from '../../db/database.js';
import { AppError } from '../../../errors.js';

interface HeaderSetter {
  header: (name: string, value: string) => unknown;
}

/** Sets the ETag (the row's version, quoted, as If-Match takes it back) and returns the row to send. */
export function withEtag<T extends { version: unknown }>(reply: HeaderSetter, row: T): T {
  reply.header('etag', `"${String(row.version)}"`);
  return row;
}

/**
 * preValidation of a POST whose body is optional (a transition needing only the version, which may come
 * as If-Match): no body reads as an empty one, so the schema still checks whatever is sent.
 */
export async function optionalBody(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

/**
 * Runs a change and, when it fails on a stale version, sends the current row back in the same
 * representation as a read (`present`), so the client can merge and retry.
 */
export async function presentingConflicts<T>(present: (row: Row) => unknown, change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (error) {
    if (error instanceof AppError && error.code === 'VERSION_CONFLICT' && error.details?.['current']) {
      throw new AppError(error.code, error.message, { ...error.details, current: present(error.details['current'] as Row) });
    }
    throw error;
  }
}
