import { stringify } from 'csv-stringify/sync';

/**
 * Rows as CSV (RFC 4180, CRLF, a header line), columns in the order given. A text cell that a spreadsheet
 * would run as a formula (=, +, -, @ first) is written with a leading apostrophe; numbers stay numbers.
 */
export function toCsv(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  const cell = (value: unknown) => {
    if (value === null || value === undefined) return '';
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(value)) return `'${value}`;
    return value as string | number | boolean;
  };
  return stringify(rows.map((row) => columns.map((column) => cell(row[column]))), { header: true, columns: [...columns], record_delimiter: '\r\n' });
}

/** Whether the client asked for CSV (`Accept: text/csv`) rather than JSON. */
export function acceptsCsv(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => part.trim().toLowerCase().startsWith('text/csv'));
}
