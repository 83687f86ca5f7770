import { createHash } from 'node:crypto';
import type { Logger } from '../shared/logger.js';

/** Statements are parameterised, so the fingerprint of the text identifies the query shape. */
export function fingerprintOf(sql: string): string {
  return createHash('sha1').update(sql.replace(/\s+/g, ' ').trim()).digest('hex').slice(0, 12);
}

export interface QueryLog {
  time<T>(sql: string, run: () => Promise<T>): Promise<T>;
}

/** Logs statements slower than `slowMs` with their fingerprint; never their parameters (personal data). */
export function createQueryLog(logger: Logger | null, slowMs: number): QueryLog {
  return {
    async time(sql, run) {
      if (!logger) return run();
      const started = performance.now();
      try {
        return await run();
      } finally {
        const durationMs = performance.now() - started;
        if (durationMs >= slowMs) {
          const statement = sql.replace(/\s+/g, ' ').trim().slice(0, 200);
          logger.warn({ fingerprint: fingerprintOf(sql), durationMs: Math.round(durationMs), statement }, 'slow query');
        }
      }
    },
  };
}
