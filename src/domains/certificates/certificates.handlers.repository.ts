import type { Tx } from '../../platform/db/database.js';
import type { CertificateSnapshot } from './certificate-snapshot.js';

/** Whether completing this enrollment issues its certificate by itself, and who issues it (the session's instructor). */
export async function autoIssueSettings(tx: Tx, courseId: string, enrollmentId: string): Promise<{ instructor_id: string | null } | null> {
  const { rows } = await tx.query<{ instructor_id: string | null }>(
    `select s.instructor_id
       from course_certificate_settings cs
       join courses c on c.id = cs.course_id
       join session_enrollments e on e.id = $2
       join training_sessions s on s.id = e.session_id
      where cs.course_id = $1 and cs.issue_on_completion and c.certifies`,
    [courseId, enrollmentId],
  );
  return rows[0] ?? null;
}

/** The set-based issue (migration 0033) for one enrollment, as the owner. */
export async function issueForEnrollment(
  tx: Tx, input: { enrollmentId: string; code: string; urlBase: string; templateVersionId: string; issuer: string | null },
): Promise<{ outcome: string; reason: string | null; certificate_id: string | null }> {
  const { rows } = await tx.query<{ outcome: string; reason: string | null; certificate_id: string | null }>(
    `select outcome, reason, certificate_id from issue_certificates(array[$1::uuid], '{}', array[$2], $3, $4, $5, null)`,
    [input.enrollmentId, input.code, input.urlBase, input.templateVersionId, input.issuer],
  );
  return rows[0]!;
}

export interface CertificateToMail {
  id: string;
  user_id: string | null;
  status: string;
  recipient_email_ciphertext: string | null;
  snapshot: CertificateSnapshot | null;
  template_version_id: string | null;
  pdf_sha256: string | null;
  verification_code: string;
}

export async function certificateToMail(tx: Tx, id: string): Promise<CertificateToMail | null> {
  const { rows } = await tx.query<CertificateToMail>(
    `select id, user_id, status, recipient_email_ciphertext, snapshot, template_version_id, pdf_sha256, verification_code
       from certificates where id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

/** The hash of the PDF as first rendered, for a certificate issued without rendering it. */
export async function recordPdfHash(tx: Tx, id: string, sha256: string): Promise<void> {
  await tx.query('update certificates set pdf_sha256 = $2 where id = $1 and pdf_sha256 is null', [id, sha256]);
}

export async function issuedNotificationExists(tx: Tx, seq: string, userId: string): Promise<boolean> {
  const { rows } = await tx.query<{ found: boolean }>(
    `select exists (select 1 from notifications where (data ->> 'event_seq')::bigint = $1::bigint and user_id = $2) as found`,
    [seq, userId],
  );
  return rows[0]!.found;
}

export async function insertIssuedNotification(tx: Tx, input: { seq: string; userId: string; certificateId: string; title: string; body: string }): Promise<void> {
  await tx.query(
    `insert into notifications (user_id, kind, title, body, data)
     values ($2, 'certificate.issued', $3, $4, jsonb_build_object('event_seq', $1::bigint, 'certificate_id', $5::uuid))
     on conflict (((data ->> 'event_seq')::bigint), user_id) do nothing`,
    [input.seq, input.userId, input.title, input.body, input.certificateId],
  );
}
