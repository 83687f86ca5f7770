import Type from 'typebox';
import { type ErrorCode, errorStatus } from '../../errors.js';

const errorCodes = Object.keys(errorStatus) as ErrorCode[];

function errorShape(codes: readonly ErrorCode[], title: string, description: string) {
  return Type.Object(
    {
      error: Type.Object({
        code: Type.Enum(codes, { description: 'stable: clients branch on it (each has one HTTP status, see src/errors.ts)' }),
        message: Type.String({ description: 'for people; may change' }),
        details: Type.Optional(
          Type.Object(
            { field: Type.Optional(Type.String({ description: 'the offending input, e.g. body.max_capacity' })) },
            { additionalProperties: true, description: 'what the code needs: the field, a conflict’s current row, each invalid row' },
          ),
        ),
      }),
    },
    { title, description },
  );
}

/** The one error shape (see error-handler.ts), with every code. */
export const ErrorResponse = errorShape(errorCodes, 'Error', 'what went wrong, with a stable code and, where it applies, the offending field');

const meanings: Record<number, string> = {
  400: 'Invalid input (VALIDATION_FAILED names the field) or a body that is not JSON',
  401: 'No access token, or one that is invalid, expired or of an inactive account',
  403: 'Your role may not do this',
  404: 'No such row, or not one you may see',
  409: 'A conflict: a stale version (the current row in details), a full session, a transition not allowed now',
  413: 'The body is too large',
  415: 'A content type or encoding this route does not take',
  422: 'Well-formed input the data refuses: a missing reference, a broken constraint, invalid rows',
  429: 'Too many requests: try again after Retry-After seconds',
  503: 'The database is unavailable or a transaction could not be serialised: try again',
};

/** One schema per status, made once: every route names a few of them. */
const errorSchemas = new Map<number, typeof ErrorResponse>();

/**
 * The error schema for one status (`Error409`, …): its code enum lists only the codes that answer with
 * that status, so a typed client narrows on it; described as what that status means here.
 */
export function errorResponse(status: number): typeof ErrorResponse {
  let schema = errorSchemas.get(status);
  if (!schema) {
    const codes = errorCodes.filter((code) => errorStatus[code] === status);
    const shape = codes.length === 0 ? ErrorResponse : errorShape(codes, `Error${status}`, `an error answered with HTTP ${status}`);
    schema = { ...shape, 'x-response-description': meanings[status] ?? 'See error.code' } as typeof ErrorResponse;
    errorSchemas.set(status, schema);
  }
  return schema;
}

/** `{ 403: ErrorResponse, 404: ErrorResponse, … }` for a route's `response` schema. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((status) => [status, errorResponse(status)])) as Record<S, typeof ErrorResponse>;
}
