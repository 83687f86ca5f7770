import { CsvError, parse } from 'csv-parse/sync';
import { AppError } from '../../../errors.js';

/** One data line of an uploaded CSV: its values by header name, or why the line cannot be read. */
export type CsvRecord =
  | { line: number; values: Record<string, string> }
  | { line: number; error: string };

export interface CsvShape {
  /** Header names (compared without case or surrounding spaces) every file must have. */
  required: readonly string[];
  optional?: readonly string[];
  /** More data lines than this are refused whole. */
  maxRows: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new AppError('UNSUPPORTED_ENCODING', 'the file is not UTF-8 text: save it as "CSV UTF-8" and upload it again', { field: 'file' });
  }
}

/** The parser tells the line a record ends on; a quoted field may span lines, and people look for the first. */
function startLineOf(record: string[], endLine: number): number {
  const breaksInside = record.reduce((count, field) => count + (field.match(/\r\n|\n|\r/g)?.length ?? 0), 0);
  return endLine - breaksInside;
}

/**
 * Reads a CSV upload with a header line. The file as a whole is refused (nothing is imported) when it
 * is not UTF-8, not CSV, lacks a required column or is too long; a line with the wrong number of
 * fields becomes that line's own error, so the caller can report it beside the lines that worked.
 */
export function readCsvRecords(bytes: Uint8Array, shape: CsvShape): { columns: string[]; records: CsvRecord[] } {
  const text = decodeUtf8(bytes);
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(text, { bom: true, record_delimiter: ['\r\n', '\n', '\r'], trim: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as typeof rows;
  } catch (error) {
    if (error instanceof CsvError) throw new AppError('INVALID_CSV', `the file is not valid CSV: ${error.message}`, { field: 'file' });
    throw error;
  }
  const [header, ...data] = rows;
  if (!header) throw new AppError('INVALID_CSV', 'the file is empty: the first line must name the columns', { field: 'file' });
  const columns = header.record.map((name) => name.toLowerCase());
  const missing = shape.required.filter((name) => !columns.includes(name));
  if (missing.length > 0) {
    throw new AppError('INVALID_CSV', `the header lacks the column(s) ${missing.join(', ')}`, { field: 'file', missing });
  }
  const known = new Set([...shape.required, ...(shape.optional ?? [])]);
  const unknown = columns.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new AppError('INVALID_CSV', `unknown column(s) ${unknown.join(', ')}; expected ${[...known].join(', ')}`, { field: 'file', unknown });
  }
  if (data.length > shape.maxRows) {
    throw new AppError('PAYLOAD_TOO_LARGE', `the file has ${data.length} rows; at most ${shape.maxRows} are taken at once`, { field: 'file' });
  }
  const records = data.map(({ record, info }): CsvRecord => {
    const line = startLineOf(record, info.lines);
    if (record.length !== columns.length) {
      return { line, error: `line ${line} has ${record.length} fields; the header has ${columns.length}` };
    }
    return { line, values: Object.fromEntries(columns.map((name, index) => [name, record[index] as string])) };
  });
  return { columns, records };
}
