import type { Queryable } from '../../platform/db/database.js';
import { type PublicVerificationAnswer, publicVerificationAnswers } from './certificates.repository.js';

/** Reads the public answer of a stored code as of a UTC day; null when no certificate has the code. */
export type PublicAnswersReader = (code: string, asOf: string) => Promise<PublicVerificationAnswer | null>;

interface Waiting {
  resolve: (answer: PublicVerificationAnswer | null) => void;
  reject: (error: unknown) => void;
}

/**
 * At most this many codes a statement. At 64 connections the misses of one turn are most of the
 * connections; read in one statement, the process waits idle while PostgreSQL reads them all, and then
 * answers them all while PostgreSQL waits (decision 0085). In statements of 32 the first answers are
 * sent while PostgreSQL still reads the rest, and the next turn's misses come back in groups.
 */
export const codesPerRead = 32;

/**
 * Codes missed by the cache in the same turn of the event loop are read together (decision 0064):
 * at 64 connections many verifications of new codes arrive together, and one round trip for a group
 * of them costs the process and PostgreSQL a fraction of one per code.
 */
export function createPublicAnswersReader(owner: Queryable): PublicAnswersReader {
  /** Per day, per code, the callers waiting for the next read. */
  let waiting = new Map<string, Map<string, Waiting[]>>();
  let scheduled = false;

  const read = (asOf: string, codes: string[], byCode: Map<string, Waiting[]>): void => {
    publicVerificationAnswers(owner, codes, asOf).then(
      (rows) => {
        const found = new Map(rows.map((row) => [row.verification_code, row]));
        for (const code of codes) for (const caller of byCode.get(code)!) caller.resolve(found.get(code) ?? null);
      },
      (error: unknown) => {
        for (const code of codes) for (const caller of byCode.get(code)!) caller.reject(error);
      },
    );
  };

  const readWaiting = (): void => {
    scheduled = false;
    const batch = waiting;
    waiting = new Map();
    for (const [asOf, byCode] of batch) {
      const codes = [...byCode.keys()];
      // Statements of equal size: 40 codes are two reads of 20, not one of 32 and one of 8.
      const size = Math.ceil(codes.length / Math.ceil(codes.length / codesPerRead));
      for (let start = 0; start < codes.length; start += size) read(asOf, codes.slice(start, start + size), byCode);
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
