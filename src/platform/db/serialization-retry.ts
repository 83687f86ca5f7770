import { AppError } from '../../errors.js';

/**
 * Runs a whole transaction again when PostgreSQL aborted it as a deadlock or serialization failure
 * (SERIALIZATION_FAILURE), up to `attempts` times; then the error stands (503). For writes that race by
 * design: two bookings of one instructor's hour can deadlock inside the exclusion constraint's check,
 * each waiting for the other's index entry; run again, the later one sees the earlier and gets its 409.
 * `run` must be the whole transaction, with nothing outside the database done in it.
 */
export async function retryingSerializationFailures<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !(error instanceof AppError) || error.code !== 'SERIALIZATION_FAILURE') throw error;
    }
  }
}
