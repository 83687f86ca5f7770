import { AppError } from '../../errors.js';

/** The fields PostgreSQL (and PGlite, which reports the same) attaches to an error. */
interface PostgresErrorFields {
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  detail?: string;
}

function isPostgresError(error: unknown): error is Error & PostgresErrorFields {
  return error instanceof Error && typeof (error as PostgresErrorFields).code === 'string' && /^[0-9A-Z]{5}$/.test((error as PostgresErrorFields).code ?? '');
}

/** `Key (session_id, student_id)=(…)` → `session_id, student_id`: the columns, never the values (they may be personal). */
function keyColumnsOf(detail: string | undefined): string | undefined {
  return /^Key \(([^)]+)\)=/.exec(detail ?? '')?.[1];
}

/**
 * Class 22 (data exception) messages quote the rejected input (`invalid input syntax for type uuid:
 * "…"`, `value "…" is out of range for type integer`), which may be personal: the API says what kind
 * of value was wrong, and at most the type it was meant to be, never the value.
 */
const dataExceptions: Record<string, string> = {
  '22P02': 'a value has the wrong form',
  '22003': 'a number is out of range',
  '22007': 'a date or time has the wrong form',
  '22008': 'a date or time is out of range',
  '22001': 'a value is too long',
  '22023': 'a value is not valid here',
  // A NUL character in text (22021) or \u0000 in JSON (22P05): client input PostgreSQL cannot store.
  '22021': 'a text contains a character that cannot be stored',
  '22P05': 'a text contains a character that cannot be stored',
};

/** `… for type character varying(10)` → `character varying(10)`: a type name, not input. */
function typeNamedIn(message: string): string | undefined {
  return / for type ([a-z][a-z0-9 _]*(?:\(\d+(?:, ?\d+)?\))?)/.exec(message)?.[1];
}

/** The exclusion constraints that keep an instructor or a room to one session at a time (migration 0039). */
export const scheduleExclusions = new Set(['training_sessions_instructor_overlap_excl', 'training_sessions_room_overlap_excl']);

/** Whether the database refused a session write because its instructor or room is booked then. */
export function isScheduleExclusion(error: unknown): boolean {
  return isPostgresError(error) && error.code === '23P01' && scheduleExclusions.has(error.constraint ?? '');
}

/** Seat checks raised by triggers (migration 0039), with the input they refuse. */
const capacityChecks: Record<string, string> = {
  training_sessions_room_capacity_check: 'body.max_capacity',
  rooms_session_seats_check: 'body.capacity',
};

/** Node's socket errors when the server is down or went away: the request may be retried, it is not ours to fix. */
const networkFailures = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/** Whether `error` is one of Node's socket errors (above), whatever socket, pipe or stream raised it. */
export function isSocketError(error: unknown): boolean {
  return error instanceof Error && networkFailures.has((error as PostgresErrorFields).code ?? '');
}

/**
 * Set on a socket error raised by a database connection. The same codes come from any socket, pipe or
 * stream (a client that hung up, a child process's pipe): only the driver's calls say which are the
 * database's, so the engine marks what they reject with (`fromDatabase`).
 */
const raisedByDatabaseConnection = Symbol('raised by a database connection');

/** Rejects as `call` does, marking a socket error as the database connection's. */
export function fromDatabase<T>(call: Promise<T>): Promise<T> {
  return call.catch((error: unknown) => {
    if (isSocketError(error)) Object.defineProperty(error, raisedByDatabaseConnection, { value: true });
    throw error;
  });
}

/**
 * pg's own words, without a code, for a connection that went away: under a query (`Connection terminated
 * unexpectedly`), or between two queries of a client checked out of the pool (`Client has encountered a
 * connection error and is not queryable`: a write whose transaction spanned a server restart).
 */
const droppedConnection = /^(Connection terminated|Client has encountered a connection error and is not queryable)/;

/**
 * The server cannot be reached, or dropped the connection: a socket error of a database connection, a
 * SQLSTATE of class 08, or pg's words for a lost connection.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (isSocketError(error)) return raisedByDatabaseConnection in error;
  return ((error as PostgresErrorFields).code ?? '').startsWith('08') || droppedConnection.test(error.message);
}

/**
 * The connection is gone or going: a connection failure, or the server ending the backend (terminated
 * by an administrator, a crash shutdown, not accepting connections yet). Whatever was kept in that
 * session (temporary tables, prepared statements) is gone with it.
 */
