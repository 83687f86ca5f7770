import { type FieldCipher, normaliseEmail } from '../../platform/security/field-cipher.js';
import { personCellProblem } from '../../platform/shared/csv/person-cells.js';
import { type MemberResults, memberStatusValues, type SealedPerson } from './roster-members.repository.js';

/** The columns of a roster import file (and the fields of one member added as JSON). */
export const memberImportShape = {
  required: ['first_name', 'last_name'],
  optional: ['email', 'company', 'enrollment_status', 'attendance_status', 'completion_status', 'practical_score', 'written_score'],
  maxRows: 5000,
} as const;

export interface Person {
  first_name: string;
  last_name: string;
  email?: string;
  company?: string;
}

/** One person to put on a roster, from one line of a file (or one request). */
export interface Candidate {
  line: number;
  person: Person;
  results: MemberResults;
}

export type CandidateOrProblem = { line: number; candidate: Candidate } | { line: number; column: string; reason: string };

const allowed: Record<string, readonly string[]> = memberStatusValues;
const scoreShape = /^\d{1,3}(?:\.\d{1,2})?$/;

function problemWith(column: string, value: string): string | null {
  const personProblem = personCellProblem(column, value);
  if (personProblem) return personProblem;
  const choices = allowed[column];
  if (choices && !choices.includes(value)) return `${column} must be one of ${choices.join(', ')}`;
  if (column.endsWith('_score') && !(scoreShape.test(value) && Number(value) <= 100)) {
    return `${column} must be a number from 0 to 100 with at most two decimals`;
  }
  return null;
}

/**
 * Checks one line's values (text, as a CSV gives them): names are required, everything else may be
 * empty, which means "not given". Returns the candidate, or the first problem and its column.
 */
export function candidateOf(line: number, values: Readonly<Record<string, string | undefined>>): CandidateOrProblem {
  const given: Record<string, string> = {};
  for (const column of [...memberImportShape.required, ...memberImportShape.optional]) {
    const value = values[column]?.trim() ?? '';
    // Statuses in either case: the source documents' files have them in lower case.
    const normalised = allowed[column] ? value.toUpperCase() : value;
    if (value === '') {
      if ((memberImportShape.required as readonly string[]).includes(column)) return { line, column, reason: `${column} is required` };
      continue;
    }
    const problem = problemWith(column, normalised);
    if (problem) return { line, column, reason: problem };
    given[column] = normalised;
  }
  const { first_name, last_name, email, company, practical_score, written_score, ...statuses } = given as Record<string, string>;
  const person: Person = { first_name: first_name as string, last_name: last_name as string, ...(email ? { email } : {}), ...(company ? { company } : {}) };
  const results: MemberResults = {
    ...(statuses as Pick<MemberResults, 'enrollment_status' | 'attendance_status' | 'completion_status'>),
    ...(practical_score !== undefined ? { practical_score: Number(practical_score) } : {}),
    ...(written_score !== undefined ? { written_score: Number(written_score) } : {}),
  };
  return { line, candidate: { line, person, results } };
}

/**
 * Who a line is on a roster: the e-mail when it has one (at the roster's provider, one e-mail is one
 * profile), otherwise the name, compared without case.
 */
export function identityOf(person: Pick<Person, 'first_name' | 'last_name' | 'email'>): string {
  return person.email ? `email:${normaliseEmail(person.email)}` : nameKey(person.first_name, person.last_name);
}

export function nameKey(firstName: string, lastName: string): string {
  return `name:${firstName.trim().toLowerCase()}\u0000${lastName.trim().toLowerCase()}`;
}

export function sealPerson(cipher: FieldCipher, person: Person): SealedPerson {
  return {
    first_name: person.first_name,
    last_name: person.last_name,
    email_ciphertext: person.email ? cipher.encrypt(person.email) : null,
    email_hmac: person.email ? cipher.blindIndex(normaliseEmail(person.email)) : null,
    company: person.company ?? null,
  };
}
