import { LRUCache } from 'lru-cache';
import type { Queryable } from '../../platform/db/database.js';
import type { Logger } from '../../platform/shared/logger.js';
import { addVerificationCounts } from './certificates.repository.js';

/** How long a public verification's count may wait in memory before it is written (decision 0052). */
export const verificationCountDelayMs = 1_000;

export interface VerificationCounts {
  /**
   * Counts one verification of a certificate whose stored count, as its cached answer read it, was
   * `stored`; answers the count to show: the stored count as this process last learnt it, plus this
   * process's verifications not written yet.
   */
  count(certificateId: string, stored: number): number;
  /** Writes the counts waiting (one statement); they stay waiting if the database fails. */
  flush(): Promise<void>;
}

interface Waiting {
  count: number;
  lastVerifiedAt: Date;
}

/**
 * Public verifications counted in memory and written in one statement at most a second later, so that
 * a cached verification makes no round trip. A crash loses at most that second's counts — the count is
 * not a certificate change, and decision 0036 already let an unflushed commit lose it.
 */
export function createVerificationCounts(owner: Queryable, logger: Pick<Logger, 'warn'>, now: () => Date = () => new Date()): VerificationCounts {
  let waiting = new Map<string, Waiting>();
  let writing = new Map<string, Waiting>();
  /** The stored count as this process last learnt it (from a load or a flush): later loads may be older than a flush. */
  const stored = new LRUCache<string, number>({ max: 10_000 });
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> | null = null;

  const flushNow = async (): Promise<void> => {
    timer = null;
    if (waiting.size === 0) return;
    writing = waiting;
    waiting = new Map();
    try {
      const rows = await addVerificationCounts(owner, [...writing].map(([certificateId, counted]) => ({ certificateId, ...counted })));
      for (const row of rows) stored.set(row.certificate_id, row.verification_count);
    } catch (error) {
      logger.warn({ err: error }, 'certificates: verification counts could not be written; kept for the next try');
      for (const [id, counted] of writing) {
        const later = waiting.get(id);
        waiting.set(id, later ? { count: later.count + counted.count, lastVerifiedAt: later.lastVerifiedAt } : counted);
      }
      schedule();
    } finally {
      writing = new Map();
    }
  };

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    flushing = (flushing ?? Promise.resolve()).then(flushNow);
    return flushing;
  };

  function schedule(): void {
    if (timer) return;
    timer = setTimeout(() => void flush(), verificationCountDelayMs);
    // The process may end without waiting for it: closing the app flushes.
    timer.unref();
  }

  return {
    count(certificateId, storedCount) {
      // A read of the LRU already makes the entry the newest: it is written only when the count it holds changes.
      const remembered = stored.get(certificateId);
      const known = remembered === undefined || remembered < storedCount ? storedCount : remembered;
      if (known !== remembered) stored.set(certificateId, known);
      let counted = waiting.get(certificateId);
      if (counted) {
        counted.count += 1;
        counted.lastVerifiedAt = now();
      } else {
        waiting.set(certificateId, (counted = { count: 1, lastVerifiedAt: now() }));
      }
      schedule();
      return known + (writing.get(certificateId)?.count ?? 0) + counted.count;
    },
    flush,
  };
}
