import type { Actor } from '../../platform/db/actor.js';
import { AppError } from '../../errors.js';
import { type FieldCipher, normaliseEmail } from '../../platform/security/field-cipher.js';
import { readCsvRecords } from '../../platform/shared/csv/csv-records.js';
import { personCellProblem } from '../../platform/shared/csv/person-cells.js';
import { type BatchStudent, type BatchStudentResult, enrollStudents } from './enrollments.repository.js';
import type { EnrollmentsDeps } from './enrollments.service.js';

/** One student of a batch as sent: an account by id, or a person by e-mail (names to create a profile). */
export interface BatchStudentInput {
  student_id?: string | undefined;
  email?: string | undefined;
  first_name?: string | undefined;
  last_name?: string | undefined;
  company?: string | undefined;
}

/** Where a row came from: its 1-based place in a JSON list, or its line in a CSV file (the header is line 1). */
export type RowLabel = { row: number } | { line: number };

type BatchRow = { label: RowLabel; input: BatchStudentInput } | { label: RowLabel; error: string };

export type BatchRowResult = RowLabel & Omit<BatchStudentResult, 'ord' | 'duplicate_of'>;

export interface BatchReport {
  session_id: string;
  counts: { total: number; enrolled: number; waitlisted: number; already_enrolled: number; invalid: number; profiles_created: number };
  results: BatchRowResult[];
}

export const maxBatchRows = 10_000;
export const csvColumns = ['student_id', 'email', 'first_name', 'last_name', 'company'] as const;
const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The row as `enroll_students` takes it, or why it cannot be: checks that need no database. */
function batchStudentOf(ord: number, input: BatchStudentInput, cipher: FieldCipher): BatchStudent | string {
  const values: BatchStudentInput = {};
  for (const field of csvColumns) {
    const value = input[field]?.trim();
    if (!value) continue;
    const problem = personCellProblem(field, value);
    if (problem) return problem;
    values[field] = value;
  }
  const { student_id: studentId, email } = values;
  if (studentId !== undefined && email !== undefined) return 'give student_id or email, not both';
  if (studentId !== undefined) return uuidShape.test(studentId) ? { ord, student_id: studentId.toLowerCase() } : 'student_id is not a UUID';
  if (email === undefined) return 'give student_id or email';
  return {
    ord,
    email_hmac: cipher.blindIndex(normaliseEmail(email)),
    email_ciphertext: cipher.encrypt(email),
    first_name: values.first_name ?? null,
    last_name: values.last_name ?? null,
    company: values.company ?? null,
  };
}

const invalid = (label: RowLabel, reason: string): BatchRowResult => ({
  ...label, outcome: 'INVALID', enrollment_id: null, waitlist_position: null, student_id: null, student_profile_id: null, reason, profile_created: false,
});

const describeLabel = (label: RowLabel) => ('line' in label ? `line ${label.line}` : `row ${label.row}`);

function countsOf(results: readonly BatchRowResult[]): BatchReport['counts'] {
  const count = (outcome: BatchRowResult['outcome']) => results.filter((result) => result.outcome === outcome).length;
  return {
    total: results.length,
    enrolled: count('ENROLLED'),
    waitlisted: count('WAITLISTED'),
    already_enrolled: count('ALREADY_ENROLLED'),
    invalid: count('INVALID'),
    profiles_created: results.filter((result) => result.profile_created).length,
  };
}

/**
 * Enrolls a batch into one session in one transaction and one database call (`enroll_students`),
 * with a result per row in the order sent. Best effort by default: invalid rows are reported, the
 * others enrolled. All or nothing: any invalid row refuses the batch (422 with every row's result, the
 * outcomes the others would have had, and no ids, since nothing was written).
 */
async function enrollRows(deps: EnrollmentsDeps, actor: Actor, sessionId: string, rows: readonly BatchRow[], allOrNothing: boolean, field: string): Promise<BatchReport> {
  const checked = rows.map((row, ord) => ('error' in row ? row.error : batchStudentOf(ord, row.input, deps.cipher)));
  const students = checked.filter((each): each is BatchStudent => typeof each !== 'string');
  return deps.db.withActor(actor, async (tx) => {
    const byOrd = new Map((await enrollStudents(tx, sessionId, students)).map((result) => [result.ord, result]));
    const results = rows.map(({ label }, ord): BatchRowResult => {
      const check = checked[ord];
      if (typeof check === 'string') return invalid(label, check);
      const found = byOrd.get(ord) as BatchStudentResult;
      const duplicate = found.duplicate_of === null ? null : `duplicate of ${describeLabel((rows[found.duplicate_of] as BatchRow).label)}`;
      return {
        ...label,
        outcome: found.outcome,
        enrollment_id: found.enrollment_id,
        waitlist_position: found.waitlist_position,
        student_id: found.student_id,
        student_profile_id: found.student_profile_id,
        reason: found.reason ?? duplicate,
        profile_created: found.profile_created,
      };
    });
    const counts = countsOf(results);
    if (allOrNothing && counts.invalid > 0) {
      const unwritten = results.map((result) => ({ ...result, enrollment_id: null, waitlist_position: null, student_profile_id: null, profile_created: false }));
      throw new AppError('INVALID_ROWS', `${counts.invalid} of ${counts.total} row(s) are invalid; with all_or_nothing nothing was enrolled`, {
        field, counts: countsOf(unwritten), results: unwritten,
      });
    }
    return { session_id: sessionId, counts, results };
  });
}

/** A JSON list of students; `row` in each result is its 1-based place in the list. */
export async function enrollStudentList(
  deps: EnrollmentsDeps, actor: Actor, sessionId: string, students: readonly BatchStudentInput[], allOrNothing: boolean,
): Promise<BatchReport> {
  const rows = students.map((input, index) => ({ label: { row: index + 1 }, input }));
  return enrollRows(deps, actor, sessionId, rows, allOrNothing, 'body.students');
}

/**
 * A CSV file with a header naming student_id or email (or both), and optionally first_name, last_name
 * and company; `line` in each result is the file's line. A line that cannot be read is that line's INVALID.
 */
export async function enrollStudentCsv(deps: EnrollmentsDeps, actor: Actor, sessionId: string, file: Uint8Array, allOrNothing: boolean): Promise<BatchReport> {
  const { columns, records } = readCsvRecords(file, { required: [], optional: csvColumns, maxRows: maxBatchRows });
  if (!columns.includes('student_id') && !columns.includes('email')) {
    throw new AppError('INVALID_CSV', 'the header must name a student_id or an email column', { field: 'file', missing: ['student_id|email'] });
  }
  const rows = records.map((record): BatchRow => ('error' in record ? { label: { line: record.line }, error: record.error } : { label: { line: record.line }, input: record.values }));
  return enrollRows(deps, actor, sessionId, rows, allOrNothing, 'file');
}
