/**
 * fast-check parameters for a property test: always `numRuns` runs, so a loaded machine takes longer
 * instead of silently checking fewer cases (no time budget). `PROPERTY_RUNS=<n>` runs every property
 * test n times instead, for a deeper search on demand: `PROPERTY_RUNS=500 npx vitest run <file>`.
 */
export function propertyRuns(numRuns: number): { numRuns: number } {
  const asked = process.env['PROPERTY_RUNS'];
  if (asked === undefined || asked === '') return { numRuns };
  const runs = Number(asked);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`PROPERTY_RUNS must be a whole number of at least 1, got "${asked}"`);
  return { numRuns: runs };
}
