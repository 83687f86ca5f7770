import type { Queryable } from '../../platform/db/database.js';
import { type PublicVerificationAnswer, publicVerificationAnswers } from './certificates.repository.js';

/** Reads the public answer of a stored code as of a UTC day; null when no certificate has the code. */
export type PublicAnswersReader = (code: string, asOf: string) => Promise<PublicVerificationAnswer | null>;

interface Waiting {
  resolve: (answer: PublicVerificationAnswer | null) => void;
  reject: (error: unknown) => void;
}

/**
 * How many codes one statement reads at most, and after how long a read still in flight no longer holds
 * back the next one (a connection that hangs, a lock a migration holds): without them a flood of new codes
 * would make one huge statement, and one read that never ends would stop every later verification.
 */
export interface PublicAnswersReaderLimits {
  maxCodesPerRead: number;
  slowReadMs: number;
}

const defaultLimits: PublicAnswersReaderLimits = { maxCodesPerRead: 500, slowReadMs: 2_000 };

/**
 * Codes missed by the cache together are read in one statement (decision 0064), and while a read is in
 * flight the codes missed meanwhile wait for its end and are read together after it (decision 0108). A
 * statement has a fixed cost in both processes (a call of the function, its plan, a round trip, a pooled
 * connection) that only a batch shares: read as soon as each turn ended, the batches were a few codes
 * each under load, and that cost was most of a first-time verification's. A code missed while nothing is
 * in flight is read at the end of its turn, as before.
 */
export function createPublicAnswersReader(owner: Queryable, limits: PublicAnswersReaderLimits = defaultLimits): PublicAnswersReader {
  /** Per day, per code, the callers waiting for the next read. */
  const waiting = new Map<string, Map<string, Waiting[]>>();
  let scheduled = false;
  /** The read the next one waits for, if any. */
  let holding: object | null = null;

  /** Up to `maxCodesPerRead` waiting codes, taken out of `waiting`; the rest wait for the next read. */
  const takeBatch = (): Map<string, Map<string, Waiting[]>> => {
    const batch = new Map<string, Map<string, Waiting[]>>();
    let room = limits.maxCodesPerRead;
    for (const [asOf, byCode] of waiting) {
      const taken = new Map<string, Waiting[]>();
      for (const [code, callers] of byCode) {
        if (room === 0) break;
        taken.set(code, callers);
        byCode.delete(code);
        room -= 1;
      }
      if (taken.size > 0) batch.set(asOf, taken);
      if (byCode.size === 0) waiting.delete(asOf);
      if (room === 0) break;
    }
    return batch;
  };

  const readWaiting = (): void => {
    scheduled = false;
    if (holding !== null || waiting.size === 0) return;
    const read = {};
    holding = read;
    const release = (): void => {
      if (holding !== read) return;
      holding = null;
      // At the end of this turn, with the codes missed in it too.
      schedule();
    };
    const slow = setTimeout(release, limits.slowReadMs);
    slow.unref();
    const reads: Array<Promise<unknown>> = [];
    for (const [asOf, byCode] of takeBatch()) {
      reads.push(publicVerificationAnswers(owner, [...byCode.keys()], asOf).then(
        (rows) => {
          const found = new Map(rows.map((row) => [row.verification_code, row]));
          for (const [code, callers] of byCode) for (const caller of callers) caller.resolve(found.get(code) ?? null);
        },
        (error: unknown) => {
          for (const callers of byCode.values()) for (const caller of callers) caller.reject(error);
        },
      ));
    }
    void Promise.allSettled(reads).then(() => {
      clearTimeout(slow);
      release();
    });
  };

  function schedule(): void {
    if (scheduled || waiting.size === 0) return;
    scheduled = true;
    setImmediate(readWaiting);
  }

  return (code, asOf) =>
    new Promise((resolve, reject) => {
      let byCode = waiting.get(asOf);
      if (!byCode) waiting.set(asOf, (byCode = new Map()));
      const callers = byCode.get(code);
      if (callers) callers.push({ resolve, reject });
      else byCode.set(code, [{ resolve, reject }]);
      schedule();
    });
}
