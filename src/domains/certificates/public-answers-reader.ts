import type { Queryable } from '../../platform/db/database.js';
import { type PublicVerificationAnswer, publicVerificationAnswers } from './certificates.repository.js';

/** Reads the public answer of a stored code as of a UTC day; null when no certificate has the code. */
export type PublicAnswersReader = (code: string, asOf: string) => Promise<PublicVerificationAnswer | null>;

interface Waiting {
  resolve: (answer: PublicVerificationAnswer | null) => void;
  reject: (error: unknown) => void;
}

/**
 * Codes missed by the cache in the same turn of the event loop are read in one statement (decision
 * 0064): at 64 connections many verifications of new codes arrive together, and one round trip for
 * all of them costs the process and PostgreSQL a fraction of one per code.
 */
export function createPublicAnswersReader(owner: Queryable): PublicAnswersReader {
  /** Per day, per code, the callers waiting for the next read. */
  let waiting = new Map<string, Map<string, Waiting[]>>();
  let scheduled = false;

  const readWaiting = (): void => {
    scheduled = false;
    const batch = waiting;
    waiting = new Map();
    for (const [asOf, byCode] of batch) {
      publicVerificationAnswers(owner, [...byCode.keys()], asOf).then(
        (rows) => {
          const found = new Map(rows.map((row) => [row.verification_code, row]));
          for (const [code, callers] of byCode) for (const caller of callers) caller.resolve(found.get(code) ?? null);
        },
        (error: unknown) => {
          for (const callers of byCode.values()) for (const caller of callers) caller.reject(error);
        },
      );
    }
  };

  return (code, asOf) =>
    new Promise((resolve, reject) => {
      let byCode = waiting.get(asOf);
      if (!byCode) waiting.set(asOf, (byCode = new Map()));
      const callers = byCode.get(code);
      if (callers) callers.push({ resolve, reject });
      else byCode.set(code, [{ resolve, reject }]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(readWaiting);
      }
    });
}
