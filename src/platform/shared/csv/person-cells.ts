/**
 * The cells that name a person in an import (a CSV line or a JSON row): batch enrollment and roster
 * members check them alike, so an address one accepts the other accepts too.
 */
export const personCellLimits: Readonly<Record<string, number>> = { first_name: 100, last_name: 100, email: 320, company: 200 };

/**
 * As loose as the account code's check (and 320 characters, as there), so every address an account
 * was made with can be given, and matched, wherever a person is named.
 */
export const emailPattern = '^[^@\\s]+@[^@\\s]+$';
const emailShape = new RegExp(emailPattern);
// eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
const controlCharacter = /[\u0000-\u001f\u007f]/;

/**
 * Why a cell's value (trimmed, not empty) cannot stand in its column, or null. Any column: no control
 * characters; a person's columns: their length limit; `email`: the shape of an address.
 */
export function personCellProblem(column: string, value: string): string | null {
  if (controlCharacter.test(value)) return `${column} contains a control character`;
  const limit = personCellLimits[column];
  if (limit !== undefined && value.length > limit) return `${column} is longer than ${limit} characters`;
  if (column === 'email' && !emailShape.test(value)) return `email "${value}" is not an e-mail address`;
  return null;
}
