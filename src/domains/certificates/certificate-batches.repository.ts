import type { Queryable, Tx } from '../../platform/db/database.js';
import type { TableSpec } from '../../platform/shared/crud/crud.repository.js';
import type { CertificateSnapshot } from './certificate-snapshot.js';

export const batchStatuses = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED'] as const;
export const batchOutcomes = ['ISSUED', 'ALREADY_ISSUED', 'NOT_ELIGIBLE'] as const;
export type BatchOutcome = (typeof batchOutcomes)[number];

export const certificateBatchesTable: TableSpec = {
  table: 'certificate_batches',
  readFrom: 'certificate_batches',
  columns: ['id', 'roster_id', 'session_id', 'template_id', 'template_version_id', 'requested_by', 'status', 'total_count', 'processed_count',
    'failed_count', 'started_at', 'finished_at', 'last_error', 'created_at', 'updated_at', 'version'],
  filterable: ['roster_id', 'session_id', 'status'],
  sortable: ['created_at'],
  versioned: true,
};

/** A roster or session as the requester sees it (null: not theirs to see), with what a batch needs of it. */
export async function findBatchSource(tx: Tx, source: { roster_id?: string | undefined; session_id?: string | undefined }) {
  const { rows } = source.roster_id === undefined
    ? await tx.query<{ course_id: string; status: string; learners: number }>(
      `select s.course_id, s.status, (select count(*)::integer from session_enrollments e where e.session_id = s.id and e.status = 'ENROLLED') as learners
         from training_sessions s where s.id = $1`, [source.session_id])
    : await tx.query<{ course_id: string; status: string; learners: number }>(
      `select r.course_id, r.status, (select count(*)::integer from student_roster_members m where m.roster_id = r.id) as learners
         from rosters r where r.id = $1`, [source.roster_id]);
  return rows[0] ?? null;
}

export interface NewBatch {
  id: string;
  roster_id: string | null;
  session_id: string | null;
  template_id: string;
  template_version_id: string;
  requested_by: string | null;
  total_count: number;
  verification_base_url: string;
}

