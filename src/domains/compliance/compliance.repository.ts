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
        and (compliance_records.completed_at is null or compliance_records.completed_at < excluded.completed_at)
        -- A certificate issued for this completion governs the record (followCertificate), revoked or not.
        and (compliance_records.evidence ->> 'certificate_id' is null
             or compliance_records.source_enrollment_id is distinct from excluded.source_enrollment_id)`,
    [completion.userId, completion.courseId, completion.enrollmentId, completion.completedAt, completion.eventSeq],
  );
  return rowCount;
}

/**
 * Makes the holder's records of the requirements the certificate's course fulfils follow the certificate
 * as it is now (decision 0056), and returns the holder (null: no account, or no such certificate).
 * ACTIVE or EXPIRED: met from the completion, until the end of the certificate's last valid day (UTC;
 * the requirement's validity when the certificate does not expire). A record met later, from another
 * source, or waived is left alone; a completion at the same moment gives way to the certificate.
 * REVOKED or SUSPENDED: the records it met are PENDING again, and a reinstatement meets them anew.
 * Reading the status rather than the event's makes a rerun or a late event harmless.
 */
export async function followCertificate(tx: Tx, certificateId: string, eventSeq: string): Promise<string | null> {
  const { rows: [certificate] } = await tx.query<{ user_id: string; meets: boolean }>(
    `select user_id, status in ('ACTIVE', 'EXPIRED') as meets from certificates where id = $1 and user_id is not null`,
    [certificateId],
  );
  if (!certificate) return null;
  if (certificate.meets) {
    await tx.query(
      `insert into compliance_records (user_id, requirement_id, status, completed_at, expires_at, source_enrollment_id, evidence)
       select c.user_id, r.id, 'MET', f.completed_at,
              greatest(f.completed_at, coalesce((c.expiry_date + 1)::timestamp at time zone 'UTC',
                                                f.completed_at + make_interval(months => r.validity_months))),
              c.enrollment_id,
              jsonb_build_object('event_seq', $2::bigint, 'course_id', c.course_id, 'certificate_id', c.id)
         from certificates c
              left join session_enrollments e on e.id = c.enrollment_id
              cross join lateral (select coalesce(e.completed_at, c.issue_date::timestamp at time zone 'UTC') as completed_at) f
              join compliance_requirements r on r.course_id = c.course_id and r.status = 'ACTIVE'
        where c.id = $1
       on conflict (user_id, requirement_id) do update
          set status = 'MET', completed_at = excluded.completed_at, expires_at = excluded.expires_at,
              source_enrollment_id = excluded.source_enrollment_id, evidence = excluded.evidence, updated_at = now()
        where compliance_records.status <> 'WAIVED'
          and (compliance_records.evidence ->> 'certificate_id' = $1::text
               or compliance_records.completed_at is null or compliance_records.completed_at <= excluded.completed_at)
          and (compliance_records.status, compliance_records.completed_at, compliance_records.expires_at,
               compliance_records.evidence ->> 'certificate_id', compliance_records.source_enrollment_id)
              is distinct from ('MET', excluded.completed_at, excluded.expires_at, $1::text, excluded.source_enrollment_id)`,
      [certificateId, eventSeq],
    );
  } else {
    await tx.query(
      `update compliance_records
          set status = 'PENDING', completed_at = null, expires_at = null, updated_at = now()
        where user_id = $1 and evidence ->> 'certificate_id' = $2::text and status = 'MET'`,
      [certificate.user_id, certificateId],
    );
  }
  return certificate.user_id;
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
