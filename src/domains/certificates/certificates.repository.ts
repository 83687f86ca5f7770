import type { Queryable, Tx } from '../../platform/db/database.js';
import type { TableSpec } from '../../platform/shared/crud/crud.repository.js';
import type { CertificateSnapshot } from './certificate-snapshot.js';

export const certificateStatuses = ['ACTIVE', 'SUSPENDED', 'EXPIRED', 'REVOKED'] as const;
export type CertificateStatus = (typeof certificateStatuses)[number];

export const revocationReasons = ['ISSUED_IN_ERROR', 'SUPERSEDED', 'MISCONDUCT', 'FRAUD', 'HOLDER_REQUEST', 'OTHER'] as const;
export type RevocationReason = (typeof revocationReasons)[number];

export interface CertificateRow {
  id: string;
  user_id: string | null;
  student_profile_id: string | null;
  enrollment_id: string | null;
  roster_member_id: string | null;
  roster_id: string | null;
  session_id: string | null;
  course_id: string;
  location_id: string;
  provider_id: string | null;
  course_name: string;
  recipient_name: string;
  issued_by: string | null;
  template_id: string | null;
  batch_id: string | null;
  issue_date: string;
  expiry_date: string | null;
  /** As of today: an ACTIVE certificate past its expiry date reads EXPIRED (migration 0030). */
  status: CertificateStatus;
  stored_status: CertificateStatus;
  revoked_at: Date | null;
  revoked_reason_code: RevocationReason | null;
  revoked_reason: string | null;
  suspended_at: Date | null;
  suspended_reason: string | null;
  replaces_certificate_id: string | null;
  verification_code: string;
  snapshot: CertificateSnapshot | null;
  pdf_sha256: string | null;
  verification_count: number;
  last_verified_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

/** Reads come from certificate_summaries (status as of today, verification count), under the caller's policies. */
export const certificatesTable: TableSpec = {
  table: 'certificates',
  readFrom: 'certificate_summaries',
  columns: [
    'id', 'user_id', 'student_profile_id', 'enrollment_id', 'roster_member_id', 'roster_id', 'session_id', 'course_id', 'location_id',
    'provider_id', 'course_name', 'recipient_name', 'issued_by', 'template_id', 'batch_id', 'issue_date', 'expiry_date', 'status',
    'stored_status', 'revoked_at', 'revoked_reason_code', 'revoked_reason', 'suspended_at', 'suspended_reason', 'replaces_certificate_id',
    'verification_code', 'snapshot', 'pdf_sha256', 'verification_count', 'last_verified_at', 'created_at', 'updated_at', 'version',
  ],
  filterable: ['status', 'course_id', 'session_id', 'roster_id', 'user_id', 'location_id', 'provider_id', 'batch_id', 'enrollment_id', 'roster_member_id'],
  sortable: ['created_at', 'issue_date'],
  versioned: true,
};

/** What certificate_source_facts (migration 0030) answers about an enrollment or roster line. */
export type SourceFacts =
  | { live_certificate_id: string }
  | { eligible: false; reason: string }
  | {
      eligible: true;
      enrollment_id: string | null;
      roster_member_id: string | null;
      roster_id: string | null;
      session_id: string | null;
      user_id: string | null;
      student_profile_id: string | null;
      course_id: string;
      location_id: string;
      provider_id: string | null;
      recipient_email_ciphertext: string | null;
      issue_date: string;
      expiry_date: string | null;
      printed: CertificateSnapshot['printed'];
    };

export interface CertificateSource {
  enrollment_id?: string | undefined;
  roster_member_id?: string | undefined;
}

export async function sourceFacts(tx: Tx, source: CertificateSource): Promise<SourceFacts> {
  const { rows } = await tx.query<{ facts: SourceFacts }>('select certificate_source_facts($1, $2) as facts', [
    source.enrollment_id ?? null,
    source.roster_member_id ?? null,
  ]);
  return rows[0]!.facts;
}

export async function liveCertificateOf(tx: Tx, source: CertificateSource): Promise<string | null> {
  const { rows } = await tx.query<{ id: string | null }>('select live_certificate_of($1, $2) as id', [source.enrollment_id ?? null, source.roster_member_id ?? null]);
  return rows[0]?.id ?? null;
}

/** What the issuer decides; the printed columns (names, dates, code) come from the snapshot. */
export type NewCertificate = Pick<CertificateRow,
  | 'id' | 'user_id' | 'student_profile_id' | 'enrollment_id' | 'roster_member_id' | 'roster_id' | 'session_id' | 'course_id'
  | 'location_id' | 'provider_id' | 'issued_by' | 'batch_id' | 'replaces_certificate_id'> & {
  recipient_email_ciphertext: string | null;
  snapshot: CertificateSnapshot;
  pdf_sha256: string;
  /** The template version the PDF renders with (migration 0032). */
  template_id: string;
  template_version_id: string;
};

/**
 * Inserts as the caller (the insert policies apply). A live certificate of the same source (a concurrent
 * issuer won) makes it a no-op: returns whether this statement inserted the row.
 */
export async function insertCertificate(tx: Tx, row: NewCertificate): Promise<boolean> {
  const { snapshot } = row;
  const { rowCount } = await tx.query(
    `insert into certificates (id, user_id, student_profile_id, enrollment_id, roster_member_id, roster_id, session_id, course_id, location_id,
                               provider_id, course_name, recipient_name, recipient_email_ciphertext, issued_by, batch_id, issue_date, expiry_date,
                               verification_code, snapshot, pdf_sha256, replaces_certificate_id, template_id, template_version_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19::jsonb, $20, $21, $22, $23)
     on conflict do nothing`,
    [row.id, row.user_id, row.student_profile_id, row.enrollment_id, row.roster_member_id, row.roster_id, row.session_id, row.course_id,
      row.location_id, row.provider_id, snapshot.printed.course_name, snapshot.printed.recipient_name, row.recipient_email_ciphertext,
      row.issued_by, row.batch_id, snapshot.issue_date, snapshot.expiry_date, snapshot.verification_code, JSON.stringify(snapshot),
      row.pdf_sha256, row.replaces_certificate_id, row.template_id, row.template_version_id],
  );
  return rowCount === 1;
}

/** The stored row locked for a status change; FOR UPDATE under the update policies: null when not the caller's to change. */
export async function lockCertificate(tx: Tx, id: string): Promise<(Omit<NewCertificate, 'pdf_sha256' | 'snapshot' | 'template_id' | 'template_version_id'> & {
  status: CertificateStatus; version: number; snapshot: CertificateSnapshot | null; course_name: string; recipient_name: string;
  issue_date: string; expiry_date: string | null; verification_code: string;
}) | null> {
  const { rows } = await tx.query<never>(
    `select id, user_id, student_profile_id, enrollment_id, roster_member_id, roster_id, session_id, course_id, location_id, provider_id,
            recipient_email_ciphertext, issued_by, batch_id, replaces_certificate_id, status, version, snapshot, course_name, recipient_name,
            issue_date::text, expiry_date::text, verification_code
       from certificates where id = $1 for update`,
    [id],
  );
  return rows[0] ?? null;
}

export interface StatusChange {
  status: CertificateStatus;
  revoked_at?: 'now' | null;
  revoked_reason_code?: RevocationReason | null;
  revoked_reason?: string | null;
  suspended_at?: 'now' | null;
  suspended_reason?: string | null;
}

export async function updateStatus(tx: Tx, id: string, change: StatusChange): Promise<void> {
  await tx.query(
    `update certificates
        set status = $2,
            revoked_at = case when $3::boolean then now() end, revoked_reason_code = $4, revoked_reason = $5,
            suspended_at = case when $6::boolean then now() end, suspended_reason = $7
      where id = $1`,
    [id, change.status, change.revoked_at === 'now', change.revoked_reason_code ?? null, change.revoked_reason ?? null,
      change.suspended_at === 'now', change.suspended_reason ?? null],
  );
}

/** Public verification by the stored form of a code (migration 0030's verify_certificate), counted when asked. */
export interface VerifiedCertificate {
  id: string;
  status: CertificateStatus;
  printed: Partial<CertificateSnapshot['printed']> & { recipient_name: string; course_name: string };
  issue_date: string;
  expiry_date: string | null;
  revoked_at: Date | null;
  revoked_reason_code: RevocationReason | null;
  revoked_reason: string | null;
  suspended_at: Date | null;
  suspended_reason: string | null;
  pdf_sha256: string | null;
  replaced_by_code: string | null;
  verification_count: number;
  last_verified_at: Date | null;
}

export async function verifyCertificate(db: Queryable, code: string, count: boolean): Promise<VerifiedCertificate | null> {
  const { rows } = await db.query<VerifiedCertificate>(
    `select id, status, printed, issue_date::text, expiry_date::text, revoked_at, revoked_reason_code, revoked_reason, suspended_at,
            suspended_reason, pdf_sha256, replaced_by_code, verification_count, last_verified_at
       from verify_certificate($1, $2)`,
    [code, count],
  );
  return rows[0] ?? null;
}

/** What a public verification shows of a certificate: timestamps as the answer writes them (ISO text in UTC, to the millisecond). */
export type PublicCertificateFacts = Omit<VerifiedCertificate, 'revoked_at' | 'suspended_at' | 'last_verified_at'> & {
  revoked_at: string | null;
  suspended_at: string | null;
};

/** A public verification as PostgreSQL writes its answer: the text before the count, and the stored count it starts from. */
export interface PublicVerificationAnswer {
  verification_code: string;
  id: string;
  /** The stored count when it was read. */
  verification_count: number;
  /** The answer's JSON text up to its count: VerificationSchema's fields in its order, `"verification_count":` last; the count and `}` end it. */
  before_count: string;
}

/**
 * Verifications not in the cache: the answers of stored codes, uncounted, in one statement; the status as
 * of `asOf` (a UTC day).
 *
 * PostgreSQL writes each answer's JSON (decision 0077), so that the process neither parses the snapshot
 * nor serialises the answer: verify_certificate_public (migration 0097) returns the text whole, exactly
 * VerificationSchema's fields, in its order and as compactly as the route's serializer writes them, and so
 * exactly the printed facts the schema names (never the e-mail or a fact a snapshot holds and the
 * certificate does not print; decision 0108). A test holds the text to that serializer byte for byte.
 */
export async function publicVerificationAnswers(db: Queryable, codes: readonly string[], asOf: string): Promise<PublicVerificationAnswer[]> {
  const { rows } = await db.query<PublicVerificationAnswer>(
    'select verification_code, id, verification_count, before_count from verify_certificate_public($1, $2)',
    [codes, asOf],
  );
  return rows;
}

/**
 * Adds verifications counted in memory (one row per certificate) in one statement, on the owner
 * connection like verify_certificate's own count; answers each certificate's stored count after it.
 * A count names a certificate that exists: checked here by the certificate's key, without the row lock a
 * foreign key's check takes for each row (decision 0105).
 */
export async function addVerificationCounts(
  owner: Queryable, counts: ReadonlyArray<{ certificateId: string; count: number; lastVerifiedAt: Date }>,
): Promise<Array<{ certificate_id: string; verification_count: number }>> {
  const { rows } = await owner.query<{ certificate_id: string; verification_count: number }>(
    `insert into certificate_verifications as v (certificate_id, verification_count, last_verified_at)
     select counted.* from unnest($1::uuid[], $2::integer[], $3::timestamptz[]) as counted (certificate_id)
      where exists (select from certificates c where c.id = counted.certificate_id)
     on conflict (certificate_id) do update
       set verification_count = v.verification_count + excluded.verification_count,
           last_verified_at = greatest(v.last_verified_at, excluded.last_verified_at)
     returning certificate_id, verification_count`,
    [counts.map((c) => c.certificateId), counts.map((c) => c.count), counts.map((c) => c.lastVerifiedAt)],
  );
  return rows;
}
