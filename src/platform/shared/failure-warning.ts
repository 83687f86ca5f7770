import type { Logger } from './logger.js';

/**
 * A warning for a failure that every request meets while it lasts (the change feed cannot start, say):
 * logged when the failure begins, not once per request, and again only once it has recovered and
 * failed anew.
 */
export interface FailureWarning {
  /** The attempt failed: warns unless this failure was already warned of. */
  failed(error: unknown): void;
  /** The attempt succeeded: the next failure is a new one. */
  recovered(): void;
}

export function createFailureWarning(logger: Logger, message: string): FailureWarning {
  let failing = false;
  return {
    failed(error) {
      if (failing) return;
      failing = true;
      logger.warn({ err: error }, message);
    },
    recovered() {
      failing = false;
    },
  };
}
