import { AppError } from '../../errors.js';
import { translateDatabaseError } from './postgres-errors.js';

/** A deadlock or serialization failure (40P01, 40001) as PostgreSQL or PGlite raised it, or as the application named it. */
function isSerializationFailure(error: unknown): boolean {
  return (error instanceof AppError ? error : translateDatabaseError(error))?.code === 'SERIALIZATION_FAILURE';
}

/**
 * Runs a whole transaction again when PostgreSQL aborted it as a deadlock or serialization failure, up to
 * `attempts` times in all; then the error stands (the error table answers it 503 SERIALIZATION_FAILURE).
 * The engines' `withActor` call it with `WriteOptions.serializationAttempts`. For writes that race by
 * design: two bookings of one instructor's hour can deadlock inside the exclusion constraint's check,
 * each waiting for the other's index entry; run again, the later one sees the earlier and gets its 409.
 * `run` must be the whole transaction, with nothing outside the database done in it.
 */
export async function retryingSerializationFailures<T>(run: () => Promise<T>, attempts = 1): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !isSerializationFailure(error)) throw error;
    }
  }
}