/** As the requester: the insert policies decide (403 otherwise); a trigger queues the first chunk (migration 0033). */
export async function insertBatch(tx: Tx, batch: NewBatch): Promise<void> {
  await tx.query(
    `insert into certificate_batches (id, roster_id, session_id, template_id, template_version_id, requested_by, total_count, verification_base_url)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [batch.id, batch.roster_id, batch.session_id, batch.template_id, batch.template_version_id, batch.requested_by, batch.total_count, batch.verification_base_url],
  );
}

export interface LockedBatch {
  id: string;
  roster_id: string | null;
  session_id: string | null;
  template_version_id: string;
  requested_by: string | null;
  status: (typeof batchStatuses)[number];
  verification_base_url: string;
  version: number;
}

/** The batch locked for one chunk (the job, as the owner): two runs of its jobs take turns. */
export async function lockBatch(tx: Tx, id: string): Promise<LockedBatch | null> {
  const { rows } = await tx.query<LockedBatch>(
    `select id, roster_id, session_id, template_version_id, requested_by, status, verification_base_url, version
       from certificate_batches where id = $1 for update`,
    [id],
  );
  return rows[0] ?? null;
}

/**
 * The batch's learners, fixed when its first chunk runs: a roster's lines, or a session's ENROLLED
 * enrollments, in a stable order. One statement for the whole batch.
 */
export async function insertPendingResults(tx: Tx, batch: LockedBatch): Promise<number> {
  const { rowCount } = batch.roster_id !== null
    ? await tx.query(
      `insert into certificate_batch_results (batch_id, position, roster_member_id)
       select $1, row_number() over (order by m.created_at, m.id), m.id from student_roster_members m where m.roster_id = $2`,
      [batch.id, batch.roster_id])
    : await tx.query(
      `insert into certificate_batch_results (batch_id, position, enrollment_id)
       select $1, row_number() over (order by e.created_at, e.id), e.id from session_enrollments e where e.session_id = $2 and e.status = 'ENROLLED'`,
      [batch.id, batch.session_id]);
  await tx.query(`update certificate_batches set status = 'RUNNING', started_at = now(), total_count = $2 where id = $1`, [batch.id, rowCount]);
  return rowCount;
}

/**
 * Issues the next `codes.length` pending learners of the batch in one statement (issue_certificates,
 * migration 0033) and records each one's result. A learner whose certificate a concurrent issuer made
 * while this statement waited is ALREADY_ISSUED; its certificate is looked up by the next statement,
 * whose snapshot sees that commit.
 */
export async function issueNextChunk(tx: Tx, batch: LockedBatch, codes: readonly string[]): Promise<void> {
  await tx.query(
    `with chunk as (
       select position, enrollment_id, roster_member_id from certificate_batch_results
        where batch_id = $1 and outcome is null order by position limit $2
     ), issued as (
       select i.* from issue_certificates(
         (select coalesce(array_agg(enrollment_id) filter (where enrollment_id is not null), '{}') from chunk),
         (select coalesce(array_agg(roster_member_id) filter (where roster_member_id is not null), '{}') from chunk),
         $3::text[], $4, $5, $6, $1) i
     )
     update certificate_batch_results r
        set outcome = i.outcome, reason = i.reason, certificate_id = i.certificate_id, processed_at = now()
       from chunk c join issued i on coalesce(i.enrollment_id, i.roster_member_id) = coalesce(c.enrollment_id, c.roster_member_id)
      where r.batch_id = $1 and r.position = c.position`,
    [batch.id, codes.length, codes, batch.verification_base_url, batch.template_version_id, batch.requested_by],
  );
  await tx.query(
    `update certificate_batch_results
        set certificate_id = live_certificate_of(enrollment_id, roster_member_id)
      where batch_id = $1 and outcome = 'ALREADY_ISSUED' and certificate_id is null`,
    [batch.id],
  );
}

/** Progress from the results themselves; COMPLETED when none is pending. Returns how many are pending. */
export async function recordProgress(tx: Tx, batchId: string): Promise<number> {
  const { rows } = await tx.query<{ pending: number }>(
    `with counted as (
       select count(*) filter (where outcome is not null)::integer as processed,
              count(*) filter (where outcome = 'NOT_ELIGIBLE')::integer as failed,
              count(*) filter (where outcome is null)::integer as pending
         from certificate_batch_results where batch_id = $1
     )
     update certificate_batches b
        set processed_count = counted.processed, failed_count = counted.failed,
            status = case when counted.pending = 0 then 'COMPLETED' else 'RUNNING' end,
            finished_at = case when counted.pending = 0 then now() end
       from counted where b.id = $1
     returning counted.pending`,
    [batchId],
  );
  return rows[0]?.pending ?? 0;
}

/** A batch whose chunk job died: FAILED with the job's last error, as it stands (its results so far stay). */
export async function markBatchFailed(tx: Tx, batchId: string, error: string): Promise<void> {
  await tx.query(
    `update certificate_batches set status = 'FAILED', last_error = $2, finished_at = now()
      where id = $1 and status in ('PENDING', 'RUNNING')`,
    [batchId, error],
  );
}

export interface BatchResultRow {
  position: number;
  enrollment_id: string | null;
  roster_member_id: string | null;
  outcome: BatchOutcome | null;
  reason: string | null;
  certificate_id: string | null;
  processed_at: Date | null;
}

/** Results after `afterPosition`, in order (row-level security: who sees the batch). */
export async function listBatchResults(tx: Tx, batchId: string, query: { afterPosition: number; limit: number; outcome?: BatchOutcome | undefined }): Promise<BatchResultRow[]> {
  const { rows } = await tx.query<BatchResultRow>(
    `select position, enrollment_id, roster_member_id, outcome, reason, certificate_id, processed_at
       from certificate_batch_results
      where batch_id = $1 and position > $2 and ($4::text is null or outcome = $4)
      order by position limit $3`,
    [batchId, query.afterPosition, query.limit, query.outcome ?? null],
  );
  return rows;
}

export interface BatchCertificate {
  id: string;
  verification_code: string;
  snapshot: CertificateSnapshot;
  template_version_id: string | null;
  issue_date: string;
}

/** One page of a batch's live certificates, by id, as the reader sees them. */
export async function batchCertificatesAfter(db: Queryable, batchId: string, afterId: string | null, limit: number): Promise<BatchCertificate[]> {
  const { rows } = await db.query<BatchCertificate>(
    `select id, verification_code, snapshot, template_version_id, issue_date::text
       from certificates
      where batch_id = $1 and status <> 'REVOKED' and snapshot is not null and ($2::uuid is null or id > $2)
      order by id limit $3`,
    [batchId, afterId, limit],
  );
  return rows;
}
