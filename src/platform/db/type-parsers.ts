/**
 * Both engines return the same JavaScript values for the same column types, so a query behaves
 * identically on PGlite and on PostgreSQL.
 */
const oid = { int8: 20, numeric: 1700, date: 1082 } as const;

const asNumber = (value: string): number => Number(value);
const asIs = (value: string): string => value;

/** bigint → number: our bigints are sequences and counts, far below 2^53. numeric → number: scores.
 *  date → 'YYYY-MM-DD': a calendar day has no time zone, so it must not become a Date at local midnight. */
export const typeParsers: Record<number, (value: string) => unknown> = {
  [oid.int8]: asNumber,
  [oid.numeric]: asNumber,
  [oid.date]: asIs,
};
