import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { answerTextOfTimestamptz, parseTimestamptz } from './timestamptz-parser.js';

// No database: the parser is compared with node-postgres's own (postgres-date) on the same text.
const parseAsNodePostgres = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text') as (value: string) => unknown;
const valueOf = (parsed: unknown) => (parsed instanceof Date ? parsed.getTime() : parsed);

/** The text a UTC session sends for any instant from `earliest` to the end of 9999, its fraction of zero to six digits (trailing zeros dropped, as PostgreSQL does). */
const utcTextFrom = (earliest: string) =>
  fc
    .tuple(fc.date({ min: new Date(earliest), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 6 }))
    .map(([date, micros, digits]) => {
      const iso = date.toISOString();
      const fraction = String(micros).padStart(6, '0').slice(0, digits).replace(/0+$/, '');
      return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === '' ? '' : `.${fraction}`}+00`;
    });

describe('parseTimestamptz', () => {
  it('gives the milliseconds node-postgres gives for every UTC value PostgreSQL sends, whatever the fraction', () => {
    fc.assert(
      fc.property(utcTextFrom('1000-01-01T00:00:00Z'), (text) => {
        expect(valueOf(parseTimestamptz(text))).toBe(valueOf(parseAsNodePostgres(text)));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    '2026-12-06 21:09:13.289+00',
    '2026-12-06 21:09:13+00',
    '2026-12-06 21:09:13.5+01',
    '2026-12-06 21:09:13.123456-03:30',
    '0099-06-01 12:00:00+00',
    '0500-06-01 12:00:00+00',
    '2000-01-01 00:00:00+00 BC',
    '12026-01-01 00:00:00+00',
    'infinity',
    '-infinity',
  ])('reads %s as node-postgres does', (text) => {
    expect(valueOf(parseTimestamptz(text))).toEqual(valueOf(parseAsNodePostgres(text)));
  });
});

describe('answerTextOfTimestamptz', () => {
  // The text the response serializer writes for a value (fast-json-stringify's date-time: a Date's ISO text).
  const serializer = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

  it('gives the text the serializer writes of node-postgres\'s Date, for every UTC value and fraction', () => {
    fc.assert(
      fc.property(utcTextFrom('0001-01-01T00:00:00Z'), (text) => {
        expect(serializer(answerTextOfTimestamptz(text))).toBe(serializer(parseAsNodePostgres(text)));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    '2026-12-06 21:09:13.289+00',
    '2026-12-06 21:09:13.999999+00',
    '2026-12-06 21:09:13.000001+00',
    '2026-12-06 21:09:13.5+00',
    '2026-12-06 21:09:13.05+00',
    '2026-12-06 21:09:13+00',
    '2026-12-06 21:09:13.5+01',
    '2026-12-06 21:09:13.123456-03:30',
    '0099-06-01 12:00:00+00',
    '2000-01-01 00:00:00+00 BC',
    '12026-01-01 00:00:00+00',
    'infinity',
    '-infinity',
  ])('answers %s as the serializer writes node-postgres\'s value', (text) => {
    expect(serializer(answerTextOfTimestamptz(text))).toEqual(serializer(parseAsNodePostgres(text)));
  });
});
