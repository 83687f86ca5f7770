import pgTypes from 'pg-types';

/**
 * node-postgres's own parser of `timestamptz` text (postgres-date): every value the fast path below does not take.
 * From pg-types, which is what `pg.types` is: importing pg here made the embedded engine's start load pg, and
 * pg's first load looks for Cloudflare's `Response`, which loads Node's fetch (decision 0096).
 */
const parseAnyTimestamptz = pgTypes.getTypeParser(pgTypes.builtins.TIMESTAMPTZ, 'text') as (value: string) => Date | number | null;

const zero = 48;
const digitsAt = (value: string, start: number, end: number): number => {
  let number = 0;
  for (let index = start; index < end; index++) number = number * 10 + value.charCodeAt(index) - zero;
  return number;
};

/** Whether `value` has the form a UTC session sends, `2026-12-06 21:09:13[.123456]+00`, its year 1000–9999. */
function inUtcForm(value: string): boolean {
  const length = value.length;
  return length >= 22 && length <= 29 && length !== 23 && value.charCodeAt(4) === 45 /* - */ && value.charCodeAt(7) === 45 &&
    value.charCodeAt(10) === 32 /* space */ && value.charCodeAt(13) === 58 /* : */ && value.charCodeAt(16) === 58 && value.endsWith('+00') &&
    value.charCodeAt(0) !== zero && (length === 22 || value.charCodeAt(19) === 46 /* . */);
}

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
  if (!inUtcForm(value)) return parseAnyTimestamptz(value);
  const fractionEnd = value.length - 3;
  let milliseconds = 0;
  if (fractionEnd > 19) {
    // digits / 10^n is the double nearest the fraction, as parseFloat's is: both are correctly rounded.
    milliseconds = 1000 * (digitsAt(value, 20, fractionEnd) / 10 ** (fractionEnd - 20));
  }
  return new Date(
    Date.UTC(digitsAt(value, 0, 4), digitsAt(value, 5, 7) - 1, digitsAt(value, 8, 10), digitsAt(value, 11, 13), digitsAt(value, 14, 16), digitsAt(value, 17, 19), milliseconds),
  );
}

/**
 * A `timestamptz`'s text as an answer writes it: `2026-12-06 21:09:13.123456+00` → `2026-12-06T21:09:13.123Z`,
 * the text the response serializer makes of the Date `parseTimestamptz` gives (its milliseconds are the
 * fraction's first three digits, padded with zeros: checked for every fraction of one to six digits).
 * For rows that go to the answer as they are (decision 0078): no Date is made and formatted back. Any
 * other form goes through `parseTimestamptz`, and its Date (or infinity) is given as it would have been.
 */
export function answerTextOfTimestamptz(value: string): string | Date | number | null {
  if (!inUtcForm(value)) return parseTimestamptz(value);
  const length = value.length;
  const fraction = length === 22 ? '000' : length === 24 ? `${value[20]}00` : length === 25 ? `${value.slice(20, 22)}0` : value.slice(20, 23);
  return `${value.slice(0, 10)}T${value.slice(11, 19)}.${fraction}Z`;
}
