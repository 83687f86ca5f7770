import { expect } from 'vitest';

/**
 * Values an attacker or a broken client sends: SQL and script injection, path tricks, control and
 * NUL characters, oversized text, and every JSON type where a string or a number belongs.
 */
export const hostileValues: readonly unknown[] = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '" OR ""="',
  '1; select pg_sleep(10)',
  '$1',
  "%' --",
  '\\',
  '\u0000',
  'nul\u0000inside',
  '\u202eright-to-left',
  '𝓤ñí©ødé ✓',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '{"$gt":""}',
  'x'.repeat(100_000),
  '',
  ' ',
  12345,
  -1,
  2 ** 53 + 1,
  true,
  null,
  [],
  ['a'],
  {},
  { $gt: '' },
];

export function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** A client error in the API's error shape, or a success: never a server error. */
export function expectNoServerError(response: { statusCode: number; body: string }, what: string): void {
  expect(response.statusCode, `${what} answered ${response.statusCode}: ${response.body.slice(0, 300)}`).toBeLessThan(500);
  if (response.statusCode >= 400) {
    const body = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code, `${what}: ${response.body.slice(0, 300)}`).toBe('string');
    expect(typeof body.error?.message, what).toBe('string');
  }
}
