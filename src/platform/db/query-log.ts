import { createHash } from 'node:crypto';
import type { Logger } from '../shared/logger.js';

/** Statements are parameterised, so the fingerprint of the text identifies the query shape. */
export function fingerprintOf(sql: string): string {
  return createHash('sha1').update(sql.replace(/\s+/g, ' ').trim()).digest('hex').slice(0, 12);
}

/** Slow statements of one fingerprint since the process started. */
export interface SlowStatementFigures {
  count: number;
  seconds: number;
}

export interface QueryLog {
  time<T>(sql: string, run: () => Promise<T>): Promise<T>;
  /** Slow statements by fingerprint (for /metrics); fingerprints beyond the first 200 are added up as `other`. */
  slowStatements(): ReadonlyMap<string, SlowStatementFigures>;
}

/** Statement texts are fixed in the code, but a text built per call must not make a series per call. */
const maximumFingerprints = 200;

/** Logs statements slower than `slowMs` with their fingerprint; never their parameters (personal data). */
export function createQueryLog(logger: Logger | null, slowMs: number): QueryLog {
  const slow = new Map<string, SlowStatementFigures>();
  const count = (fingerprint: string, durationMs: number) => {
    const key = slow.has(fingerprint) || slow.size < maximumFingerprints ? fingerprint : 'other';
    const figures = slow.get(key) ?? { count: 0, seconds: 0 };
    figures.count += 1;
    figures.seconds += durationMs / 1000;
    slow.set(key, figures);
  };
  return {
    async time(sql, run) {
      if (!logger) return run();
      const started = performance.now();
      try {
        return await run();
      } finally {
        const durationMs = performance.now() - started;
        if (durationMs >= slowMs) {
          const fingerprint = fingerprintOf(sql);
          count(fingerprint, durationMs);
          const statement = sql.replace(/\s+/g, ' ').trim().slice(0, 200);
          logger.warn({ fingerprint, durationMs: Math.round(durationMs), statement }, 'slow query');
        }
      }
    },
    slowStatements: () => slow,
  };
}
