import type { Tx } from '../../platform/db/database.js';

export interface InstructorRequirements {
  course_id: string;
  minimum_tier: 'IC' | 'IP' | null;
  compliance_requirement_ids: string[];
  certificate_course_ids: string[];
  version: number | null;
}

export type RequirementValues = Omit<InstructorRequirements, 'course_id' | 'version'>;

/** The course's requirements as the caller sees the course (none asked: empty); null when the course is not theirs to see. */
export async function findInstructorRequirements(tx: Tx, courseId: string): Promise<InstructorRequirements | null> {
  const { rows } = await tx.query<InstructorRequirements>(
    `select c.id as course_id, q.minimum_tier, coalesce(q.compliance_requirement_ids, '{}') as compliance_requirement_ids,
            coalesce(q.certificate_course_ids, '{}') as certificate_course_ids, q.version
       from courses c left join course_instructor_requirements q on q.course_id = c.id
      where c.id = $1`,
    [courseId],
  );
  return rows[0] ?? null;
}

/** Saves them at the version read (null: first save). Returns whether a row was written. */
export async function saveInstructorRequirements(tx: Tx, courseId: string, values: RequirementValues, expectedVersion: number | null): Promise<boolean> {
  const params = [courseId, values.minimum_tier, values.compliance_requirement_ids, values.certificate_course_ids];
  const { rowCount } = expectedVersion === null
    ? await tx.query(
      `insert into course_instructor_requirements (course_id, minimum_tier, compliance_requirement_ids, certificate_course_ids)
       values ($1, $2, $3::uuid[], $4::uuid[]) on conflict (course_id) do nothing`,
      params)
    : await tx.query(
      `update course_instructor_requirements set minimum_tier = $2, compliance_requirement_ids = $3::uuid[], certificate_course_ids = $4::uuid[]
        where course_id = $1 and version = $5`,
      [...params, expectedVersion]);
  return rowCount === 1;
}
