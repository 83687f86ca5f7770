import type { Tx } from '../../platform/db/database.js';
import type { MatrixQuery, MatrixRow, RecordQuery, RecordSchema } from './compliance.schemas.js';

const recordColumns = `c.id, c.user_id, c.requirement_id, r.code as requirement_code, c.status,
  compliance_record_state(c.status, c.expires_at, r.renewal_window_days, r.grace_days, $1) as state,
  c.completed_at, c.expires_at, c.expires_at - make_interval(days => r.renewal_window_days) as renewal_opens_at,
  c.expires_at + make_interval(days => r.grace_days) as overdue_at, c.waiver_reason, c.updated_at, c.version`;

/**
 * Records with where each stands at `asOf`, by person and requirement code. No scope condition: row-level
 * security (migration 0009) gives SA and AD all, an AP its affiliated people's, everyone else their own.
 */
export async function selectRecords(tx: Tx, query: RecordQuery & { limit: number }, asOf: Date): Promise<RecordSchema[]> {
  const { rows } = await tx.query<RecordSchema>(
    `select * from (
       select ${recordColumns}
         from compliance_records c join compliance_requirements r on r.id = c.requirement_id
        where ($2::uuid is null or c.user_id = $2) and ($3::uuid is null or c.requirement_id = $3)
     ) records
      where $4::text is null or state = $4
      order by user_id, requirement_code
      limit $5`,
    [asOf, query.user_id ?? null, query.requirement_id ?? null, query.state ?? null, query.limit],
  );
  return rows;
}

export async function selectRecord(tx: Tx, userId: string, requirementId: string, asOf: Date): Promise<RecordSchema | undefined> {
  const { rows } = await tx.query<RecordSchema>(
    `select ${recordColumns} from compliance_records c join compliance_requirements r on r.id = c.requirement_id
      where c.user_id = $2 and c.requirement_id = $3`,
    [asOf, userId, requirementId],
  );
  return rows[0];
}

export interface RecordWrite {
  userId: string;
  requirementId: string;
  status: 'MET' | 'PENDING' | 'WAIVED';
  completedAt: string | null;
  /** undefined: MET takes completed_at plus the requirement's validity, WAIVED never ends. */
  expiresAt: string | null | undefined;
  waiverReason: string | null;
  version: number | null;
}

/**
 * Sets the one record of this person and requirement (compliance_records_user_requirement_key): an
 * insert, or an update when `version` is null or still current. Returns whether a row was written; a
 * stale version writes nothing. A MET record's default expiry follows the requirement's validity.
 */
export async function upsertRecord(tx: Tx, write: RecordWrite): Promise<boolean> {
  const { rowCount } = await tx.query(
    `insert into compliance_records (user_id, requirement_id, status, completed_at, expires_at, waiver_reason)
     select $1, r.id, $3, $4::timestamptz,
            case when $7::boolean then $5::timestamptz
                 when $3 = 'MET' then $4::timestamptz + make_interval(months => r.validity_months) end,
            $6
       from compliance_requirements r where r.id = $2
     on conflict (user_id, requirement_id) do update
        set status = excluded.status, completed_at = excluded.completed_at, expires_at = excluded.expires_at,
            waiver_reason = excluded.waiver_reason, updated_at = now()
      where $8::integer is null or compliance_records.version = $8`,
    [
      write.userId, write.requirementId, write.status, write.completedAt, write.expiresAt ?? null, write.waiverReason,
      write.expiresAt !== undefined, write.version,
    ],
  );
  return rowCount > 0;
}

/**
 * One row per person and ACTIVE requirement they owe (decision 0021's "owed"), with where the record
 * stands at `asOf`. Scope: SA and AD everyone; an AP the people affiliated with its providers; anyone
 * else themselves. Row-level security on profiles and records applies as well; the condition here keeps
 * an instructor from listing the students whose profiles they may read.
 */
export async function selectMatrix(tx: Tx, query: MatrixQuery & { limit: number }, asOf: Date): Promise<MatrixRow[]> {
  const { rows } = await tx.query<MatrixRow>(
    `select * from (
       select pr.provider_id, ap.name as provider_name, p.user_id, p.first_name, p.last_name, p.role, p.compliance_tier,
              p.compliance_status, r.id as requirement_id, r.code as requirement_code,
              compliance_record_state(c.status, c.expires_at, r.renewal_window_days, r.grace_days, $1) as state, c.expires_at
         from profiles p
         join compliance_requirements r
           on r.status = 'ACTIVE' and p.role = any (r.applies_to_roles) and (r.tier = 'basic' or p.compliance_tier = 'robust')
         left join compliance_records c on c.user_id = p.user_id and c.requirement_id = r.id
         -- A person's provider: the one of their instructor profile, else of a membership (one of them, when several).
         left join lateral (
           select coalesce((select ip.provider_id from instructor_profiles ip where ip.user_id = p.user_id),
                           (select min(pm.provider_id::text)::uuid from provider_members pm where pm.user_id = p.user_id)) as provider_id
         ) pr on true
         left join authorized_providers ap on ap.id = pr.provider_id
        where (app_is_admin()
               or (app_role() = 'AP' and app_provider_affiliates_user(p.user_id, (select app_provider_ids())))
               or p.user_id = app_user_id())
          and ($2::uuid is null or pr.provider_id = $2) and ($3::uuid is null or r.id = $3) and ($4::text is null or p.compliance_tier = $4)
     ) matrix
      where $5::text is null or state = $5
      order by provider_name nulls last, last_name, first_name, user_id, requirement_code
      limit $6`,
    [asOf, query.provider_id ?? null, query.requirement_id ?? null, query.tier ?? null, query.state ?? null, query.limit],
  );
  return rows;
}
