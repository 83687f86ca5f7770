import type { Actor } from '../../platform/db/actor.js';
import type { Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import {
  appendCompletionEvents,
  type EnrollmentRow,
  lockEnrollments,
  lockSessionForResults,
  type ResultChange,
  selectEnrollment,
  selectEnrollments,
  updateResults,
} from './enrollments.repository.js';
import { resultFieldNames } from './enrollments.schemas.js';
import type { EnrollmentsDeps } from './enrollments.service.js';

export type { ResultChange } from './enrollments.repository.js';

type Recorded = { kind: 'recorded'; rows: EnrollmentRow[] } | { kind: 'stale'; current: EnrollmentRow[] };

const changesResults = (change: ResultChange) => resultFieldNames.some((field) => change[field] !== undefined);

/**
 * Attendance and results, one enrollment or a session's worth, in the caller's transaction: either
 * every change applies or none does. Authority stays with the database (update policies, the column
 * guard that leaves a student only cancelling); this adds what it cannot say: versions, and that only
 * ENROLLED students take results. `enrollment.completed` is appended once, when a row becomes COMPLETED.
 */
async function recordResults(tx: Tx, changes: readonly ResultChange[], sessionId: string | null, sessionStatus: string | null): Promise<Recorded> {
  const ids = changes.map((change) => change.enrollment_id);
  const changeOf = new Map(changes.map((change) => [change.enrollment_id, change]));
  await lockEnrollments(tx, ids);
  const before = new Map((await selectEnrollments(tx, ids, sessionId)).map((row) => [row.id, row]));
  const unknown = ids.filter((id) => !before.has(id));
  if (unknown.length > 0) {
    throw new AppError('INVALID_REFERENCE', `no enrollment of this session with the id(s) ${unknown.join(', ')}`, { field: 'body.results', enrollment_ids: unknown });
  }
  const updated = await updateResults(tx, changes, sessionId);
  if (updated.length < changes.length) {
    const changed = new Set(updated.map((row) => row.id));
    const current = await selectEnrollments(tx, ids.filter((id) => !changed.has(id)), sessionId);
    const stale = current.filter((row) => changeOf.get(row.id)?.version !== row.version);
    if (stale.length > 0) return { kind: 'stale', current: stale };
    throw new AppError('FORBIDDEN', 'not allowed to change this enrollment');
  }
  // Checked after the update on purpose: a caller who may not change the row at all hears 403 first.
  // The versions matched, so each row's status is the one it had when the client read it.
  if (sessionStatus === 'CANCELLED' && changes.some(changesResults)) {
    throw new AppError('INVALID_TRANSITION', 'the session is cancelled and takes no attendance or results', { field: 'status', session_status: sessionStatus });
  }
  const notEnrolled = updated.filter((row) => row.status !== 'ENROLLED' && changesResults(changeOf.get(row.id)!));
  if (notEnrolled.length > 0) {
    throw new AppError('INVALID_TRANSITION', 'only ENROLLED students take attendance and results', {
      field: 'status',
      not_enrolled: notEnrolled.map((row) => ({ enrollment_id: row.id, status: row.status })),
    });
  }
  const completed = updated.filter((row) => row.completion_status === 'COMPLETED' && before.get(row.id)?.completion_status !== 'COMPLETED');
  await appendCompletionEvents(tx, completed.map((row) => row.id));
  const byId = new Map(updated.map((row) => [row.id, row]));
  return { kind: 'recorded', rows: ids.map((id) => byId.get(id)!) };
}

/** PATCH of one enrollment's attendance and results, against the version the client read. */
export async function changeEnrollment(
  deps: EnrollmentsDeps,
  actor: Actor,
  enrollmentId: string,
  version: number,
  fields: Omit<ResultChange, 'enrollment_id' | 'version'>,
): Promise<EnrollmentRow> {
  return deps.db.withActor(actor, async (tx) => {
    const current = await selectEnrollment(tx, enrollmentId);
    if (!current) throw new AppError('NOT_FOUND', `no enrollment with id ${enrollmentId}`, { field: 'params.id' });
    // An enrollment never moves to another session, so the session read unlocked is the one to lock.
    const sessionStatus = await lockSessionForResults(tx, current.session_id);
    const recorded = await recordResults(tx, [{ ...fields, enrollment_id: enrollmentId, version }], null, sessionStatus);
    if (recorded.kind === 'stale') {
      const [row] = recorded.current as [EnrollmentRow];
      throw new AppError('VERSION_CONFLICT', `the enrollment was changed by someone else (version ${row.version}, you sent ${version})`, {
        field: 'body.version',
        current: row,
      });
    }
    return recorded.rows[0] as EnrollmentRow;
  });
}

/** Results for many enrollments of one session in one transaction: one stale version and nothing is written. */
export async function recordSessionResults(
  deps: EnrollmentsDeps,
  actor: Actor,
  sessionId: string,
  changes: readonly ResultChange[],
): Promise<{ session_id: string; items: EnrollmentRow[] }> {
  const seen = new Set<string>();
  changes.forEach((change, index) => {
    if (seen.has(change.enrollment_id)) {
      throw new AppError('VALIDATION_FAILED', 'each enrollment may appear once', { field: `body.results.${index}.enrollment_id` });
    }
    seen.add(change.enrollment_id);
  });
  return deps.db.withActor(actor, async (tx) => {
    const sessionStatus = await lockSessionForResults(tx, sessionId);
    if (sessionStatus === null) throw new AppError('NOT_FOUND', `no session with id ${sessionId}`, { field: 'params.id' });
    const recorded = await recordResults(tx, changes, sessionId, sessionStatus);
    if (recorded.kind === 'stale') {
      throw new AppError('VERSION_CONFLICT', `${recorded.current.length} enrollment(s) were changed by someone else; nothing was recorded`, {
        field: 'body.results',
        conflicts: recorded.current,
      });
    }
    return { session_id: sessionId, items: recorded.rows };
  });
}
