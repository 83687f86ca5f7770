import { AppError } from '../../../errors.js';

/** Where a keyset page ends: the sort column's value and the id of the last row. */
export interface Cursor {
  sort: string;
  value: unknown;
  id: string;
}

/** Opaque to clients: base64url JSON, so a cursor can carry any sort value (text, date, number). */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.value, cursor.id])).toString('base64url');
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(encoded: string, expectedSort: string): Cursor {
  const invalid = () => new AppError('VALIDATION_FAILED', 'cursor is not one this API returned for this sort order', { field: 'querystring.cursor' });
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(decoded) || decoded.length !== 3) throw invalid();
  const [sort, value, id] = decoded as unknown[];
  if (sort !== expectedSort || typeof id !== 'string' || !uuidPattern.test(id)) throw invalid();
  const scalar = (part: unknown) => part === null || ['string', 'number', 'boolean'].includes(typeof part);
  // A pair of texts when the sort has a second column (TableSpec.sortThen).
  if (!(scalar(value) || (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')))) throw invalid();
  return { sort, value, id };
}

/** PostgreSQL's text of a timestamptz, as lists carry it in cursors: 2026-11-23 14:31:49.123456+00. */
export const timestampCursorText = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;
/** PostgreSQL's text of a date and of a time of day, as a cursor carries them. */
export const dateCursorText = /^\d{4}-\d{2}-\d{2}$/;
export const timeCursorText = /^\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;
