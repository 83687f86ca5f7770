import { describe, expect, it } from 'vitest';
import { AppError } from '../../../errors.js';
import { readCsvRecords } from './csv-records.js';

const shape = { required: ['email'], optional: ['first_name', 'last_name'], maxRows: 3 };
const bytes = (text: string) => new TextEncoder().encode(text);

function refusal(input: Uint8Array): AppError {
  try {
    readCsvRecords(input, shape);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

describe('readCsvRecords', () => {
  it('reads values by header name (case and spaces ignored), skips a BOM and blank lines, and keeps line numbers', () => {
    const { columns, records } = readCsvRecords(bytes('\uFEFF Email ,First_Name\r\na@example.test,"Ann\nMarie"\n\nb@example.test,Bo\n'), shape);
    expect(columns).toEqual(['email', 'first_name']);
    expect(records).toEqual([
      { line: 2, values: { email: 'a@example.test', first_name: 'Ann\nMarie' } },
      { line: 5, values: { email: 'b@example.test', first_name: 'Bo' } },
    ]);
  });

  it('makes a line with the wrong number of fields its own error and keeps the others', () => {
    const { records } = readCsvRecords(bytes('email,first_name\na@example.test,Ann,extra\nb@example.test,Bo\n'), shape);
    expect(records).toEqual([
      { line: 2, error: 'line 2 has 3 fields; the header has 2' },
      { line: 3, values: { email: 'b@example.test', first_name: 'Bo' } },
    ]);
  });

  it('refuses the whole file when it is not UTF-8, not CSV, empty, lacks or adds a column, or is too long', () => {
    const latin1 = Uint8Array.from([...bytes('email,first_name\nz@example.test,Ren'), 0xe9, 0x0a]);
    expect(refusal(latin1)).toMatchObject({ code: 'UNSUPPORTED_ENCODING', details: { field: 'file' } });
    expect(refusal(bytes('email\n"unclosed@example.test\n'))).toMatchObject({ code: 'INVALID_CSV' });
    expect(refusal(bytes(''))).toMatchObject({ code: 'INVALID_CSV' });
    expect(refusal(bytes('first_name\nAnn\n'))).toMatchObject({ code: 'INVALID_CSV', details: { missing: ['email'] } });
    expect(refusal(bytes('email,shoe_size\na@example.test,9\n'))).toMatchObject({ code: 'INVALID_CSV', details: { unknown: ['shoe_size'] } });
    expect(refusal(bytes('email\na@x.test\nb@x.test\nc@x.test\nd@x.test\n'))).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});