export function isSessionEnded(error: unknown): boolean {
  return isConnectionFailure(error) || ['57P01', '57P02', '57P03'].includes((error as PostgresErrorFields | null)?.code ?? '');
}

/** A restart takes a few seconds; the answer says when to try again (Retry-After). */
const databaseUnavailable = (error: unknown) =>
  new AppError('SERVICE_UNAVAILABLE', 'the database is not available; retry shortly', { retryAfterSeconds: 1 }, { cause: error });

/**
 * Translates a database refusal into the API's error. The database enforces the rules; this only
 * names them. Returns null for errors that are not the database refusing a value.
 */
export function translateDatabaseError(error: unknown): AppError | null {
  if (isConnectionFailure(error)) return databaseUnavailable(error);
  if (!isPostgresError(error)) return null;
  const { code = '', constraint, table } = error;
  // Class 53, insufficient resources (too many connections, out of memory, disk full): passes, as a restart does.
  if (code.startsWith('53')) return databaseUnavailable(error);
  const columns = keyColumnsOf(error.detail);
  const where = { ...(table ? { table } : {}), ...(constraint ? { constraint } : {}) };
  const dataException = dataExceptions[code];
  if (dataException) {
    const type = typeNamedIn(error.message);
    return new AppError('VALIDATION_FAILED', `${dataException}${type ? ` for type ${type}` : ''}`, where, { cause: error });
  }
  // On a delete, `table` is the referencing table (the one that still points here), not the deleted row's.
  const stillReferenced = () => new AppError('CONFLICT', `the row is still referenced from ${table ?? 'another table'}`, where, { cause: error });
  switch (code) {
    case '23505':
      return new AppError('CONFLICT', `a ${table ?? 'row'} with the same ${columns ?? 'key'} already exists`, { ...where, ...(columns ? { field: columns } : {}) }, { cause: error });
    // PostgreSQL 18 reports ON DELETE RESTRICT as restrict_violation; NO ACTION, and RESTRICT before 18, as 23503.
    case '23001':
      return stillReferenced();
    case '23503':
      return /still referenced/.test(error.detail ?? '')
        ? stillReferenced()
        : new AppError('INVALID_REFERENCE', `${columns ?? 'a reference'} points to a row that does not exist`, { ...where, ...(columns ? { field: columns } : {}) }, { cause: error });
    case '23514':
      if (constraint !== undefined && constraint in capacityChecks) {
        return new AppError('CONSTRAINT_VIOLATION', error.message, { ...where, field: capacityChecks[constraint] }, { cause: error });
      }
      return new AppError('CONSTRAINT_VIOLATION', `the ${table ?? 'row'} breaks the rule ${constraint ?? 'of a check constraint'}`, where, { cause: error });
    case '23502':
      return new AppError('VALIDATION_FAILED', `${error.column ?? 'a required value'} is required`, { ...where, ...(error.column ? { field: error.column } : {}) }, { cause: error });
    case '23P01':
      // The scheduling exclusion constraints (migration 0039). The service that writes a session names
      // the other one (it asks the database after a savepoint); this answers a write that did not.
      if (constraint !== undefined && scheduleExclusions.has(constraint)) {
        return new AppError('SCHEDULE_CONFLICT', `the ${constraint.includes('room') ? 'room' : 'instructor'} is booked at an overlapping time`, where, { cause: error });
      }
      return new AppError('CONFLICT', `the ${table ?? 'row'} overlaps an existing one`, where, { cause: error });
    case '40001':
    case '40P01':
      return new AppError('SERIALIZATION_FAILURE', 'the change collided with a concurrent one; retry it', where, { cause: error });
    // Refusals of the enrollment functions (migration 0012), worded there without personal data.
    case 'UT404':
      return new AppError('NOT_FOUND', error.message, {}, { cause: error });
    case 'UT409':
      return new AppError('CONFLICT', error.message, {}, { cause: error });
    case 'UTCAP':
      return new AppError('CAPACITY_CONFLICT', error.message, { field: 'body.max_capacity' }, { cause: error });
    // The row's state does not allow the change, e.g. the members of an archived roster (migration 0017).
    case 'UTTRN':
      return new AppError('INVALID_TRANSITION', error.message, {}, { cause: error });
    case '42501':
      return new AppError('FORBIDDEN', 'not allowed to change this row', where, { cause: error });
    case '57014':
    case '57P01':
    case '57P03':
      return databaseUnavailable(error);
    default:
      return null;
  }
}
