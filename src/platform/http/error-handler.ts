import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSocketError, translateDatabaseError } from '../db/postgres-errors.js';
import { AppError, type ErrorCode, type ErrorDetails, httpStatusOf } from '../../errors.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetails };
}

type ValidationIssue = { instancePath: string; message?: string; params: Record<string, unknown> };

/** `body` + `/session/max_capacity` → `body.session.max_capacity`; a missing property names itself. */
function fieldOf(context: string | undefined, issue: ValidationIssue): string {
  const path = issue.instancePath.split('/').filter(Boolean);
  const missing = issue.params['missingProperty'];
  const extra = issue.params['additionalProperty'];
  if (typeof missing === 'string') path.push(missing);
  if (typeof extra === 'string') path.push(extra);
  return [context ?? 'request', ...path].join('.');
}

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  // @fastify/multipart (CSV uploads from a browser form)
  FST_REQ_FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_PARTS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_FIELDS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_PROTO_VIOLATION: 'VALIDATION_FAILED',
};

/** Turns anything thrown into the API's error; the only place that chooses statuses. */
export function toAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  const database = translateDatabaseError(error);
  if (database) return database;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const issues = fastifyError.validation as ValidationIssue[];
    const first = issues[0] as ValidationIssue;
    const field = fieldOf(fastifyError.validationContext, first);
    return new AppError('VALIDATION_FAILED', `${field} ${first.message ?? 'is invalid'}`, {
      field,
      issues: issues.map((issue) => ({ field: fieldOf(fastifyError.validationContext, issue), message: issue.message })),
    });
  }
  const code = fastifyError.code ? fastifyCodes[fastifyError.code] : undefined;
  if (code) return new AppError(code, fastifyError.message);
  return null;
}

function send(reply: FastifyReply, error: AppError) {
  // A refusal that passes with time (rate limits, login lockout) says when to come back.
  const retryAfter = error.details?.['retryAfterSeconds'];
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  const body: ErrorBody = { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
  return reply.status(httpStatusOf(error.code)).send(body);
}

/**
 * Errors Fastify raises before routing (a URL that is not valid percent-encoding, an unsupported
 * content type): given to Fastify's `frameworkErrors` option so they get the same shape as the rest.
 */
export function answerFrameworkError(error: Error & { code?: string }, _request: FastifyRequest, reply: FastifyReply): void {
  const appError =
    error.code === 'FST_ERR_BAD_URL'
      ? new AppError('VALIDATION_FAILED', 'the URL is not valid percent-encoded UTF-8', { field: 'url' })
      : (toAppError(error) ?? new AppError('VALIDATION_FAILED', error.message));
  void send(reply, appError);
}

/** What Node's HTTP parser could not take, before Fastify sees a request (its `clientError` event). */
function clientErrorOf(error: Error & { code?: string }): AppError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new AppError('HEADERS_TOO_LARGE', 'the request headers (URL included) are larger than the server accepts');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError('REQUEST_TIMEOUT', 'the request did not arrive in time');
    default:
      return new AppError('MALFORMED_REQUEST', 'the request is not HTTP the server can read');
  }
}

/**
 * Fastify's `clientErrorHandler`: answers in the one error shape what never became a request (a 100 kB
 * URL, a broken request line), written straight to the socket, then closes it.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A connection the client reset has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const appError = clientErrorOf(error);
  const status = httpStatusOf(appError.code);
  const body = JSON.stringify({ error: { code: appError.code, message: appError.message } } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const known = toAppError(error);
    // The request's own stream ended early (Node's `aborted`, an ECONNRESET, while its body was arriving):
    // the client's doing, and nobody is left to read the answer. The same code from any other socket or
    // pipe, while the client happened to leave, is still a bug below.
    if (!known && isSocketError(error) && (error as Error).message === 'aborted' && request.raw.destroyed) {
      request.log.info({ err: error }, 'the client closed the connection before the request arrived whole');
      return send(reply, new AppError('CLIENT_CLOSED_REQUEST', 'the client closed the connection before the request arrived whole'));
    }
    if (known) {
      if (httpStatusOf(known.code) >= 500) request.log.error({ err: error }, known.message);
      return send(reply, known);
    }
    // Anything unexpected is a bug: log it whole, tell the client only the request id to quote.
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, new AppError('INTERNAL', 'internal error', { requestId: request.id }));
  });
  app.setNotFoundHandler((request, reply) =>
    send(reply, new AppError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
