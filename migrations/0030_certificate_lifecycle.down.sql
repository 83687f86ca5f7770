DROP FUNCTION verify_certificate(text, boolean);
DROP FUNCTION live_certificate_of(uuid, uuid);
DROP FUNCTION certificate_source_facts(uuid, uuid);
DROP VIEW certificate_summaries;
DROP FUNCTION app_certificate_status(text, date);
DROP TABLE certificate_verifications;

DROP VIEW certificates_visible;
CREATE VIEW certificates_visible WITH (security_invoker = true) AS
SELECT id, user_id, student_profile_id, enrollment_id, roster_member_id, roster_id, session_id, course_id,
       location_id, provider_id, course_name, recipient_name,
       CASE WHEN app_role() IN ('SA', 'AD', 'AP') OR user_id = app_user_id()
            THEN recipient_email_ciphertext END AS recipient_email_ciphertext,
       issued_by, template_id, batch_id, issue_date, expiry_date, status, revoked_at, revoked_reason,
       verification_code, signature, certificate_url, created_at, updated_at, version
  FROM certificates;
GRANT SELECT ON certificates_visible TO unitrain_app;

DROP INDEX certificates_expiry_date_idx;
DROP INDEX certificates_created_at_idx;
DROP INDEX certificates_replaces_certificate_id_key;
ALTER TABLE certificates
  DROP COLUMN replaces_certificate_id,
  DROP COLUMN suspended_reason,
  DROP COLUMN suspended_at,
  DROP COLUMN revoked_reason_code,
  DROP COLUMN pdf_sha256,
  DROP COLUMN snapshot;
ALTER TABLE certificates DROP CONSTRAINT certificates_status_check;
ALTER TABLE certificates ADD CONSTRAINT certificates_status_check CHECK (status IN ('ACTIVE', 'EXPIRED', 'REVOKED'));
