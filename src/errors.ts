/**
 * The one error type services throw. Codes are stable strings clients may rely on; only the HTTP
 * layer turns them into statuses, through `httpStatusOf`.
 */
export const errorStatus = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  /** Not HTTP the server can read (a broken request line or header): answered before any routing. */
  MALFORMED_REQUEST: 400,
  /** The client hung up before its request arrived whole: logged, the answer reaches nobody. */
  CLIENT_CLOSED_REQUEST: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  REFRESH_TOKEN_REUSED: 401,
  /** An invitation or password-reset link that is unknown, used, replaced, revoked or expired; details.reason says which. */
  INVALID_TOKEN: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  CONFLICT: 409,
  VERSION_CONFLICT: 409,
  CAPACITY_CONFLICT: 409,
  ALREADY_ENROLLED: 409,
  EMAIL_TAKEN: 409,
  /** The enrollment or roster line cannot be certified (not completed, a course that does not certify). */
  NOT_ELIGIBLE: 409,
  /** An instructor or room already booked at an overlapping time (migration 0039); details name the other session. */
  SCHEDULE_CONFLICT: 409,
  INVALID_REFERENCE: 422,
  CONSTRAINT_VIOLATION: 422,
  INVALID_CSV: 422,
  /** A batch sent all or nothing had invalid rows: nothing was written; details list every row. */
  INVALID_ROWS: 422,
  /** A certificate template that cannot be rendered (unknown placeholder, off the page, bad image); details.field names the element. */
  INVALID_TEMPLATE: 422,
  /** The student holds a seat or waitlist place in an overlapping session; send allow_overlap: true if that is wanted. */
  OVERLAPPING_ENROLLMENT: 422,
  /**
   * The instructor does not meet what the course asks (tier, requirements, certificates) on the session's
   * day; details.missing says what. Not NOT_ELIGIBLE, which is certificates' 409 (decision 0042).
   */
  INSTRUCTOR_NOT_ELIGIBLE: 422,
  INVALID_TRANSITION: 409,
  /** The waitlist offer's deadline passed before it was accepted: the seat went to the next in line. */
  OFFER_EXPIRED: 409,
  /** The enrollment holds no open waitlist offer (none made, already answered, or the session no longer scheduled). */
  NO_OPEN_OFFER: 409,
  UNSUPPORTED_ENCODING: 415,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  REQUEST_TIMEOUT: 408,
  HEADERS_TOO_LARGE: 431,
  SERIALIZATION_FAILURE: 503,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface ErrorDetails {
  /** The offending input field (e.g. `body.max_capacity`), or the column a constraint guards. */
  field?: string;
  constraint?: string;
  [key: string]: unknown;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return errorStatus[code];
}
