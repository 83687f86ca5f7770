import pg from 'pg';

/** node-postgres's own parser of `timestamptz` text (postgres-date): every value the fast path below does not take. */
const parseAnyTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text') as (value: string) => Date | number | null;

const zero = 48;
const digitsAt = (value: string, start: number, end: number): number => {
  let number = 0;
  for (let index = start; index < end; index++) number = number * 10 + value.charCodeAt(index) - zero;
  return number;
};

/**
 * A `timestamptz` as node-postgres gives it (a `Date`, the same milliseconds), read without its regular
 * expressions for the form a UTC session sends (`2026-12-06 21:09:13.123456+00`, years 1000–9999): a
 * list's rows carry two or more each, and postgres-date's three regular expressions per value were the
 * largest item of pg's row parsing (decision 0073). Anything else (another zone's offset, BC, infinity, a
 * year of another width, another DateStyle) goes to postgres-date. The milliseconds are computed as
 * postgres-date computes them (1000 × the fraction as a double, truncated by `Date.UTC`), so any
 * rounding of the fraction through a double is the same in both.
 */
export function parseTimestamptz(value: string): Date | number | null {
  const length = value.length;
  if (
    length < 22 || length > 29 || value.charCodeAt(4) !== 45 /* - */ || value.charCodeAt(7) !== 45 || value.charCodeAt(10) !== 32 /* space */ ||
    value.charCodeAt(13) !== 58 /* : */ || value.charCodeAt(16) !== 58 || !value.endsWith('+00') || value.charCodeAt(0) === zero
  ) {
    return parseAnyTimestamptz(value);
  }
  const fractionEnd = length - 3;
  let milliseconds = 0;
  if (fractionEnd > 19) {
    if (value.charCodeAt(19) !== 46 /* . */) return parseAnyTimestamptz(value);
    // digits / 10^n is the double nearest the fraction, as parseFloat's is: both are correctly rounded.
    milliseconds = 1000 * (digitsAt(value, 20, fractionEnd) / 10 ** (fractionEnd - 20));
  }
  return new Date(
    Date.UTC(digitsAt(value, 0, 4), digitsAt(value, 5, 7) - 1, digitsAt(value, 8, 10), digitsAt(value, 11, 13), digitsAt(value, 14, 16), digitsAt(value, 17, 19), milliseconds),
  );
}
