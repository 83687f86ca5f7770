import type { Actor } from '../../platform/db/actor.js';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { findInstructorRequirements, type InstructorRequirements, type RequirementValues, saveInstructorRequirements } from './instructor-requirements.repository.js';

export interface InstructorRequirementsDeps {
  db: Db;
}

export async function readInstructorRequirements(deps: InstructorRequirementsDeps, actor: Actor, courseId: string): Promise<InstructorRequirements> {
  return deps.db.withActor(actor, async (tx) => {
    const found = await findInstructorRequirements(tx, courseId);
    if (!found) throw new AppError('NOT_FOUND', `no course with id ${courseId}`, { field: 'params.id' });
    return found;
  });
}

/**
 * Replaces what the course asks of its instructors, at the version read. Administrators only (row-level
 * security: 403 for others); an id naming no requirement or course is 422 (the table's reference trigger).
 * Sessions already assigned are not refused after the fact: the dashboard, the doctor and the notice job
 * flag those whose instructor no longer meets the rule.
 */
export async function saveRequirements(
  deps: InstructorRequirementsDeps, actor: Actor, courseId: string, values: RequirementValues, expectedVersion: number | undefined,
): Promise<InstructorRequirements> {
  return deps.db.withActor(actor, async (tx) => {
    const current = await findInstructorRequirements(tx, courseId);
    if (!current) throw new AppError('NOT_FOUND', `no course with id ${courseId}`, { field: 'params.id' });
    if (current.version !== null && expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new AppError('VERSION_CONFLICT', `the requirements were changed by someone else (version ${current.version}, you sent ${expectedVersion})`, { field: 'body.version', current });
    }
    if (!(await saveInstructorRequirements(tx, courseId, values, current.version))) {
      const now = await findInstructorRequirements(tx, courseId);
      if (now?.version !== current.version) throw new AppError('VERSION_CONFLICT', 'the requirements were changed by someone else', { field: 'body.version', current: now });
      throw new AppError('FORBIDDEN', 'not allowed to change what this course asks of its instructors');
    }
    return (await findInstructorRequirements(tx, courseId)) as InstructorRequirements;
  });
}
