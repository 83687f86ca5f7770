import type { Queryable } from '../../platform/db/database.js';
import { type PublicVerificationAnswer, publicVerificationAnswers } from './certificates.repository.js';

/** Reads the public answer of a stored code as of a UTC day; null when no certificate has the code. */
export type PublicAnswersReader = (code: string, asOf: string) => Promise<PublicVerificationAnswer | null>;

interface Waiting {
  resolve: (answer: PublicVerificationAnswer | null) => void;
  reject: (error: unknown) => void;
}

/**
 * Codes missed by the cache together are read in one statement (decision 0064), and while a read is in
 * flight the codes missed meanwhile wait for its end and are read together after it (decision 0108). A
 * statement has a fixed cost in both processes (a call of the function, its plan, a round trip, a pooled
 * connection) that only a batch shares: read as soon as each turn ended, the batches were a few codes
 * each under load, and that cost was most of a first-time verification's. A code missed while nothing is
 * in flight is read at the end of its turn, as before.
 */
export function createPublicAnswersReader(owner: Queryable): PublicAnswersReader {
  /** Per day, per code, the callers waiting for the next read. */
  let waiting = new Map<string, Map<string, Waiting[]>>();
  let scheduled = false;
  let reading = false;

  const readWaiting = (): void => {
    scheduled = false;
    if (reading || waiting.size === 0) return;
    reading = true;
    const batch = waiting;
    waiting = new Map();
    const reads: Array<Promise<unknown>> = [];
    for (const [asOf, byCode] of batch) {
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
    void Promise.all(reads).then(() => {
      reading = false;
      // At the end of this turn, with the codes missed in it too.
      schedule();
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
