import type { Tx } from '../../platform/db/database.js';

export interface Completion {
  userId: string;
  courseId: string;
  enrollmentId: string;
  completedAt: string;
  eventSeq: string;
}

/**
 * Marks every active requirement that the course fulfils as met for the person: one row per person and
 * requirement (compliance_records_user_requirement_key), so running this again changes nothing. A
 * later completion renews the record; an older one (an event relayed late) or a waiver is left alone.
 */
export async function recordCompletion(tx: Tx, completion: Completion): Promise<number> {
  const { rowCount } = await tx.query(
    `insert into compliance_records (user_id, requirement_id, status, completed_at, expires_at, source_enrollment_id, evidence)
     select $1, r.id, 'MET', $4::timestamptz, $4::timestamptz + make_interval(months => r.validity_months), $3,
            jsonb_build_object('event_seq', $5::bigint, 'course_id', $2::uuid)
       from compliance_requirements r
      where r.course_id = $2 and r.status = 'ACTIVE'
     on conflict (user_id, requirement_id) do update
        set status = 'MET', completed_at = excluded.completed_at, expires_at = excluded.expires_at,
            source_enrollment_id = excluded.source_enrollment_id, evidence = excluded.evidence, updated_at = now()
      where compliance_records.status <> 'WAIVED'
        and (compliance_records.completed_at is null or compliance_records.completed_at < excluded.completed_at)`,
    [completion.userId, completion.courseId, completion.enrollmentId, completion.completedAt, completion.eventSeq],
  );
  return rowCount;
}

/**
 * Sets these people's compliance score and status from their records (migration 0024, decision 0021)
 * and returns how many profiles changed; a profile whose values already agree is not written.
 * Call it in the transaction that changed their records, so the score commits with them.
 */
export async function recomputeComplianceScores(tx: Tx, userIds: readonly string[]): Promise<number> {
  const { rows: [result] } = await tx.query<{ changed: number }>(
    'select recompute_compliance_scores($1::uuid[]) as changed', [userIds],
  );
  return result?.changed ?? 0;
}
